// Compact binary encoding of rows (value arrays) for stored row versions and commit-log entries.
// Not order-preserving (keys use keycodec.ts); optimized for small size and fast decode.
import { assert } from './errors.ts';
import type { Row, Value } from './types.ts';

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_INT32 = 3;
const T_F64 = 4;
const T_STRING = 5;
const T_BIGINT = 6;

/** Growable output buffer shared by the row and log encoders. */
export class ByteWriter {
  buf: Buffer;
  length = 0;
  constructor(capacityBytes = 256) {
    this.buf = Buffer.allocUnsafe(capacityBytes);
  }
  ensure(extraBytes: number): void {
    if (this.length + extraBytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extraBytes));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  u32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(n >>> 0, this.length);
    this.length += 4;
  }
  /** Non-negative integer up to 2^53 (timestamps, indexes, ids). */
  u53(n: number): void {
    assert(Number.isSafeInteger(n) && n >= 0, 'u53 out of range');
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(n / 0x100000000), this.length);
    this.buf.writeUInt32BE(n >>> 0, this.length + 4);
    this.length += 8;
  }
  varint(n: number): void {
    assert(Number.isSafeInteger(n) && n >= 0, 'varint out of range');
    while (n >= 0x80) {
      this.u8((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.u8(n);
  }
  bytes(src: Uint8Array): void {
    this.varint(src.length);
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }
  string(s: string): void {
    // Short ASCII strings (most text columns) are copied by hand: Buffer#write's native call costs more than
    // the copy (it was the largest single cost of encoding TPC-H rows in COPY's commit).
    if (s.length <= SHORT_ASCII_CHARS && isAscii(s)) {
      this.varint(s.length);
      this.ensure(s.length);
      const buf = this.buf;
      let p = this.length;
      for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
      this.length = p;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.buf.write(s, this.length, n, 'utf8');
    this.length += n;
  }
  value(v: Value): void {
    if (v === null) this.u8(T_NULL);
    else if (v === true) this.u8(T_TRUE);
    else if (v === false) this.u8(T_FALSE);
    else if (typeof v === 'number') {
      if ((v | 0) === v && !Object.is(v, -0)) {
        this.u8(T_INT32);
        this.ensure(4);
        this.buf.writeInt32BE(v, this.length);
        this.length += 4;
      } else {
        this.u8(T_F64);
        this.ensure(8);
        this.buf.writeDoubleBE(v, this.length);
        this.length += 8;
      }
    } else if (typeof v === 'string') {
      this.u8(T_STRING);
      this.string(v);
    } else {
      this.u8(T_BIGINT);
      this.string(v.toString());
    }
  }
  row(r: readonly Value[]): void {
    this.varint(r.length);
    for (let i = 0; i < r.length; i++) this.value(r[i]!);
  }
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** Cursor over an encoded buffer; throws a plain Error on truncation (callers wrap it as corruption). */
export class ByteReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
  ) {
    this.pos = pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('truncated record');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const n = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  u53(): number {
    this.need(8);
    const n = this.buf.readUInt32BE(this.pos) * 0x100000000 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return n;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  }
  bytes(): Buffer {
    const n = this.varint();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  string(): string {
    const n = this.varint();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  value(): Value {
    const tag = this.u8();
    switch (tag) {
      case T_NULL: return null;
      case T_FALSE: return false;
      case T_TRUE: return true;
      case T_INT32: {
        this.need(4);
        const v = this.buf.readInt32BE(this.pos);
        this.pos += 4;
        return v;
      }
      case T_F64: {
        this.need(8);
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case T_STRING: return this.string();
      case T_BIGINT: return BigInt(this.string());
      default: throw new Error(`bad value tag ${tag}`);
    }
  }
  row(): Row {
    const n = this.varint();
    const r: Row = new Array(n);
    for (let i = 0; i < n; i++) r[i] = this.value();
    return r;
  }
}

/** Longest string ByteWriter.string copies by hand (longer ones go through Buffer#write). */
const SHORT_ASCII_CHARS = 64;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function encodeRow(r: readonly Value[]): Buffer {
  const w = new ByteWriter(16 + r.length * 9);
  w.row(r);
  return w.finish();
}

export function decodeRow(buf: Buffer): Row {
  return new ByteReader(buf).row();
}

/** CRC-32 tables for slicing by 8: table k (at k * 256) gives the CRC of a byte followed by k zero bytes. */
const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = t[prev & 0xff]! ^ (prev >>> 8);
    }
  }
  return t;
})();

/**
 * CRC-32 (IEEE), for checksums of our own records that LevelDB would not verify for us. Eight bytes per step
 * (slicing by 8): every commit checksums its log entry and row versions, and every point read checks one, so
 * it is on both hot paths; about 3x fewer operations than a byte at a time (bench/rowstore/crc32.ts).
 * `seed` continues a CRC over an earlier chunk.
 */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const t = CRC_TABLES;
  let c = ~seed;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    const hi = buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24);
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The same CRC a byte at a time: the reference the sliced crc32 is tested and measured against. */
export function crc32Bytewise(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const t = CRC_TABLES;
  let c = ~seed;
  for (let i = start; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

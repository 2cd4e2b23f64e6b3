// Order-preserving encoding of value tuples into bytes: comparing two encoded keys with memcmp gives
// the same answer as comparing the tuples in SQL (PostgreSQL ASC order, NULL last). Used for primary keys and index keys.
//
// Every value is self-delimiting, so the encoding of a tuple is a concatenation and a tuple prefix
// encodes to a byte prefix (what prefix range scans need). Layout per value:
//   NULL          0xF0                                   (greater than every non-NULL tag: NULLS LAST)
//   boolean       0x30, 0x00|0x01
//   number        0x20, 8 bytes of the IEEE double with the sign bit flipped (negatives fully inverted);
//                 -0 is written as 0, every NaN as 0xFF.. (PostgreSQL: NaN greater than every number)
//   decimal       0x11 negative | 0x12 zero | 0x13 positive, then the numeric value as
//                 (decimal exponent, significant digits) so different scales compare correctly
//   string        0x40, UTF-8 with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01
import type { SqlType, Value } from './types.ts';
import { assert } from './errors.ts';

const TAG_NULL = 0xf0;
const TAG_BOOL = 0x30;
const TAG_NUMBER = 0x20;
const TAG_DEC_NEG = 0x11;
const TAG_DEC_ZERO = 0x12;
const TAG_DEC_POS = 0x13;
const TAG_STRING = 0x40;
/** A byte no value encoding starts with and greater than every tag: appended to a prefix it sorts after every key with that prefix. */
export const KEY_AFTER_PREFIX = 0xff;

/** Growable byte buffer for building keys without per-value allocation. */
export class KeyWriter {
  buf: Buffer;
  length = 0;
  constructor(capacityBytes = 64) {
    this.buf = Buffer.allocUnsafe(capacityBytes);
  }
  private ensure(extraBytes: number): void {
    if (this.length + extraBytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extraBytes));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }
  u32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(n >>> 0, this.length);
    this.length += 4;
  }
  /** A copy of the written bytes (the writer may be reused). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function writeNumber(w: KeyWriter, n: number): void {
  w.byte(TAG_NUMBER);
  if (Number.isNaN(n)) {
    for (let i = 0; i < 8; i++) w.byte(0xff);
    return;
  }
  f64[0] = n === 0 ? 0 : n; // -0 equals 0 in SQL
  const negative = n < 0;
  for (let i = 0; i < 8; i++) {
    let b = f64Bytes[littleEndian ? 7 - i : i]!;
    if (negative) b = ~b & 0xff;
    else if (i === 0) b |= 0x80;
    w.byte(b);
  }
}

function readNumber(buf: Uint8Array, pos: number): number {
  const negative = (buf[pos]! & 0x80) === 0;
  let allOnes = true;
  for (let i = 0; i < 8; i++) if (buf[pos + i] !== 0xff) allOnes = false;
  if (allOnes) return NaN;
  for (let i = 0; i < 8; i++) {
    let b = buf[pos + i]!;
    if (negative) b = ~b & 0xff;
    else if (i === 0) b &= 0x7f;
    f64Bytes[littleEndian ? 7 - i : i] = b;
  }
  return f64[0]!;
}

/** Decimal digits of |v| without trailing zeros, and the exponent E with value = 0.d1d2... x 10^E. */
function decimalParts(scaled: bigint, scale: number): { digits: string; exponent: number } {
  let digits = (scaled < 0n ? -scaled : scaled).toString();
  const exponent = digits.length - scale;
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  return { digits, exponent };
}

function writeDecimal(w: KeyWriter, v: bigint, scale: number): void {
  if (v === 0n) {
    w.byte(TAG_DEC_ZERO);
    return;
  }
  const negative = v < 0n;
  const { digits, exponent } = decimalParts(v, scale);
  w.byte(negative ? TAG_DEC_NEG : TAG_DEC_POS);
  // Exponent as a sign-flipped 32-bit integer so that byte order is numeric order.
  const e = (exponent + 0x80000000) >>> 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    const b = (e >>> shift) & 0xff;
    w.byte(negative ? ~b & 0xff : b);
  }
  for (let i = 0; i < digits.length; i++) {
    const b = digits.charCodeAt(i); // '0'..'9' = 0x30..0x39
    w.byte(negative ? ~b & 0xff : b);
  }
  // Terminator below every digit for positives; above every inverted digit for negatives.
  w.byte(negative ? 0xff : 0x00);
}

/** A byte of an encoded decimal, un-inverted for negative values (their bytes are stored inverted). */
function decByte(buf: Uint8Array, i: number, negative: boolean): number {
  return negative ? ~buf[i]! & 0xff : buf[i]!;
}

function readDecimal(buf: Uint8Array, pos: number, tag: number, scale: number): { value: bigint; next: number } {
  if (tag === TAG_DEC_ZERO) return { value: 0n, next: pos };
  const negative = tag === TAG_DEC_NEG;
  // A helper at module level, not a closure: tsx (esbuild keepNames) renames every named closure when it is made.
  const exponent = ((decByte(buf, pos, negative) << 24) | (decByte(buf, pos + 1, negative) << 16) | (decByte(buf, pos + 2, negative) << 8) | decByte(buf, pos + 3, negative)) - 0x80000000 | 0;
  let p = pos + 4;
  let digits = '';
  while (decByte(buf, p, negative) !== 0x00) {
    digits += String.fromCharCode(decByte(buf, p, negative));
    p++;
  }
  // value = 0.digits x 10^exponent; scaled = value x 10^scale
  const shift = exponent + scale - digits.length;
  let scaled = BigInt(digits);
  if (shift >= 0) scaled *= 10n ** BigInt(shift);
  else scaled /= 10n ** BigInt(-shift); // only when the value has more digits than the scale holds
  return { value: negative ? -scaled : scaled, next: p + 1 };
}

function writeString(w: KeyWriter, s: string): void {
  w.byte(TAG_STRING);
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    w.byte(b);
    if (b === 0) w.byte(0xff);
  }
  w.byte(0x00);
  w.byte(0x01);
}

function readString(buf: Uint8Array, pos: number): { value: string; next: number } {
  const out: number[] = [];
  let p = pos;
  for (;;) {
    const b = buf[p]!;
    if (b === 0) {
      if (buf[p + 1] === 0xff) {
        out.push(0);
        p += 2;
        continue;
      }
      return { value: Buffer.from(out).toString('utf8'), next: p + 2 };
    }
    out.push(b);
    p++;
  }
}

/** Appends one value of the given type. */
export function writeKeyValue(w: KeyWriter, v: Value, type: SqlType): void {
  if (v === null) {
    w.byte(TAG_NULL);
    return;
  }
  switch (type.id) {
    case 'decimal':
      assert(typeof v === 'bigint', 'decimal key value must be a bigint');
      writeDecimal(w, v, type.scale ?? 0);
      return;
    case 'varchar':
      assert(typeof v === 'string', 'varchar key value must be a string');
      writeString(w, v);
      return;
    case 'boolean':
      assert(typeof v === 'boolean', 'boolean key value must be a boolean');
      w.byte(TAG_BOOL);
      w.byte(v ? 1 : 0);
      return;
    default:
      assert(typeof v === 'number', `${type.id} key value must be a number`);
      writeNumber(w, v);
  }
}

/** Encodes a tuple (or a prefix of one: values.length may be less than types.length). */
export function encodeKey(values: readonly Value[], types: readonly SqlType[]): Buffer {
  assert(values.length <= types.length, 'more key values than key columns');
  const w = new KeyWriter();
  for (let i = 0; i < values.length; i++) writeKeyValue(w, values[i]!, types[i]!);
  return w.finish();
}

/** Decodes `types.length` values starting at `pos`; returns them and the position after them. */
export function decodeKeyAt(buf: Uint8Array, pos: number, types: readonly SqlType[]): { values: Value[]; next: number } {
  const values: Value[] = [];
  let p = pos;
  for (const type of types) {
    const tag = buf[p++];
    assert(tag !== undefined, 'truncated key');
    if (tag === TAG_NULL) values.push(null);
    else if (tag === TAG_NUMBER) {
      values.push(readNumber(buf, p));
      p += 8;
    } else if (tag === TAG_BOOL) values.push(buf[p++] === 1);
    else if (tag === TAG_STRING) {
      const r = readString(buf, p);
      values.push(r.value);
      p = r.next;
    } else if (tag === TAG_DEC_NEG || tag === TAG_DEC_ZERO || tag === TAG_DEC_POS) {
      const r = readDecimal(buf, p, tag, type.scale ?? 0);
      values.push(r.value);
      p = r.next;
    } else assert(false, `bad key tag ${tag}`);
  }
  return { values, next: p };
}

export function decodeKey(buf: Uint8Array, types: readonly SqlType[]): Value[] {
  return decodeKeyAt(buf, 0, types).values;
}

/** Byte length of the `count` values encoded at `pos` (without decoding strings). */
export function skipKeyValues(buf: Uint8Array, pos: number, count: number): number {
  let p = pos;
  for (let i = 0; i < count; i++) {
    const tag = buf[p++];
    if (tag === TAG_NULL || tag === TAG_DEC_ZERO) continue;
    if (tag === TAG_NUMBER) p += 8;
    else if (tag === TAG_BOOL) p += 1;
    else if (tag === TAG_STRING) {
      while (!(buf[p] === 0 && buf[p + 1] === 0x01)) p += buf[p] === 0 ? 2 : 1;
      p += 2;
    } else if (tag === TAG_DEC_POS) {
      p += 4;
      while (buf[p] !== 0x00) p++;
      p++;
    } else if (tag === TAG_DEC_NEG) {
      p += 4;
      while (buf[p] !== 0xff) p++;
      p++;
    } else assert(false, `bad key tag ${tag}`);
  }
  return p;
}

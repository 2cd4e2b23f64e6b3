// Finds which file of a LevelDB data directory is damaged, by checking the checksums LevelDB itself skips
// on reads (table blocks, MANIFEST and write-ahead-log records). Used when LevelDB reports corruption
// without naming a file, and at open for the write-ahead logs (whose damage LevelDB would skip silently).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DamagedFile {
  readonly file: string;
  readonly reason: string;
}

const CRC32C_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32c(buf: Uint8Array, start: number, end: number, seed = 0): number {
  let c = ~seed;
  for (let i = start; i < end; i++) c = CRC32C_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** LevelDB stores masked CRCs (so that a CRC of data containing CRCs stays well distributed). */
function unmask(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

class Damage extends Error {}

function varint(buf: Uint8Array, at: { pos: number }): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[at.pos++];
    if (b === undefined) throw new Damage('truncated varint');
    n += (b & 0x7f) * mul;
    if (b < 0x80) return n;
    mul *= 128;
  }
  throw new Damage('bad varint');
}

/** Snappy block decompression (LevelDB compresses table blocks with it). */
function unsnappy(src: Uint8Array): Uint8Array {
  const at = { pos: 0 };
  const out = new Uint8Array(varint(src, at));
  let o = 0;
  while (at.pos < src.length) {
    const tag = src[at.pos++]!;
    let len: number;
    let offset = 0;
    const kind = tag & 3;
    if (kind === 0) {
      len = tag >> 2;
      if (len >= 60) {
        const n = len - 59;
        len = 0;
        for (let i = 0; i < n; i++) len |= src[at.pos++]! << (8 * i);
      }
      len += 1;
      if (at.pos + len > src.length || o + len > out.length) throw new Damage('snappy literal out of range');
      out.set(src.subarray(at.pos, at.pos + len), o);
      at.pos += len;
      o += len;
      continue;
    }
    if (kind === 1) {
      len = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[at.pos++]!;
    } else if (kind === 2) {
      len = (tag >> 2) + 1;
      offset = src[at.pos]! | (src[at.pos + 1]! << 8);
      at.pos += 2;
    } else {
      len = (tag >> 2) + 1;
      offset = (src[at.pos]! | (src[at.pos + 1]! << 8) | (src[at.pos + 2]! << 16) | (src[at.pos + 3]! << 24)) >>> 0;
      at.pos += 4;
    }
    if (offset === 0 || offset > o || o + len > out.length) throw new Damage('snappy copy out of range');
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== out.length) throw new Damage('snappy length mismatch');
  return out;
}

/** Reads and checks one table block (contents + 1 type byte + 4 byte masked CRC); returns the uncompressed contents. */
function readBlock(file: Uint8Array, offset: number, size: number): Uint8Array {
  if (offset + size + 5 > file.length) throw new Damage(`block at ${offset} extends past the end of the file`);
  const stored = unmask(Buffer.from(file.buffer, file.byteOffset, file.byteLength).readUInt32LE(offset + size + 1));
  if (crc32c(file, offset, offset + size + 1) !== stored) throw new Damage(`block at ${offset} fails its checksum`);
  const type = file[offset + size];
  const contents = file.subarray(offset, offset + size);
  if (type === 0) return contents;
  if (type === 1) return unsnappy(contents);
  throw new Damage(`block at ${offset} has unknown compression ${type}`);
}

const TABLE_MAGIC = Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);

function checkTable(file: Buffer): void {
  if (file.length < 48) throw new Damage('file is shorter than a table footer');
  if (!file.subarray(file.length - 8).equals(TABLE_MAGIC)) throw new Damage('bad table magic number (truncated or overwritten)');
  const at = { pos: file.length - 48 };
  const metaOffset = varint(file, at);
  const metaSize = varint(file, at);
  const indexOffset = varint(file, at);
  const indexSize = varint(file, at);
  readBlock(file, metaOffset, metaSize);
  const index = readBlock(file, indexOffset, indexSize);
  const dv = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
  if (index.length < 4) throw new Damage('index block too short');
  const restarts = dv.readUInt32LE(index.length - 4);
  const end = index.length - 4 - 4 * restarts;
  if (end < 0) throw new Damage('bad index block restart count');
  const p = { pos: 0 };
  while (p.pos < end) {
    varint(index, p); // shared key bytes
    const unshared = varint(index, p);
    const valueLen = varint(index, p);
    p.pos += unshared;
    const v = { pos: p.pos };
    const offset = varint(index, v);
    const size = varint(index, v);
    p.pos += valueLen;
    readBlock(file, offset, size);
  }
}

/**
 * Checks the record checksums of a LevelDB log-format file (MANIFEST or write-ahead log). A damaged record
 * at the very end of a write-ahead log is a write torn by a crash (never acknowledged): allowed when `tornTailOk`.
 */
function checkLogFile(file: Buffer, tornTailOk: boolean): void {
  const BLOCK = 32768;
  let pos = 0;
  while (pos < file.length) {
    const left = BLOCK - (pos % BLOCK);
    if (left < 7) {
      pos += left; // block trailer padding
      continue;
    }
    if (pos + 7 > file.length) {
      if (tornTailOk) return;
      throw new Damage(`record header at ${pos} is cut off`);
    }
    const len = file.readUInt16LE(pos + 4);
    const type = file[pos + 6]!;
    if (type === 0 && len === 0) {
      pos += left; // zero-filled rest of a block
      continue;
    }
    const stored = unmask(file.readUInt32LE(pos));
    if (pos + 7 + len > file.length || crc32c(file, pos + 6, pos + 7 + len) !== stored) {
      if (tornTailOk && isTail(file, pos, len)) return;
      throw new Damage(`record at ${pos} ${pos + 7 + len > file.length ? 'is cut off' : 'fails its checksum'}`);
    }
    pos += 7 + len;
  }
}

function isTail(file: Buffer, pos: number, len: number): boolean {
  return pos + 7 + len >= file.length || file.subarray(pos + 7 + len).every((b) => b === 0);
}

/** The first damaged file found in `dir`, or undefined when every checked file is sound. */
export function findDamagedFile(dir: string, options: { walsOnly?: boolean } = {}): DamagedFile | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const check = (name: string, fn: (b: Buffer) => void): DamagedFile | undefined => {
    try {
      fn(readFileSync(join(dir, name)));
      return undefined;
    } catch (e) {
      if (e instanceof Damage || e instanceof RangeError) return { file: join(dir, name), reason: e.message };
      throw e;
    }
  };
  for (const name of names.filter((n) => /^\d+\.log$/.test(n))) {
    const d = check(name, (b) => checkLogFile(b, true));
    if (d) return d;
  }
  if (options.walsOnly) return undefined;
  if (existsSync(join(dir, 'CURRENT'))) {
    const current = readFileSync(join(dir, 'CURRENT'), 'utf8');
    if (!current.endsWith('\n')) return { file: join(dir, 'CURRENT'), reason: 'CURRENT does not end with a newline (truncated)' };
    const manifest = current.trim();
    if (!existsSync(join(dir, manifest))) return { file: join(dir, manifest), reason: `${manifest} named by CURRENT is missing` };
    const d = check(manifest, (b) => checkLogFile(b, false));
    if (d) return d;
  }
  for (const name of names.filter((n) => /^\d+\.(ldb|sst)$/.test(n))) {
    const d = check(name, checkTable);
    if (d) return d;
  }
  return undefined;
}

// The LevelDB keyspace layout of the row store: one prefix byte per keyspace, then big-endian ids.
// Keeping every key builder here makes the layout readable in one place (see oltp/README.md).
import { assert } from './errors.ts';

export const KS_META = 0x01;
export const KS_LOG = 0x02;
export const KS_LATEST = 0x03;
export const KS_VERSION = 0x04;
export const KS_INDEX = 0x05;
export const KS_CATALOG = 0x06;

/** Timestamps are safe integers; version keys store MAX - ts so that versions sort newest first. */
export const TS_MAX = Number.MAX_SAFE_INTEGER;

export const META_STATE_KEY = Buffer.from([KS_META, 0x01]);

function writeU53(buf: Buffer, n: number, at: number): void {
  buf.writeUInt32BE(Math.floor(n / 0x100000000), at);
  buf.writeUInt32BE(n >>> 0, at + 4);
}

export function readU53(buf: Uint8Array, at: number): number {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.readUInt32BE(at) * 0x100000000 + b.readUInt32BE(at + 4);
}

export function logKey(index: number): Buffer {
  const k = Buffer.allocUnsafe(9);
  k[0] = KS_LOG;
  writeU53(k, index, 1);
  return k;
}

/** `03 | tableId | pk`: the newest version of a row. */
export function latestKey(tableId: number, pk: Uint8Array): Buffer {
  const k = Buffer.allocUnsafe(5 + pk.length);
  k[0] = KS_LATEST;
  k.writeUInt32BE(tableId, 1);
  k.set(pk, 5);
  return k;
}

/** `04 | tableId | pk | MAX-ts`: a superseded version of a row. */
export function versionKey(tableId: number, pk: Uint8Array, ts: number): Buffer {
  assert(ts >= 0 && ts <= TS_MAX, 'timestamp out of range');
  const k = Buffer.allocUnsafe(13 + pk.length);
  k[0] = KS_VERSION;
  k.writeUInt32BE(tableId, 1);
  k.set(pk, 5);
  writeU53(k, TS_MAX - ts, 5 + pk.length);
  return k;
}

/** `05 | indexId | index values | pk`: one index entry (rechecked against the row at read time). */
export function indexKey(indexId: number, entry: Uint8Array): Buffer {
  const k = Buffer.allocUnsafe(5 + entry.length);
  k[0] = KS_INDEX;
  k.writeUInt32BE(indexId, 1);
  k.set(entry, 5);
  return k;
}

/** `ks | id`: the prefix of one table's (or index's) keys. */
export function idPrefix(ks: number, id: number): Buffer {
  const k = Buffer.allocUnsafe(5);
  k[0] = ks;
  k.writeUInt32BE(id, 1);
  return k;
}

/** `06 | name utf8 | 00 | MAX-ts`: one version of a catalog entry. */
export function catalogKey(name: string, ts: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  assert(!nameBytes.includes(0), 'catalog key contains NUL');
  const k = Buffer.allocUnsafe(10 + nameBytes.length);
  k[0] = KS_CATALOG;
  nameBytes.copy(k, 1);
  k[1 + nameBytes.length] = 0;
  writeU53(k, TS_MAX - ts, 2 + nameBytes.length);
  return k;
}

export function parseCatalogKey(k: Buffer): { name: string; ts: number } {
  const end = k.length - 9;
  assert(k[0] === KS_CATALOG && k[end] === 0, 'not a catalog key');
  return { name: k.toString('utf8', 1, end), ts: TS_MAX - readU53(k, end + 1) };
}

/** The exclusive upper bound of every key starting with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const k = Buffer.from(prefix);
  for (let i = k.length - 1; i >= 0; i--) {
    if (k[i]! < 0xff) {
      k[i] = k[i]! + 1;
      return k.subarray(0, i + 1);
    }
  }
  assert(false, 'prefix has no upper bound');
}

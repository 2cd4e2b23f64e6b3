// A row-store image for Raft InstallSnapshot: every key of the store read from one consistent LevelDB view,
// packed as records [key length u32][key][value length u32][value] into chunks of bounded size.

import { assert } from '../errors.ts';
import type { RowStore } from '../rowstore.ts';

/** Keys read from the iterator per call (bounds memory per step of the export). */
const KEYS_PER_READ = 256;

export interface ImageChunk {
  readonly data: Buffer;
  readonly records: number;
}

/**
 * Yields the store's whole keyspace in chunks of about `chunkBytes` (a record larger than that gets a chunk of
 * its own). The iterator is created at the first step: LevelDB gives it an implicit snapshot, and every commit
 * group is one atomic batch, so the image is a prefix of the commit log (rows, catalog, MVCC versions, the
 * state record with its applied index) however long the export takes.
 */
export async function* exportImage(store: RowStore, chunkBytes: number): AsyncGenerator<ImageChunk> {
  assert(chunkBytes > 0, 'chunkBytes must be positive');
  const it = store.db.iterator();
  try {
    let parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const pairs = await it.nextv(KEYS_PER_READ);
      if (pairs.length === 0) break;
      for (const [key, value] of pairs) {
        const record = encodeRecord(key, value);
        if (size > 0 && size + record.length > chunkBytes) {
          yield { data: Buffer.concat(parts, size), records: parts.length };
          parts = [];
          size = 0;
        }
        parts.push(record);
        size += record.length;
      }
    }
    if (size > 0) yield { data: Buffer.concat(parts, size), records: parts.length };
  } finally {
    await it.close();
  }
}

function encodeRecord(key: Buffer, value: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + key.length + value.length);
  out.writeUInt32BE(key.length, 0);
  key.copy(out, 4);
  out.writeUInt32BE(value.length, 4 + key.length);
  value.copy(out, 8 + key.length);
  return out;
}

/** Number of records in a chunk; throws if the chunk is not a whole number of well-formed records. */
export function countRecords(chunk: Uint8Array): number {
  let n = 0;
  for (const _ of decodeRecords([chunk])) n++;
  return n;
}

/** The key/value pairs of a received image (chunks in order). Throws on a malformed chunk. */
export function* decodeRecords(chunks: readonly Uint8Array[]): Generator<readonly [Buffer, Buffer]> {
  for (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    while (at < buf.length) {
      if (buf.length - at < 4) throw new Error('snapshot chunk ends inside a record header');
      const keyLength = buf.readUInt32BE(at);
      if (buf.length - at < 8 + keyLength) throw new Error('snapshot chunk ends inside a record');
      const valueLength = buf.readUInt32BE(at + 4 + keyLength);
      const end = at + 8 + keyLength + valueLength;
      if (end > buf.length) throw new Error('snapshot chunk ends inside a record');
      yield [buf.subarray(at + 4, at + 4 + keyLength), buf.subarray(at + 8 + keyLength, end)];
      at = end;
    }
  }
}

// The stored form of one row version: `flags u8 | commitTs u53 | prevTs u53 | crc32 u32 | row`.
// prevTs links each version to the one it superseded (0 = none), so a reader walks the chain with getSync.
// The CRC covers every other byte: LevelDB does not verify block checksums on reads, so a damaged block
// could otherwise come back as silently wrong data.
import { ByteReader, ByteWriter, crc32 } from './rowcodec.ts';
import type { Row } from './types.ts';

const FLAG_TOMBSTONE = 1;
const CRC_AT = 17;
export const VERSION_HEADER_BYTES = 21;

export interface StoredVersion {
  readonly ts: number;
  readonly prevTs: number;
  /** null = the row was deleted at `ts`. */
  readonly row: Row | null;
}

export function encodeVersion(ts: number, prevTs: number, row: Row | null): Buffer {
  const w = new ByteWriter(VERSION_HEADER_BYTES + (row ? row.length * 9 + 4 : 0));
  w.u8(row === null ? FLAG_TOMBSTONE : 0);
  w.u53(ts);
  w.u53(prevTs);
  w.u32(0);
  if (row !== null) w.row(row);
  const buf = w.finish();
  buf.writeUInt32BE(versionChecksum(buf), CRC_AT);
  return buf;
}

/** encodeVersion of a row whose encoded bytes (ByteWriter.row) the caller already has. */
export function encodeVersionFromRowBytes(ts: number, prevTs: number, rowBytes: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(VERSION_HEADER_BYTES + rowBytes.length);
  buf[0] = 0;
  buf.writeUInt32BE(Math.floor(ts / 0x100000000), 1);
  buf.writeUInt32BE(ts >>> 0, 5);
  buf.writeUInt32BE(Math.floor(prevTs / 0x100000000), 9);
  buf.writeUInt32BE(prevTs >>> 0, 13);
  buf.set(rowBytes, VERSION_HEADER_BYTES);
  buf.writeUInt32BE(versionChecksum(buf), CRC_AT);
  return buf;
}

function versionChecksum(buf: Buffer): number {
  // CRC of the header before the CRC field, continued over the row bytes after it
  return crc32(buf, VERSION_HEADER_BYTES, buf.length, crc32(buf, 0, CRC_AT));
}

/** False when the stored bytes are not what was written (damaged on disk). */
export function versionIntact(buf: Buffer): boolean {
  return buf.length >= VERSION_HEADER_BYTES && buf.readUInt32BE(CRC_AT) === versionChecksum(buf);
}

export function versionTs(buf: Buffer): number {
  return buf.readUInt32BE(1) * 0x100000000 + buf.readUInt32BE(5);
}

export function versionPrevTs(buf: Buffer): number {
  return buf.readUInt32BE(9) * 0x100000000 + buf.readUInt32BE(13);
}

export function isTombstone(buf: Buffer): boolean {
  return (buf[0]! & FLAG_TOMBSTONE) !== 0;
}

export function versionRow(buf: Buffer): Row | null {
  if (isTombstone(buf)) return null;
  return new ByteReader(buf, VERSION_HEADER_BYTES).row();
}

export function decodeVersion(buf: Buffer): StoredVersion {
  return { ts: versionTs(buf), prevTs: versionPrevTs(buf), row: versionRow(buf) };
}

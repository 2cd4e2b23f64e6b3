// The stored form of one row version: `flags u8 | commitTs u53 | prevTs u53 | row`.
// prevTs links each version to the one it superseded (0 = none), so a reader walks the chain with getSync.
import { ByteReader, ByteWriter } from './rowcodec.ts';
import type { Row } from './types.ts';

const FLAG_TOMBSTONE = 1;
export const VERSION_HEADER_BYTES = 17;

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
  if (row !== null) w.row(row);
  return w.finish();
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

// MVCC visibility: which stored version of a row a snapshot sees. The newest version lives under the
// latest key; each version names the one it superseded (prevTs), which lives in the version keyspace.
import { assert } from './errors.ts';
import { versionKey } from './keys.ts';
import { isTombstone, versionPrevTs, versionRow, versionTs } from './version.ts';
import type { Row } from './types.ts';

export interface VersionSource {
  /** Synchronous point read of a stored version (classic-level getSync). */
  readVersion(key: Buffer): Buffer | undefined;
}

/**
 * The row as of `readTs` given the bytes under its latest key, or null when no version is visible
 * (not yet inserted, or deleted). Older versions are found by walking the prevTs chain.
 */
export function visibleRow(src: VersionSource, tableId: number, pk: Uint8Array, latest: Buffer | undefined, readTs: number): Row | null {
  let buf = latest;
  // Bounded by the number of versions of this row newer than readTs.
  while (buf !== undefined) {
    if (versionTs(buf) <= readTs) return isTombstone(buf) ? null : versionRow(buf);
    const prevTs = versionPrevTs(buf);
    if (prevTs === 0) return null;
    const next = src.readVersion(versionKey(tableId, pk, prevTs));
    // GC keeps every version some active snapshot can see, so a broken chain is a bug.
    assert(next !== undefined, `version ${prevTs} of a row in table ${tableId} is missing`);
    buf = next;
  }
  return null;
}

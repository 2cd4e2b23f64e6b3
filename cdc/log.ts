// Reads committed commit-log entries from the row store in index order, in bounded batches.
// The only place in cdc/ that knows where the log lives (the KS_LOG keyspace of the row store).
import type { RowStore } from '../oltp/rowstore.ts';
import { KS_LOG, logKey, readU53 } from '../oltp/keys.ts';
import { DuetError } from '../oltp/errors.ts';

/** PostgreSQL's object_not_in_prerequisite_state: the resume point is gone, take a snapshot first. */
export const RESUME_POINT_COMPACTED = '55000';

/** Entries per read from LevelDB: bounds the memory one read holds. */
export const LOG_READ_ENTRIES_MAX = 512;

/** The lowest log index still stored (appliedIndex + 1 when the log is empty). */
export async function firstLogIndex(store: RowStore): Promise<number> {
  const keys = await store.db.keys({ gte: Buffer.from([KS_LOG]), lt: Buffer.from([KS_LOG + 1]), limit: 1 }).all();
  const k = keys[0];
  return k === undefined ? store.stats.appliedIndex + 1 : readU53(k, 1);
}

export function compactedError(from: number, first: number): DuetError {
  return new DuetError(RESUME_POINT_COMPACTED, `resume point compacted: log entry ${from} was removed (the log starts at ${first})`, {
    hint: 'start from a snapshot of the row store, then follow changes from the index the snapshot reports',
  });
}

/**
 * The raw encoded entries with index in [from, to] (to ≤ applied index), at most `limit`. Throws the
 * "resume point compacted" error when `from` is below the first stored entry.
 */
export async function readLogRange(store: RowStore, from: number, to: number, limit = LOG_READ_ENTRIES_MAX): Promise<Buffer[]> {
  if (from > to) return [];
  const out = await store.db.values({ gte: logKey(from), lte: logKey(to), limit }).all();
  // Entries are contiguous: a shorter result than asked, or a gap at the start, means compaction reached `from`.
  if (out.length < Math.min(limit, to - from + 1)) throw compactedError(from, await firstLogIndex(store));
  const firstIndex = out[0] === undefined ? from : readU53(out[0], 1);
  if (firstIndex !== from) throw compactedError(from, firstIndex);
  return out;
}

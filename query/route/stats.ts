// What the router knows from the learner's status (row counts, lag), refreshed at most every STATS_TTL_MS, and a
// generation that moves only when that knowledge changed enough to change a route (decisions are kept per it).
import type { LearnerReplica } from '../../olap/learner/index.ts';

const STATS_TTL_MS = 500;
/** A table whose row count moved by more than this fraction since the last generation starts a new one. */
const ROWS_CHANGE_FRACTION = 0.1;

export interface LearnerStats {
  rows: Map<string, number>;
  /** How far behind the learner was when it answered (entries, and age of its oldest unapplied commit). */
  lagEntries: number;
  lagMs: number;
  atMs: number;
  /** Whether the last refresh was answered (a status has its own time limit in the client). */
  answered: boolean;
  /** Bumped when row counts, the set of tables, the answered flag or the lag's order of magnitude changed. */
  gen: number;
  /** The row counts and lag bucket of the current generation (what later answers are compared with). */
  genRows: Map<string, number>;
  genLagBucket: number;
  /** A refresh under way and since when: one that stays unanswered means the learner is not answering. */
  pending?: Promise<void>;
  pendingSinceMs?: number;
}
const statsCache = new WeakMap<LearnerReplica, LearnerStats>();

/** The stats known now (possibly stale), without asking the learner anything; undefined before its first status. */
export function knownStats(replica: LearnerReplica): LearnerStats | undefined {
  const e = statsCache.get(replica);
  return e === undefined || e.atMs === -Infinity ? undefined : e;
}

/**
 * The learner's stats, refreshed when older than STATS_TTL_MS; `answered` false when the last refresh failed or
 * one stayed unanswered for `waitMs` (a learner member that stopped, e.g. SIGSTOP or a hung machine: its socket
 * is open, nothing comes back). Only a learner that answered last time is waited for, and at most `waitMs`: a
 * stuck learner never holds the router itself, and costs at most one statement that wait.
 */
export async function learnerStats(replica: LearnerReplica, waitMs: number): Promise<{ stats: LearnerStats; answered: boolean }> {
  let entry = statsCache.get(replica);
  if (!entry) statsCache.set(replica, (entry = { rows: new Map(), lagEntries: 0, lagMs: 0, atMs: -Infinity, answered: true, gen: 0, genRows: new Map(), genLagBucket: 0 }));
  const e = entry;
  const now = performance.now();
  if (now - e.atMs <= STATS_TTL_MS) return { stats: e, answered: e.answered };
  if (e.pending === undefined) {
    e.pendingSinceMs = now;
    e.pending = replica.status().then((status) => {
      e.rows = new Map(status.tables.map((t) => [t.name, t.stableRows + t.deltaRows]));
      e.lagEntries = status.lagEntries;
      e.lagMs = status.lagMs;
      setAnswered(e, true);
    }, () => {
      setAnswered(e, false);
    }).finally(() => {
      e.atMs = performance.now();
      e.pending = undefined;
      e.pendingSinceMs = undefined;
    });
  }
  const leftMs = e.pendingSinceMs! + waitMs - now;
  if (e.answered && leftMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([e.pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, leftMs)))]);
    clearTimeout(timer);
  }
  return { stats: e, answered: e.pending === undefined && e.answered };
}

function setAnswered(e: LearnerStats, answered: boolean): void {
  const bucket = lagBucket(e.lagEntries, e.lagMs);
  if (answered !== e.answered || bucket !== e.genLagBucket || rowsMoved(e.genRows, e.rows)) {
    e.gen++;
    e.genRows = e.rows;
    e.genLagBucket = bucket;
  }
  e.answered = answered;
}

/** The lag's order of magnitude (entries and ms): small moves of a busy learner do not change routes. */
function lagBucket(entries: number, ms: number): number {
  return Math.ceil(Math.log2(1 + Math.max(0, entries))) * 64 + Math.ceil(Math.log2(1 + Math.max(0, ms)));
}

function rowsMoved(was: ReadonlyMap<string, number>, now: ReadonlyMap<string, number>): boolean {
  if (was.size !== now.size) return true;
  for (const [table, n] of now) {
    const before = was.get(table);
    if (before === undefined || Math.abs(n - before) > ROWS_CHANGE_FRACTION * Math.max(before, 1)) return true;
  }
  return false;
}

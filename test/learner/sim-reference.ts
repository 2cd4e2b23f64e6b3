// The reference for the learner under the Raft simulator: a real row-store commit log from a seeded random
// workload (Workload) and the row store's state after every commit, looked up at any timestamp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { readLogRange } from '../../cdc/log.ts';
import { decodeLogEntry } from '../../oltp/commitlog.ts';
import { Workload, type TableState } from './workload.ts';

export interface ReferenceLog {
  readonly seed: number;
  /** Encoded commit-log entries; entry i carries commit-log index i + 1. */
  readonly entries: readonly Uint8Array[];
  /** Commit timestamps in increasing order, and the state of every table right after each. */
  readonly stamps: readonly number[];
  readonly states: ReadonlyMap<number, ReadonlyMap<string, TableState>>;
}

const EMPTY: ReadonlyMap<string, TableState> = new Map();

/** Runs `steps` random transactions on a fresh row store and captures its committed log. */
export async function referenceLog(seed: number, steps: number): Promise<ReferenceLog> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-sim-ref-'));
  try {
    const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
    const w = new Workload(store, seed);
    for (let i = 0; i < steps; i++) await w.step();
    const entries: Buffer[] = [];
    const last = store.stats.appliedIndex;
    while (entries.length < last) entries.push(...(await readLogRange(store, entries.length + 1, last, 256)));
    await store.close();
    entries.forEach((e, i) => {
      if (commitLogIndex(e) !== i + 1) throw new Error(`reference log: entry ${i + 1} carries index ${commitLogIndex(e)}`);
    });
    return { seed, entries, stamps: [...w.history.keys()].sort((a, b) => a - b), states: w.history };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The commit-log index an encoded entry carries. */
export function commitLogIndex(data: Uint8Array): number {
  return decodeLogEntry(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).index;
}

/** The row store's tables at `ts`: the state after the last commit at or before it (empty before the first). */
export function stateAt(ref: ReferenceLog, ts: number): ReadonlyMap<string, TableState> {
  let lo = 0;
  let hi = ref.stamps.length; // first stamp > ts
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ref.stamps[mid]! <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? EMPTY : ref.states.get(ref.stamps[lo - 1]!)!;
}

// The columnar learner as the state machine of a Raft learner node, under the real Raft core with lost
// messages, leader crashes and the learner node crashing (Raft state from what it persisted, columnar state
// from its last Parquet save) and restarting. The committed log is a real row-store commit log; at the end and
// after every learner restart, scans at random timestamps equal the row store at those timestamps.
// Deterministic per seed (seeded Raft nodes and network); a failure prints its seed.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { readLogRange } from '../../cdc/log.ts';
import { decodeLogEntry } from '../../oltp/commitlog.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { Learner } from '../../olap/learner/learner.ts';
import { loadLearner, saveLearner, type PersistCache } from '../../olap/learner/persist.ts';
import type { NodeId } from '../../oltp/raft/types.ts';
import { Cluster } from '../raft/harness.ts';
import { canon, rng, Workload } from './workload.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-learner-raft-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const VOTERS: NodeId[] = [1, 2, 3];
const LEARNER: NodeId = 4;

/** A real commit log and the row store's state after every commit (Workload.history). */
async function referenceLog(seed: number, steps: number): Promise<{ log: Buffer[]; w: Workload }> {
  const store = await RowStore.open(join(tempDir(), 'db'), { gcIntervalMs: 0 });
  const w = new Workload(store, seed);
  for (let i = 0; i < steps; i++) await w.step();
  const log: Buffer[] = [];
  while (log.length < store.stats.appliedIndex) log.push(...(await readLogRange(store, log.length + 1, store.stats.appliedIndex, 256)));
  await store.close();
  return { log, w };
}

function compare(learner: Learner, w: Workload, rand: () => number, samples: number, seed: number): number {
  const stamps = [...w.history.keys()].filter((ts) => ts >= learner.horizonTs && ts <= learner.appliedTs);
  let compared = 0;
  for (let k = 0; k < samples && stamps.length > 0; k++) {
    const ts = stamps[Math.floor(rand() * stamps.length)]!;
    for (const table of learner.tableList()) {
      const state = w.history.get(ts)!.get(table.def.name);
      if (state?.id !== table.def.id) continue;
      expect(canon(learner.scan(table.def.name, ts).flatMap(batchToRows)), `seed ${seed}: ${table.def.name} at ts ${ts}`).toEqual(state.rows);
      compared++;
    }
  }
  return compared;
}

async function run(seed: number): Promise<void> {
  const { log, w } = await referenceLog(seed, 120);
  const rand = rng(seed * 69069);
  const dir = tempDir();
  const cluster = new Cluster(VOTERS, {}, [LEARNER]);
  cluster.elect(1);
  let learner = new Learner({ deltaRowsMax: 150 });
  const cache: PersistCache = new Map();
  let fed = 0; // entries of the learner node's `applied` already given to the columnar learner
  let committed = 0; // commit-log entries known committed (proposed one at a time, in order)
  let restarts = 0;
  let leaderCrashes = 0;
  let saves = 0;
  let compared = 0;
  const committedOnVoters = (): number => {
    let max = 0;
    for (const id of VOTERS) {
      for (const e of cluster.get(id).applied) if (e.type === 'normal' && e.data.length > 0) max = Math.max(max, decodeLogEntry(Buffer.from(e.data)).index);
    }
    return max;
  };
  const feed = (): void => {
    const applied = cluster.get(LEARNER).applied;
    const data = applied.slice(fed).filter((e) => e.type === 'normal' && e.data.length > 0).map((e) => e.data);
    fed = applied.length;
    // a proposal retried after a leader change can commit twice: the learner skips what it applied already
    learner.applyEntries(data);
  };
  for (let step = 0; committed < log.length; step++) {
    expect(step, `seed ${seed}: no progress`).toBeLessThan(20_000);
    const r = rand();
    const lossy = rand() < 0.3;
    cluster.filter = lossy ? () => rand() > 0.25 : () => true;
    if (r < 0.03) {
      // the learner node crashes: Raft keeps what it persisted, the columnar state is its last save
      cluster.restart(LEARNER);
      fed = 0;
      const state = loadLearner(dir, cache);
      learner = new Learner({ deltaRowsMax: 150 });
      if (state) learner.restore(state);
      restarts++;
    } else if (r < 0.045) {
      const leader = VOTERS.find((id) => cluster.node(id).status().role === 'leader');
      if (leader !== undefined) {
        cluster.restart(leader);
        leaderCrashes++;
      }
    } else if (r < 0.07) {
      cluster.isolate(LEARNER);
    }
    const leader = VOTERS.find((id) => cluster.node(id).status().role === 'leader');
    if (leader !== undefined) cluster.node(leader).propose(log[committed]!);
    cluster.tick(1);
    committed = Math.max(committed, committedOnVoters());
    feed();
    if (rand() < 0.08) {
      learner.compact();
      saveLearner(dir, learner, cache);
      saves++;
    }
    if (restarts > 0 && rand() < 0.05) compared += compare(learner, w, rand, 2, seed);
  }
  // heal and let the learner catch up with everything committed
  cluster.heal();
  for (let i = 0; i < 200 && learner.appliedIndex < log.length; i++) {
    cluster.tick(1);
    feed();
  }
  expect(learner.appliedIndex, `seed ${seed}`).toBe(log.length);
  compared += compare(learner, w, rand, 20, seed);
  expect(restarts, `seed ${seed}`).toBeGreaterThan(0);
  expect(leaderCrashes + saves, `seed ${seed}`).toBeGreaterThan(0);
  expect(compared, `seed ${seed}`).toBeGreaterThan(10);
}

describe('columnar learner as a Raft learner node, crashing and restarting', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: scans at random timestamps equal the row store`, async () => {
      await run(seed);
    });
  }
});

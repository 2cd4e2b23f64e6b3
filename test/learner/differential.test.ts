// Differential test: random transactional workloads on the row store, applied to the columnar learner
// through the commit log while compaction runs; at many timestamps every table's full scan on the learner
// equals the row store's state at that timestamp, row for row. Every failure prints its seed.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { readLogRange } from '../../cdc/log.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { Learner } from '../../olap/learner/learner.ts';
import { canon, rng, Workload } from './workload.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function feed(store: RowStore, learner: Learner): Promise<void> {
  while (learner.appliedIndex < store.stats.appliedIndex) {
    learner.applyEntries(await readLogRange(store, learner.appliedIndex + 1, store.stats.appliedIndex, 64));
  }
}

function check(learner: Learner, w: Workload, rand: () => number, samples: number, seed: number): number {
  const stamps = [...w.history.keys()].filter((ts) => ts >= learner.horizonTs && ts <= learner.appliedTs);
  let compared = 0;
  for (let k = 0; k < samples && stamps.length > 0; k++) {
    const ts = stamps[Math.floor(rand() * stamps.length)]!;
    const expected = w.history.get(ts)!;
    for (const table of learner.tableList()) {
      const state = expected.get(table.def.name);
      if (state?.id !== table.def.id) continue; // created later, or another table of that name then
      const rows = learner.scan(table.def.name, ts).flatMap(batchToRows);
      expect(canon(rows), `seed ${seed}, table ${table.def.name} at ts ${ts}`).toEqual(state.rows);
      compared++;
    }
    // a table the row store had at ts and the learner still has must not be missing
    for (const [name, state] of expected) {
      const t = learner.tableByName(name);
      if (t?.def.id === state.id) expect(t.columnCountAt(ts), `seed ${seed}`).toBeGreaterThan(0);
    }
  }
  return compared;
}

describe('learner vs row store (differential)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: scans at random timestamps equal the row store at those timestamps`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'duet-learner-diff-'));
      dirs.push(dir);
      const store = await RowStore.open(dir, { gcIntervalMs: 0 });
      const w = new Workload(store, seed);
      const rand = rng(seed * 7919);
      // a small delta bound so that compaction also runs inside applyEntries
      const learner = new Learner({ deltaRowsMax: 300 });
      let compared = 0;
      let dropped = 0;
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 20; i++) await w.step();
        await feed(store, learner);
        compared += check(learner, w, rand, 6, seed);
        if (rand() < 0.7) {
          // a read pinned at a random recent timestamp: compaction keeps what it sees and drops older dead versions
          const stamps = [...w.history.keys()].filter((ts) => ts >= learner.horizonTs);
          const pinTs = stamps[Math.floor(rand() * stamps.length)] ?? learner.appliedTs;
          learner.pin(pinTs);
          dropped += learner.compact();
          compared += check(learner, w, rand, 6, seed);
          learner.unpin(pinTs);
        }
      }
      expect(compared).toBeGreaterThan(50);
      expect(dropped).toBeGreaterThan(0);
      expect(learner.compactions).toBeGreaterThan(3);
      await store.close();
    });
  }
});

// The learner crashing: killed (thread terminated, no final save) at random points of a random transactional
// workload, sometimes leaving what a crash in the middle of a save leaves, then restarted; afterwards scans at
// random timestamps equal the row store at those timestamps, row for row. And read-your-writes through the
// column path in SQL: a commit followed by a column-path read sees it, every time. Failures print their seed.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { LearnerReplica, type LearnerReplicaOptions } from '../../olap/learner/client.ts';
import { Database } from '../../query/database.ts';
import { canon, rng, Workload } from './workload.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-learner-crash-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Compares the learner with the recorded row-store history at `samples` random timestamps it can serve. */
async function compareAtRandomTimestamps(replica: LearnerReplica, w: Workload, rand: () => number, samples: number, seed: number): Promise<number> {
  const status = await replica.status();
  const ids = new Map(status.tables.map((t) => [t.name, t.id]));
  const stamps = [...w.history.keys()].filter((ts) => ts >= status.horizonTs && ts <= status.appliedTs);
  let compared = 0;
  for (let k = 0; k < samples && stamps.length > 0; k++) {
    const ts = stamps[Math.floor(rand() * stamps.length)]!;
    for (const [name, state] of w.history.get(ts)!) {
      if (ids.get(name) !== state.id) continue; // dropped since (the learner forgets dropped tables at once)
      const r = await replica.read(name, { ts });
      expect(canon(r.batches.flatMap(batchToRows)), `seed ${seed}: table ${name} at ts ${ts}`).toEqual(state.rows);
      compared++;
    }
  }
  return compared;
}

/** The applied index of the learner's last save on disk (0 before the first). */
function savedIndex(learnerDir: string): number {
  const path = join(learnerDir, 'manifest.json');
  if (!existsSync(path)) return 0;
  return (JSON.parse((JSON.parse(readFileSync(path, 'utf8')) as { body: string }).body) as { appliedIndex: number }).appliedIndex;
}

async function crashAndRestart(seed: number, worker: boolean, rounds: number): Promise<void> {
  const rand = rng(seed * 48271);
  const dir = tempDir();
  const learnerDir = join(dir, 'learner');
  const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
  const w = new Workload(store, seed);
  // small bounds so that compactions and saves happen often and a kill can land in the middle of either
  const options: LearnerReplicaOptions = {
    worker, dir: learnerDir, deltaRowsMax: 300, compactDeltaRows: 40,
    persistEntries: 10 + Math.floor(rand() * 30), applyEntriesMax: 1 + Math.floor(rand() * 16), applyIntervalMs: Math.floor(rand() * 3),
  };
  let replica = await LearnerReplica.start(store, options);
  let compared = 0;
  let killedBehind = 0;
  for (let round = 0; round < rounds; round++) {
    // the learner follows while transactions commit, and is killed after a random number of them
    const steps = 5 + Math.floor(rand() * 30);
    for (let i = 0; i < steps; i++) await w.step();
    if (rand() < 0.5) await new Promise((r) => setTimeout(r, Math.floor(rand() * 4)));
    const before = store.stats.appliedIndex;
    await replica.kill();
    if (savedIndex(learnerDir) < before) killedBehind++;
    if (rand() < 0.5) {
      // what a crash in the middle of a save leaves: a half-written manifest temp file, a segment no manifest names
      mkdirSync(learnerDir, { recursive: true });
      writeFileSync(join(learnerDir, 'manifest.json.tmp'), '{"crc":12345,"body":"{\\"format\\":1,\\"appl');
      writeFileSync(join(learnerDir, `t1-s0-${9_000_000_000 + round}.parquet`), Buffer.from('PAR1 half a segment'));
    }
    for (let i = Math.floor(rand() * 10); i > 0; i--) await w.step(); // commits while the learner is down
    replica = await LearnerReplica.start(store, options);
    await replica.caughtUp();
    const status = await replica.status();
    expect(status.rebuilds, `seed ${seed}: files were never damaged, so no snapshot rebuild`).toBe(0);
    expect(status.lastDamage, `seed ${seed}`).toBeUndefined();
    expect(status.appliedIndex, `seed ${seed}`).toBe(store.stats.appliedIndex);
    compared += await compareAtRandomTimestamps(replica, w, rand, 4, seed);
  }
  // kills lost state that was not saved yet: restarts replayed the log from the last save
  expect(killedBehind, `seed ${seed}`).toBeGreaterThan(0);
  expect(compared, `seed ${seed}`).toBeGreaterThan(rounds);
  await replica.close();
  await store.close();
}

describe('learner crashing and restarting (differential)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}, in-process learner: killed at random points, restarted, scans equal the row store`, async () => {
      await crashAndRestart(seed, false, 4);
    });
  }
  it('seed 4, worker-thread learner (terminated, writer thread included): scans equal the row store after restarts', async () => {
    await crashAndRestart(4, true, 2);
  });
});

describe('read-your-writes through the column path', () => {
  it('a commit followed by a forced column-path SELECT sees it, every time (4 sessions at once)', async () => {
    const db = await Database.open(tempDir(), { learner: true });
    await db.query('CREATE TABLE acct (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, balance INTEGER NOT NULL)');
    const iterations = 40;
    await Promise.all([0, 1, 2, 3].map(async (owner) => {
      const rand = rng(1000 + owner);
      const s = db.session();
      await s.query("SET duet.engine = 'column'");
      const model = new Map<number, number>();
      for (let i = 0; i < iterations; i++) {
        const id = owner * 1000 + Math.floor(rand() * 8);
        const balance = Math.floor(rand() * 1000);
        if (!model.has(id)) {
          await s.query(`INSERT INTO acct VALUES (${id}, ${owner}, ${balance})`);
          model.set(id, balance);
        } else if (rand() < 0.3) {
          await s.query(`DELETE FROM acct WHERE id = ${id}`);
          model.delete(id);
        } else {
          await s.query(`UPDATE acct SET balance = ${balance} WHERE id = ${id}`);
          model.set(id, balance);
        }
        const r = await s.query(`SELECT count(*), coalesce(sum(balance), 0) FROM acct WHERE owner = ${owner}`);
        const sum = [...model.values()].reduce((a, b) => a + b, 0);
        expect(r.rows, `owner ${owner}, iteration ${i}`).toEqual([[model.size, sum]]);
        if (i % 10 === 9) {
          // the same read is served by the learner, not by the row path after a fall-back
          const plan = (await s.query(`EXPLAIN ANALYZE SELECT count(*), coalesce(sum(balance), 0) FROM acct WHERE owner = ${owner}`)).rows.map((x) => String(x[0]));
          expect(plan[0]).toMatch(/^path: column/);
          expect(plan[0]).not.toMatch(/fell back/);
        }
      }
      await s.close();
    }));
    await db.close();
  });
});

// Routing a statement that the plan alone sends to rows (points, short key ranges, tiny tables) asks the learner
// nothing: no status, no fragment. EXPLAIN still asks it (its first line names both estimates), and a counted range
// that grew is routed again once its kept decision ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Database } from '../../query/database.ts';
import { learnerOf, type LearnerReplica } from '../../olap/learner/index.ts';

const ROWS = 5000;
let dir: string;
let db: Database;
let learner: LearnerReplica;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-quick-route-'));
  db = await Database.open(dir, { learner: { worker: false } });
  await db.query('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)');
  // a block of keys far above the ranges below, and five small keys they read
  await db.query(`INSERT INTO t VALUES ${Array.from({ length: ROWS }, (_, i) => `(${1_000_000 + i}, ${i % 13})`).join(', ')}`);
  await db.query('INSERT INTO t VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)');
  await db.query('CREATE TABLE tiny (id INTEGER PRIMARY KEY, name TEXT)');
  await db.query("INSERT INTO tiny VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  learner = learnerOf(db.store)!;
  await learner.caughtUp();
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Counts the router's ways of reaching the learner while `fn` runs. */
async function learnerCalls(fn: () => Promise<void>): Promise<number> {
  const spies = [vi.spyOn(learner, 'status'), vi.spyOn(learner, 'runFragment'), vi.spyOn(learner, 'whenApplied')];
  try {
    await fn();
    return spies.reduce((n, s) => n + s.mock.calls.length, 0);
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('routing without the learner', () => {
  it('points, short key ranges and a tiny table run on rows on auto without a message to the learner', async () => {
    const s = db.session();
    try {
      const seen: unknown[] = [];
      const calls = await learnerCalls(async () => {
        // none of these is the point-read fast path (an aggregate, a range, a whole table): each is routed
        for (let i = 0; i < 3; i++) {
          seen.push((await s.query('SELECT count(*) AS n, sum(v) AS s FROM t WHERE k = 3')).rows);
          expect(s.lastPath).toBe('row');
          seen.push((await s.query('SELECT k FROM t WHERE k BETWEEN 2 AND 4 ORDER BY k')).rows);
          expect(s.lastPath).toBe('row');
          seen.push((await s.query('SELECT name FROM tiny ORDER BY id')).rows);
          expect(s.lastPath).toBe('row');
          seen.push((await s.query('SELECT sum(v) AS s FROM t WHERE k BETWEEN $1 AND $2', [1, 2 + i])).rows);
          expect(s.lastPath).toBe('row');
        }
      });
      expect(calls).toBe(0);
      expect(seen.slice(0, 4)).toEqual([[[1, 3]], [[2], [3], [4]], [['a'], ['b'], ['c']], [[3]]]);
      expect(seen[11]).toEqual([[10]]);
    } finally {
      await s.close();
    }
  });

  it("EXPLAIN's first line still names both estimates", async () => {
    const line = String((await db.query('EXPLAIN SELECT k FROM t WHERE k BETWEEN 2 AND 4')).rows[0]![0]);
    expect(line).toMatch(/^path: row \(cost 3; column \d+(\.\d)?\)$/);
  });

  it('a large table still goes to the column path on auto (and that is seen as learner calls)', async () => {
    const s = db.session();
    try {
      let got: unknown;
      const calls = await learnerCalls(async () => {
        got = (await s.query('SELECT count(*) AS n FROM t WHERE k >= 0')).rows;
      });
      expect(got).toEqual([[ROWS + 5]]);
      expect(s.lastPath).toBe('column');
      expect(calls).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });

  it('a counted range that grew past the column path is routed again after enough commits', async () => {
    const s = db.session();
    const sql = 'SELECT count(*) AS n FROM t WHERE k BETWEEN 1 AND 999999';
    try {
      await s.query(sql);
      expect(s.lastPath).toBe('row');
      // 40 commits of 100 rows into the range: more commits than a kept decision outlives
      for (let c = 0; c < 40; c++) {
        await db.query(`INSERT INTO t VALUES ${Array.from({ length: 100 }, (_, i) => `(${10 + c * 100 + i}, 0)`).join(', ')}`);
      }
      await learner.caughtUp();
      const got = await s.query(sql);
      expect(got.rows).toEqual([[4005]]);
      expect(s.lastPath).toBe('column');
    } finally {
      await s.close();
    }
  });
});

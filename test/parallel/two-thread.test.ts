// The two-thread column path through SQL: aggregates over a learner table of several stable blocks plus a
// delta give the same rows with the helper thread forced (SET duet.parallel_min_blocks = 0), on one
// thread and on the row path; EXPLAIN ANALYZE shows the helper took part; errors raised on either thread
// reach the client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HelperThread } from '../../olap/parallel/helper-client.ts';
import { claimed } from '../../olap/parallel/morsel.ts';
import { Database } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';

const ROWS = 20_000;
let db: Database;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-parallel-'));
  db = await Database.open(dir, { learner: { worker: false } });
  await db.query('CREATE TABLE p (a INTEGER PRIMARY KEY, g VARCHAR(4), h INTEGER, d DECIMAL(12, 2), s VARCHAR(20))');
  for (let start = 0; start < ROWS; start += 2000) {
    const values: string[] = [];
    for (let a = start; a < start + 2000; a++) {
      const h = a % 11 === 0 ? 'NULL' : String(a % 7);
      const d = a % 13 === 0 ? 'NULL' : `${(a * 37) % 100000}.${String(a % 100).padStart(2, '0')}`;
      values.push(`(${a}, 'g${a % 5}', ${h}, ${d}, 'row ${a % 997} é')`);
    }
    await db.query(`INSERT INTO p VALUES ${values.join(', ')}`);
  }
  await db.query('CREATE TABLE q (h INTEGER PRIMARY KEY, name VARCHAR(10))');
  await db.query("INSERT INTO q VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three'), (5, 'five')");
  const replica = learnerOf(db.store)!;
  await replica.caughtUp();
  await replica.compact();
  // a delta on top: updates end stable versions in place, deletes, new rows
  await db.query('UPDATE p SET d = d + 1000 WHERE a % 300 = 1');
  await db.query('DELETE FROM p WHERE a % 333 = 2');
  await db.query("INSERT INTO p VALUES (100000, 'g9', 1, 5.55, 'new')");
  // the join's other side has rows only in the delta too (the helper gets them from the learner)
  await db.query("INSERT INTO q VALUES (6, 'six')");
  await db.query("UPDATE q SET name = 'uno' WHERE h = 1");
}, 120_000);
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows(sql: string, setup: string[]): Promise<string[]> {
  const s = db.session();
  try {
    for (const q of setup) await s.query(q);
    const r = await s.query(sql);
    return r.rows.map((row) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
  } finally {
    await s.close();
  }
}

const ROW = ["SET duet.engine = 'row'"];
const ONE = ["SET duet.engine = 'column'", 'SET duet.parallel_min_blocks = 1000000'];
const TWO = ["SET duet.engine = 'column'", 'SET duet.parallel_min_blocks = 0'];

const QUERIES = [
  'SELECT count(*), sum(d), avg(d), min(s), max(s), min(d), max(h), count(h), avg(h) FROM p',
  'SELECT g, h, count(*), sum(d), avg(d), min(s) FROM p WHERE a > 1234 GROUP BY g, h',
  "SELECT g, sum(d) FILTER (WHERE h > 2), count(*) FILTER (WHERE s LIKE 'row 1%') FROM p GROUP BY g",
  'SELECT h, avg(d + 1) AS x FROM p WHERE d > 500 GROUP BY h ORDER BY x DESC LIMIT 3',
  'SELECT count(*) FROM p WHERE a < 0',
  'SELECT g, count(*) FROM p WHERE a < 0 GROUP BY g',
  // joins: the large scan is split into morsels, the other side read whole by both threads
  'SELECT q.name, count(*), sum(p.d), avg(p.d) FROM p JOIN q ON p.h = q.h WHERE p.a > 100 GROUP BY q.name',
  'SELECT q.name, count(p.a), max(p.s) FROM q LEFT JOIN p ON p.h = q.h AND p.a < 5000 GROUP BY q.name',
  'SELECT g, count(*) FROM p WHERE EXISTS (SELECT 1 FROM q WHERE q.h = p.h) GROUP BY g',
  'SELECT g, count(*), sum(d) FROM p WHERE NOT EXISTS (SELECT 1 FROM q WHERE q.h = p.h) GROUP BY g',
  'SELECT x.g, count(*) FROM p x JOIN p y ON x.a = y.a + 1 WHERE y.h = 3 GROUP BY x.g',
];

describe('two-thread column path', () => {
  for (const q of QUERIES) {
    it(q, async () => {
      const row = await rows(q, ROW);
      expect(await rows(q, ONE)).toEqual(row);
      expect(await rows(q, TWO)).toEqual(row);
    });
  }

  it('EXPLAIN ANALYZE shows the helper thread on the scan it shared', async () => {
    const s = db.session();
    for (const q of TWO) await s.query(q);
    const plan = (await s.query('EXPLAIN ANALYZE SELECT g, count(*) FROM p GROUP BY g')).rows.map((r) => String(r[0]));
    await s.close();
    const scan = plan.find((l) => /Scan/i.test(l) && /blocks read=/.test(l));
    expect(scan).toMatch(/workers=2/);
    // every stable block is read exactly once by one of the two threads
    expect(Number(/blocks read=(\d+)/.exec(scan!)![1])).toBe(Math.ceil(ROWS / 2048));
  });

  it('a helper that falls behind: the learner reads the morsels it claimed itself, same answer', async () => {
    // a helper that claims two morsels of the split scan and then never answers (as one starved of CPU)
    const run = vi.spyOn(HelperThread.prototype, 'run').mockImplementation((msg) => {
      const split = msg.scans.find((s) => s.split)!;
      const taken = claimed([...split.blocks], msg.counter, msg.morselBlocks);
      for (let k = 0; k < 2 * msg.morselBlocks && !taken.next().done; k++);
      return new Promise(() => undefined);
    });
    try {
      const q = 'SELECT g, count(*), sum(d), avg(d), max(s) FROM p GROUP BY g';
      expect(await rows(q, TWO)).toEqual(await rows(q, ROW));
      const s = db.session();
      for (const x of TWO) await s.query(x);
      const plan = (await s.query(`EXPLAIN ANALYZE ${q}`)).rows.map((r) => String(r[0]));
      await s.close();
      const scan = plan.find((l) => /blocks read=/.test(l))!;
      expect(scan).toMatch(/workers=2 helper read=0/);
      expect(Number(/blocks read=(\d+)/.exec(scan)![1])).toBe(Math.ceil(ROWS / 2048));
      expect(run).toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  });

  it('a query error on the shared scan reaches the client', async () => {
    const s = db.session();
    for (const q of TWO) await s.query(q);
    await expect(s.query('SELECT sum(100 / (a - 15000)) FROM p')).rejects.toMatchObject({ code: '22012' });
    await s.close();
  });

  it('rejects a bad setting', async () => {
    await expect(db.query('SET duet.parallel_min_blocks = -1')).rejects.toMatchObject({ code: '22023' });
  });
});

// The column-path fragment runs inside the learner's worker thread and answers in Arrow: results equal the
// row path's for every type (NULLs, decimals, dates, timestamps, text, booleans, empty results), reads are
// at the transaction's snapshot, EXPLAIN ANALYZE shows per-operator rows and per-scan blocks read/skipped,
// and a cancel stops the fragment on the learner.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';
import { DuetError } from '../../oltp/errors.ts';
import { learnerOf } from '../../olap/learner/index.ts';

let db: Database;
let dir: string;
const ROWS = 10_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-fragment-'));
  db = await Database.open(dir, { learner: true }); // the worker thread, as in production
  await db.query('CREATE TABLE t (id INT PRIMARY KEY, k BIGINT, price DECIMAL(12,2), d DATE, ts TIMESTAMP, name TEXT, flag BOOLEAN, x DOUBLE PRECISION)');
  for (let start = 1; start <= ROWS; start += 2000) {
    const values: string[] = [];
    for (let i = start; i < start + 2000; i++) {
      const nul = i % 11 === 0;
      values.push(`(${i}, ${nul ? 'NULL' : i * 1_000_003}, ${nul ? 'NULL' : `${i % 997}.${String(i % 100).padStart(2, '0')}`}, ${nul ? 'NULL' : `DATE '1995-01-01' + ${i % 400}`}, ${nul ? 'NULL' : `TIMESTAMP '2020-02-29 12:34:56.789' `}, ${nul ? 'NULL' : `'név ${i % 37}'`}, ${nul ? 'NULL' : i % 3 === 0 ? 'TRUE' : 'FALSE'}, ${nul ? 'NULL' : i / 7})`);
    }
    await db.query(`INSERT INTO t VALUES ${values.join(', ')}`);
  }
  await learnerOf(db.store)!.caughtUp();
}, 120_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function both(sql: string): Promise<{ row: unknown[][]; column: unknown[][] }> {
  const before = learnerOf(db.store)!.fragments.served;
  const row = (await db.query(`/*+ engine(row) */ ${sql}`)).rows;
  const column = (await db.query(`/*+ engine(column) */ ${sql}`)).rows;
  expect(learnerOf(db.store)!.fragments.served).toBe(before + 1);
  return { row, column };
}

describe('column-path fragment in the learner worker', () => {
  it.each([
    'SELECT * FROM t ORDER BY id',
    'SELECT name, count(*), sum(price), avg(x), min(d), max(ts), count(flag), count(k) FROM t GROUP BY name ORDER BY name',
    'SELECT id, price * 3, k + 1, d, name || \'!\' FROM t WHERE id > 9000 AND flag ORDER BY id',
    'SELECT * FROM t WHERE id < 0',
    'SELECT NULL AS nothing, count(*) FROM t',
    'SELECT a.name, count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE b.price > 500 GROUP BY a.name ORDER BY 2 DESC, 1 LIMIT 5',
  ])('equals the row path: %s', async (sql) => {
    const { row, column } = await both(sql);
    expect(column).toEqual(row);
  });

  it('reads at the transaction snapshot: a REPEATABLE READ transaction does not see a later commit', async () => {
    const s = db.session();
    try {
      await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const first = await s.query('/*+ engine(column) */ SELECT count(*), sum(id) FROM t');
      await db.query(`INSERT INTO t (id) VALUES (${ROWS + 1})`);
      const again = await s.query('/*+ engine(column) */ SELECT count(*), sum(id) FROM t');
      expect(again.rows).toEqual(first.rows);
      await s.query('COMMIT');
      expect((await s.query('/*+ engine(column) */ SELECT count(*) FROM t')).rows).toEqual([[ROWS + 1]]);
    } finally {
      await db.query(`DELETE FROM t WHERE id = ${ROWS + 1}`);
      await s.close();
    }
  });

  it('EXPLAIN ANALYZE shows actual rows per operator and blocks read/skipped per scan', async () => {
    const plan = (await db.query("/*+ engine(column) */ EXPLAIN ANALYZE SELECT count(*) FROM t WHERE id > 9000")).rows.map((r) => String(r[0]));
    expect(plan[0]).toMatch(/^path: column .*blocks scanned=1 pruned=4/);
    const scan = plan.find((l) => l.includes('Scan on t'));
    expect(scan).toMatch(/actual rows=1000 .*blocks read=1 skipped=4/);
    expect(plan.find((l) => l.includes('HashAggregate'))).toMatch(/actual rows=1 /);
  });

  it('a cancelled statement stops its fragment on the learner; the replica keeps serving', async () => {
    const replica = learnerOf(db.store)!;
    const s = db.session();
    // three-way cross join: 10^12 pairs, it never ends by itself within the test
    const long = s.query('/*+ engine(column) */ SELECT count(*) FROM t a, t b, t c WHERE a.x + b.x + c.x < 0');
    setTimeout(() => s.cancel(), 300);
    const error = await long.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DuetError);
    expect((error as DuetError).code).toBe('57014');
    await s.close();
    // the learner dropped the fragment (the cancel message got in between batches)
    let open = (await replica.status()).fragmentsOpen;
    for (let i = 0; i < 200 && open !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      open = (await replica.status()).fragmentsOpen;
    }
    expect(open).toBe(0);
    expect((await db.query('/*+ engine(column) */ SELECT count(*) FROM t')).rows).toEqual([[ROWS]]);
  }, 60_000);
});

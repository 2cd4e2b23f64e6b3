// The point-read fast path (query/run/point.ts): primary-key point SELECTs skip the executor and must
// answer exactly what the executor answers (forced here with duet.engine = 'column', which without a
// learner runs the plan through the executor on the row path).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import type { Value } from '../../oltp/types.ts';
import { pointReadCounters } from '../../query/run/point.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query('CREATE TABLE pr (a INTEGER, b VARCHAR(10), v DECIMAL(10,2), d DATE, f BOOLEAN, t TEXT, PRIMARY KEY (a, b))');
  const rows: string[] = [];
  for (let a = 0; a < 30; a++) {
    for (const b of ['x', 'y', "it's"]) {
      rows.push(`(${a}, '${b.replace(/'/g, "''")}', ${a % 7 === 0 ? 'NULL' : `${a}.${a % 10}5`}, DATE '2024-01-01' + ${a}, ${a % 3 === 0 ? 'NULL' : a % 2 === 0}, ${a % 5 === 0 ? 'NULL' : `'t${a}'`})`);
    }
  }
  await db.query(`INSERT INTO pr VALUES ${rows.join(', ')}`);
  await db.query('CREATE TABLE one (id INTEGER PRIMARY KEY, n INTEGER)');
  await db.query('INSERT INTO one VALUES (1, 10), (2, NULL), (3, 0)');
});
afterAll(async () => cleanup());

/** Runs `sql` through the fast path and through the executor; returns both results. */
async function both(sql: string, params: Value[] = []): Promise<{ fast: unknown; executor: unknown; served: number }> {
  const before = pointReadCounters.served;
  const fast = await db.query(sql, params);
  const served = pointReadCounters.served - before;
  await db.query("SET duet.engine = 'column'");
  try {
    const executor = await db.query(sql, params);
    return { fast: { columns: fast.columns, rows: fast.rows }, executor: { columns: executor.columns, rows: executor.rows }, served };
  } finally {
    await db.query("SET duet.engine = 'auto'");
  }
}

describe('point-read fast path', () => {
  it('answers like the executor: every key, filters, projections, NULLs, missing keys', async () => {
    const statements: [string, Value[]][] = [];
    // a = 30 and b = 'zz' are missing keys (a negative literal becomes -$n in the shared shape: not a point plan)
    for (let a = 0; a <= 30; a += 3) {
      for (const b of ['x', "it's", 'zz']) {
        statements.push(['SELECT * FROM pr WHERE a = $1 AND b = $2', [a, b]]);
        statements.push(['SELECT v * 2 AS w, d, a + 1, t || b FROM pr WHERE b = $2 AND a = $1 AND f', [a, b]]);
        statements.push([`SELECT t, v FROM pr WHERE a = ${a} AND b = '${b.replace(/'/g, "''")}' AND (v > 3 OR v IS NULL)`, []]);
      }
    }
    let served = 0;
    for (const [sql, params] of statements) {
      const r = await both(sql, params);
      expect(r.fast, sql).toEqual(r.executor);
      served += r.served;
    }
    // every statement above is a full primary-key point read
    expect(served).toBe(statements.length);
  });

  it('a NULL key matches nothing; errors in the projection surface as with the executor', async () => {
    const r = await both('SELECT n FROM one WHERE id = $1', [null]);
    expect(r.fast).toEqual(r.executor);
    expect((r.fast as { rows: unknown[] }).rows).toEqual([]);
    await expect(db.query('SELECT 10 / n FROM one WHERE id = 3')).rejects.toMatchObject({ code: '22012' });
    expect((await db.query('SELECT 10 / n AS q FROM one WHERE id = $1', [1])).rows).toEqual([[1]]);
  });

  it("is not taken for a key prefix; inside a transaction it sees the transaction's own writes", async () => {
    let before = pointReadCounters.served;
    const prefix = await db.query('SELECT b FROM pr WHERE a = 4 ORDER BY b');
    expect(prefix.rows).toEqual([["it's"], ['x'], ['y']]);
    expect(pointReadCounters.served).toBe(before);
    const s = db.session();
    try {
      await s.query('BEGIN');
      await s.query('UPDATE one SET n = 99 WHERE id = 1');
      before = pointReadCounters.served;
      expect((await s.query('SELECT n FROM one WHERE id = 1')).rows).toEqual([[99]]);
      expect(pointReadCounters.served).toBe(before + 1);
      await s.query('ROLLBACK');
      expect((await s.query('SELECT n FROM one WHERE id = 1')).rows).toEqual([[10]]);
    } finally {
      await s.close();
    }
  });
});

// End-to-end SQL through Database.query: DDL, DML with RETURNING, queries, parameters, result formats.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query(`CREATE TABLE t (a INTEGER PRIMARY KEY, b VARCHAR(10) NOT NULL DEFAULT 'x', c DECIMAL(15,2), d DATE, e DOUBLE PRECISION)`);
  await db.query(`INSERT INTO t VALUES (1, 'one', 1.50, DATE '2024-01-31', 0.5), (2, 'two', 2.25, '2024-02-29', NULL), (3, 'three', NULL, NULL, 1e3)`);
});
afterAll(async () => cleanup());

describe('basic SQL', () => {
  it('selects expressions without a table', async () => {
    const r = await db.query(`SELECT 1 + 2 AS x, 'a' || 'b' AS s, 7 / 2 AS q, 7.0 / 2 AS d`);
    expect(r.columns.map((c) => c.name)).toEqual(['x', 's', 'q', 'd']);
    expect(r.rows[0]!.slice(0, 3)).toEqual([3, 'ab', 3]);
    expect(Number(r.rows[0]![3])).toBe(3.5);
  });

  it('formats decimals, dates and doubles', async () => {
    const r = await db.query('SELECT a, c, d, e FROM t ORDER BY a');
    expect(r.rows).toEqual([
      [1, '1.50', '2024-01-31', 0.5],
      [2, '2.25', '2024-02-29', null],
      [3, null, null, 1000],
    ]);
  });

  it('applies DEFAULT and RETURNING on insert', async () => {
    const r = await db.query('INSERT INTO t (a) VALUES (10) RETURNING a, b');
    expect(r.command).toBe('INSERT 0 1');
    expect(r.rows).toEqual([[10, 'x']]);
    await db.query('DELETE FROM t WHERE a = 10');
  });

  it('keeps decimal arithmetic exact', async () => {
    const r = await db.query('SELECT sum(c), c * 2, c + 0.005 FROM t WHERE a = 1 GROUP BY c');
    expect(r.rows).toEqual([['1.50', '3.00', '1.505']]);
  });

  it('aggregates with GROUP BY, HAVING and ORDER BY', async () => {
    const r = await db.query('SELECT a % 2 AS k, count(*) AS n FROM t GROUP BY a % 2 HAVING count(*) >= 1 ORDER BY k DESC');
    expect(r.rows).toEqual([[1, 2], [0, 1]]);
  });

  it('updates and deletes with WHERE and RETURNING', async () => {
    const u = await db.query('UPDATE t SET c = c + 1 WHERE a = 1 RETURNING a, c');
    expect(u.rows).toEqual([[1, '2.50']]);
    const d = await db.query(`INSERT INTO t (a, b) VALUES (20, 'tmp')`);
    expect(d.rowCount).toBe(1);
    const del = await db.query('DELETE FROM t WHERE b = $1 RETURNING a', ['tmp']);
    expect(del.rows).toEqual([[20]]);
    await db.query('UPDATE t SET c = c - 1 WHERE a = 1');
  });

  it('binds $n parameters by the type they meet', async () => {
    expect((await db.query('SELECT b FROM t WHERE a = $1', [2])).rows).toEqual([['two']]);
    expect((await db.query('SELECT a FROM t WHERE d = $1', ['2024-01-31'])).rows).toEqual([[1]]);
    expect((await db.query('SELECT a FROM t WHERE c > $1 ORDER BY a', [2])).rows).toEqual([[2]]);
  });

  it('handles NULL with three-valued logic', async () => {
    const r = await db.query('SELECT a FROM t WHERE NOT (c > 2) ORDER BY a');
    expect(r.rows).toEqual([[1]]);
    const n = await db.query('SELECT count(c), count(*) FROM t');
    expect(n.rows).toEqual([[2, 3]]);
  });

  it('IS [NOT] DISTINCT FROM treats NULLs as equal values', async () => {
    const r = await db.query('SELECT a, c IS DISTINCT FROM NULL, c IS NOT DISTINCT FROM 2.25 FROM t ORDER BY a');
    expect(r.rows).toEqual([[1, true, false], [2, true, true], [3, false, false]]);
  });

  it('INSERT ... SELECT ... RETURNING, VALUES in FROM, window functions rejected', async () => {
    const r = await db.query(`INSERT INTO t (a, b) SELECT a + 100, b FROM t WHERE a < 3 RETURNING a, b`);
    expect(r.rows).toEqual([[101, 'one'], [102, 'two']]);
    await db.query('DELETE FROM t WHERE a > 100');
    expect((await db.query('SELECT sum(x) FROM (VALUES (1), (2), (3)) AS v(x)')).rows).toEqual([[6]]);
    await expect(db.query('SELECT a, count(*) OVER () FROM t')).rejects.toMatchObject({ code: '0A000' });
  });

  it('aggregate FILTER, LIMIT ALL, FETCH FIRST, = ANY / <> ALL, NATURAL JOIN', async () => {
    expect((await db.query('SELECT count(*) FILTER (WHERE a > 1), sum(a) FILTER (WHERE a < 3) FROM t')).rows).toEqual([[2, 3]]);
    expect((await db.query('SELECT a FROM t ORDER BY a LIMIT ALL')).rows).toEqual([[1], [2], [3]]);
    expect((await db.query('SELECT a FROM t ORDER BY a DESC FETCH FIRST 2 ROWS ONLY')).rows).toEqual([[3], [2]]);
    expect((await db.query('SELECT a FROM t WHERE a = ANY (SELECT a FROM t WHERE a > 1) ORDER BY a')).rows).toEqual([[2], [3]]);
    expect((await db.query('SELECT a FROM t WHERE a <> ALL (SELECT a FROM t WHERE a > 1)')).rows).toEqual([[1]]);
    const n = await db.query('SELECT * FROM t NATURAL JOIN (SELECT a, 1 AS one FROM t WHERE a = 2) AS s');
    expect(n.columns.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'one']);
    expect(n.rows.map((r) => r[0])).toEqual([2]);
  });

  it('joins on keys of different numeric types', async () => {
    await db.query('CREATE TABLE mix (y DECIMAL(10,3), z INTEGER)');
    await db.query('INSERT INTO mix VALUES (1.5, 1), (2.25, 2), (3, 3)');
    expect((await db.query('SELECT t.a, mix.y FROM t JOIN mix ON t.c = mix.y ORDER BY 1')).rows).toEqual([[1, '1.500'], [2, '2.250']]);
    expect((await db.query('SELECT t.a, mix.z FROM t JOIN mix ON t.a = mix.y ORDER BY 1')).rows).toEqual([[3, 3]]);
    await db.query('DROP TABLE mix');
  });

  it('CURRENT_TIMESTAMP / now() / CURRENT_DATE read the clock at every execution (never a cached plan)', async () => {
    const before = Date.now();
    const [ts, now, today, local] = (await db.query('SELECT CURRENT_TIMESTAMP, now(), CURRENT_DATE, LOCALTIMESTAMP')).rows[0] as string[];
    const ms = Date.parse(ts!.replace(' ', 'T') + 'Z');
    expect(ms).toBeGreaterThanOrEqual(before - 1);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
    expect(now!.slice(0, 10)).toBe(today);
    expect(local!.slice(0, 10)).toBe(today);
    await db.query('CREATE TABLE hist (id INTEGER, ts TIMESTAMP)');
    await db.query('INSERT INTO hist VALUES (1, CURRENT_TIMESTAMP)');
    await new Promise((r) => setTimeout(r, 5));
    await db.query('INSERT INTO hist VALUES (2, CURRENT_TIMESTAMP)');
    const r = await db.query('SELECT count(DISTINCT ts), min(ts) < max(ts) FROM hist');
    expect(r.rows).toEqual([[2, true]]);
    await db.query('DROP TABLE hist');
  });

  it('joins tables', async () => {
    const r = await db.query('SELECT x.a, y.a FROM t x JOIN t y ON x.a = y.a + 1 ORDER BY 1');
    expect(r.rows).toEqual([[2, 1], [3, 2]]);
    const l = await db.query('SELECT x.a, y.a FROM t x LEFT JOIN t y ON x.a = y.a - 1 ORDER BY 1');
    expect(l.rows).toEqual([[1, 2], [2, 3], [3, null]]);
  });
});

// Subqueries end to end: EXISTS / IN / NOT IN as semi and anti joins, scalar subqueries (correlated
// with equality and non-equality predicates), subqueries outside WHERE, set operations and CTEs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query('CREATE TABLE t1 (a INTEGER, b INTEGER, c INTEGER)');
  await db.query('CREATE TABLE t2 (x INTEGER PRIMARY KEY, y INTEGER)');
  await db.query('INSERT INTO t1 VALUES (1, 10, 100), (2, 20, 200), (3, NULL, 300), (4, 40, NULL)');
  await db.query('INSERT INTO t2 VALUES (1, 10), (2, 10), (3, 30)');
});
afterAll(async () => cleanup());

const rows = async (sql: string) => (await db.query(sql)).rows;

describe('subqueries', () => {
  it('EXISTS and NOT EXISTS (correlated)', async () => {
    expect(await rows('SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.x = t1.a) ORDER BY a')).toEqual([[1], [2], [3]]);
    expect(await rows('SELECT a FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE t2.x = t1.a) ORDER BY a')).toEqual([[4]]);
  });

  it('IN and NOT IN with NULLs', async () => {
    expect(await rows('SELECT a FROM t1 WHERE a IN (SELECT x FROM t2) ORDER BY a')).toEqual([[1], [2], [3]]);
    // b = NULL is unknown for NOT IN, so a = 3 is not returned
    expect(await rows('SELECT a FROM t1 WHERE b NOT IN (SELECT y FROM t2) ORDER BY a')).toEqual([[2], [4]]);
    expect(await rows('SELECT a FROM t1 WHERE a NOT IN (SELECT b FROM t1 WHERE b IS NULL OR b = 10)')).toEqual([]);
  });

  it('scalar subqueries: uncorrelated, correlated count (no count bug), non-equality correlation', async () => {
    expect(await rows('SELECT a, (SELECT max(y) FROM t2) FROM t1 ORDER BY a')).toEqual([[1, 30], [2, 30], [3, 30], [4, 30]]);
    expect(await rows('SELECT a, (SELECT count(*) FROM t2 WHERE t2.y = t1.b) FROM t1 ORDER BY a')).toEqual([[1, 2], [2, 0], [3, 0], [4, 0]]);
    expect(await rows('SELECT a, (SELECT count(*) FROM t1 AS x WHERE x.b < t1.b) FROM t1 ORDER BY a')).toEqual([[1, 0], [2, 1], [3, 0], [4, 2]]);
    expect(await rows('SELECT a FROM t1 WHERE b > (SELECT avg(y) FROM t2 WHERE t2.x <= t1.a) ORDER BY a')).toEqual([[2], [4]]);
  });

  it('IN and EXISTS as values in the select list', async () => {
    expect(await rows('SELECT a, a IN (SELECT x FROM t2), EXISTS (SELECT 1 FROM t2 WHERE x = a + 1) FROM t1 ORDER BY a')).toEqual([
      [1, true, true], [2, true, true], [3, true, false], [4, false, false],
    ]);
  });

  it('subqueries over a grouped query read the group keys', async () => {
    expect(await rows('SELECT b, count(*), (SELECT count(*) FROM t2 WHERE t2.y = t1.b) FROM t1 GROUP BY b ORDER BY 1')).toEqual([[10, 1, 2], [20, 1, 0], [40, 1, 0], [null, 1, 0]]);
    expect(await rows('SELECT b FROM t1 GROUP BY b HAVING EXISTS (SELECT 1 FROM t2 WHERE t2.y = t1.b) ORDER BY b')).toEqual([[10]]);
    await expect(db.query('SELECT a, (SELECT count(*) FROM t2 WHERE t2.y = t1.b) FROM t1 GROUP BY a')).rejects.toMatchObject({ code: '42803' });
  });

  it('a scalar subquery returning more than one row is an error', async () => {
    await expect(db.query('SELECT (SELECT x FROM t2)')).rejects.toMatchObject({ code: '21000' });
  });

  it('set operations and CTEs', async () => {
    expect(await rows('WITH r AS (SELECT a, b FROM t1 WHERE b IS NOT NULL) SELECT * FROM r WHERE a > 1 UNION ALL SELECT x, y FROM t2 ORDER BY 1, 2')).toEqual([
      [1, 10], [2, 10], [2, 20], [3, 30], [4, 40],
    ]);
    expect(await rows('SELECT a FROM t1 INTERSECT SELECT x FROM t2 ORDER BY 1')).toEqual([[1], [2], [3]]);
    expect(await rows('SELECT a FROM t1 EXCEPT SELECT x FROM t2 ORDER BY 1')).toEqual([[4]]);
    expect(await rows('SELECT y FROM t2 UNION SELECT y FROM t2 ORDER BY 1')).toEqual([[10], [30]]);
  });
});

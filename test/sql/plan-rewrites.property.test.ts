// The column-path plan rewrites of query/optimize (implied OR pushdown, magic-set reduction of correlated
// aggregates, semi joins sunk into a join region, join order, top-down column pruning): EXPLAIN shows the
// rewrite, and over random small tables with NULLs the answers equal the SQL definition computed row by row.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { openTempDb } from './helpers.ts';

type N = number | null;
type Row = [N, N, N];
let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
});
afterAll(async () => cleanup());

const value = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 5 });
// k is the primary key of a (so joins on it are key joins), fk points into a
const tableA = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 6 }), value, value), { selector: (r) => r[0], maxLength: 7 });
const tableB = fc.array(fc.tuple(value, value, value), { maxLength: 9 });

async function load(a: Row[], b: Row[]): Promise<void> {
  await db.query('DROP TABLE IF EXISTS a; DROP TABLE IF EXISTS b; CREATE TABLE a (k INTEGER PRIMARY KEY, x INTEGER, y INTEGER); CREATE TABLE b (fk INTEGER, z INTEGER, w INTEGER)');
  const values = (rows: Row[]) => rows.map((r) => `(${r.map((v) => v ?? 'NULL').join(', ')})`).join(', ');
  if (a.length > 0) await db.query(`INSERT INTO a VALUES ${values(a)}`);
  if (b.length > 0) await db.query(`INSERT INTO b VALUES ${values(b)}`);
}

const eq = (p: N, q: N): boolean => p !== null && q !== null && p === q;
const lt = (p: N, q: N): boolean => p !== null && q !== null && p < q;
const sortRows = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
const pairs = (a: Row[], b: Row[]): [Row, Row][] => a.flatMap((ra) => b.filter((rb) => eq(ra[0], rb[0])).map((rb): [Row, Row] => [ra, rb]));

interface Case {
  readonly sql: string;
  /** A fragment EXPLAIN must show (the rewrite happened). */
  readonly explains: RegExp;
  readonly expected: (a: Row[], b: Row[]) => unknown[][];
}

const CASES: Case[] = [
  {
    // each table's share of the OR filters its scan before the join
    sql: 'SELECT a.k, b.z FROM a, b WHERE a.k = b.fk AND ((a.x = 1 AND b.z = 2) OR (a.y > 2 AND b.w < 3))',
    explains: /Filter: \(\(x = 1\) OR \(y > 2\)\)[\s\S]*Filter: \(\(z = 2\) OR \(w < 3\)\)|Filter: \(\(z = 2\) OR \(w < 3\)\)[\s\S]*Filter: \(\(x = 1\) OR \(y > 2\)\)/,
    expected: (a, b) => pairs(a, b).filter(([ra, rb]) => (eq(ra[1], 1) && eq(rb[1], 2)) || (lt(2, ra[2]) && lt(rb[2], 3))).map(([ra, rb]) => [ra[0], rb[1]]),
  },
  {
    // the correlated average is computed only for the keys the outer filter keeps (semi join into its input)
    sql: 'SELECT a.k FROM a WHERE a.x = 1 AND a.y < (SELECT avg(z) FROM b WHERE b.fk = a.k)',
    explains: /HashAggregate group by: fk[^\n]*\n\s*->  Hash Semi Join/,
    expected: (a, b) => a.filter((ra) => {
      const zs = b.filter((rb) => eq(rb[0], ra[0])).map((rb) => rb[1]).filter((z): z is number => z !== null);
      return eq(ra[1], 1) && zs.length > 0 && lt(ra[2], zs.reduce((p, q) => p + q, 0) / zs.length);
    }).map((ra) => [ra[0]]),
  },
  {
    // count over no rows is 0, not NULL: keys outside the reduced set must still see 0
    sql: 'SELECT a.k, (SELECT count(*) FROM b WHERE b.fk = a.k AND b.z > 1) FROM a WHERE a.y IS NOT NULL',
    explains: /Hash Semi Join/,
    expected: (a, b) => a.filter((ra) => ra[2] !== null).map((ra) => [ra[0], b.filter((rb) => eq(rb[0], ra[0]) && lt(1, rb[1])).length]),
  },
  {
    // IN (... GROUP BY ... HAVING) reduces a before it is joined with b
    sql: 'SELECT a.k, b.w FROM a, b WHERE a.k = b.fk AND a.k IN (SELECT fk FROM b GROUP BY fk HAVING count(*) > 1)',
    explains: /Hash Semi Join[^\n]*\n\s*->  Seq Scan on a/,
    expected: (a, b) => pairs(a, b).filter(([ra]) => b.filter((rb) => eq(rb[0], ra[0])).length > 1).map(([ra, rb]) => [ra[0], rb[2]]),
  },
  {
    // EXISTS (SELECT * ...) reads only the columns its condition needs
    sql: 'SELECT a.k FROM a WHERE EXISTS (SELECT * FROM b WHERE b.fk = a.k AND b.z <> a.x)',
    explains: /Seq Scan on b \(fk, z\)/,
    expected: (a, b) => a.filter((ra) => b.some((rb) => eq(rb[0], ra[0]) && rb[1] !== null && ra[1] !== null && rb[1] !== ra[1])).map((ra) => [ra[0]]),
  },
  {
    // b1.fk = a.x = b2.z implies b1.fk = b2.z: the filtered b2 joins b1 directly, before a
    sql: 'SELECT b1.z, a.k, b2.fk FROM b b1, a, b b2 WHERE b1.fk = a.x AND a.x = b2.z AND b2.w = 1',
    explains: /Hash Inner Join on (x = fk|fk = x|x = z|z = x)\s*\(?[^\n]*\n\s*->  Hash Inner Join on (fk = z|z = fk)/,
    expected: (a, b) => b.flatMap((b1) => a.flatMap((ra) => b.filter((b2) => eq(b1[0], ra[1]) && eq(ra[1], b2[1]) && eq(b2[2], 1)).map((b2) => [b1[1], ra[0], b2[0]]))),
  },
  {
    // a.x and a.y both meet b.fk: neither equality implies the other, the join keeps both
    sql: 'SELECT a.k, b.z FROM a, b WHERE a.x = b.fk AND a.y = b.fk',
    explains: /Hash Inner Join on \S+ = \S+ AND \S+ = \S+/,
    expected: (a, b) => a.flatMap((ra) => b.filter((rb) => eq(ra[1], rb[0]) && eq(ra[2], rb[0])).map((rb) => [ra[0], rb[1]])),
  },
];

describe('plan rewrites keep answers and show in EXPLAIN', () => {
  for (const c of CASES) {
    it(c.sql, async () => {
      await load([[1, 1, 3]], [[1, 2, 2]]);
      const plan = (await db.query(`EXPLAIN ${c.sql}`)).rows.map((r) => String(r[0])).join('\n');
      expect(plan).toMatch(c.explains);
      await fc.assert(
        fc.asyncProperty(tableA, tableB, async (a, b) => {
          await load(a, b);
          const got = (await db.query(c.sql)).rows;
          expect(sortRows(got)).toEqual(sortRows(c.expected(a, b)));
        }),
        { numRuns: 15, seed: 11 },
      );
    });
  }

  it('joins a filtered relation before an unfiltered one', async () => {
    await load([[1, 1, 3]], [[1, 2, 2]]);
    await db.query('DROP TABLE IF EXISTS c; CREATE TABLE c (k INTEGER PRIMARY KEY, v INTEGER)');
    // FROM order would join b first; a (filtered, joined on its key) comes first instead
    const plan = (await db.query('EXPLAIN SELECT count(*) FROM c, b, a WHERE c.k = b.w AND c.k = a.y AND a.x = 1')).rows.map((r) => String(r[0])).join('\n');
    expect(plan.indexOf('Seq Scan on a')).toBeLessThan(plan.indexOf('Seq Scan on b'));
  });
});

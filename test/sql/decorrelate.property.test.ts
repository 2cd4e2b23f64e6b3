// Property test: unnested subqueries (semi/anti joins, null-aware NOT IN, magic-set and grouped
// scalar subqueries) return what the SQL definition says, computed here row by row in JavaScript with
// three-valued logic, over random small tables with NULLs and duplicates.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { openTempDb } from './helpers.ts';

type N = number | null;
let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
});
afterAll(async () => cleanup());

const value = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 4 });
const table = fc.array(fc.tuple(value, value), { minLength: 0, maxLength: 7 });

async function load(t1: [N, N][], t2: [N, N][]): Promise<void> {
  await db.query('DROP TABLE IF EXISTS t1; DROP TABLE IF EXISTS t2; CREATE TABLE t1 (a INTEGER, b INTEGER); CREATE TABLE t2 (x INTEGER, y INTEGER)');
  const values = (rows: [N, N][]) => rows.map(([p, q]) => `(${p ?? 'NULL'}, ${q ?? 'NULL'})`).join(', ');
  if (t1.length > 0) await db.query(`INSERT INTO t1 VALUES ${values(t1)}`);
  if (t2.length > 0) await db.query(`INSERT INTO t2 VALUES ${values(t2)}`);
}

// SQL comparison with NULL → unknown (null)
const eq = (p: N, q: N): boolean | null => (p === null || q === null ? null : p === q);
const lt = (p: N, q: N): boolean | null => (p === null || q === null ? null : p < q);
const sortRows = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

interface Case {
  sql: string;
  expected: (t1: [N, N][], t2: [N, N][]) => unknown[][];
}

const CASES: Case[] = [
  {
    sql: 'SELECT a, b FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.x = t1.a)',
    expected: (t1, t2) => t1.filter(([a]) => t2.some(([x]) => eq(x, a) === true)),
  },
  {
    sql: 'SELECT a, b FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE t2.x = t1.a AND t2.y < t1.b)',
    expected: (t1, t2) => t1.filter(([a, b]) => !t2.some(([x, y]) => eq(x, a) === true && lt(y, b) === true)),
  },
  {
    sql: 'SELECT a, b FROM t1 WHERE a IN (SELECT x FROM t2)',
    expected: (t1, t2) => t1.filter(([a]) => t2.some(([x]) => eq(a, x) === true)),
  },
  {
    sql: 'SELECT a, b FROM t1 WHERE a NOT IN (SELECT x FROM t2)',
    // NOT IN is TRUE only if a differs from every x and no comparison is unknown
    expected: (t1, t2) => t1.filter(([a]) => t2.every(([x]) => eq(a, x) === false)),
  },
  {
    sql: 'SELECT a, (SELECT count(*) FROM t2 WHERE t2.x = t1.a) FROM t1',
    expected: (t1, t2) => t1.map(([a]) => [a, t2.filter(([x]) => eq(x, a) === true).length]),
  },
  {
    sql: 'SELECT a, (SELECT max(y) FROM t2 WHERE t2.x < t1.a) FROM t1',
    expected: (t1, t2) => t1.map(([a]) => {
      const ys = t2.filter(([x]) => lt(x, a) === true).map(([, y]) => y).filter((y): y is number => y !== null);
      return [a, ys.length === 0 ? null : Math.max(...ys)];
    }),
  },
  {
    sql: 'SELECT a, b IN (SELECT y FROM t2 WHERE t2.x = t1.a) FROM t1',
    expected: (t1, t2) => t1.map(([a, b]) => {
      const ys = t2.filter(([x]) => eq(x, a) === true).map(([, y]) => y);
      const hits = ys.map((y) => eq(b, y));
      return [a, hits.includes(true) ? true : hits.includes(null) ? null : false];
    }),
  },
  {
    sql: 'SELECT a, EXISTS (SELECT 1 FROM t2 WHERE t2.y > t1.b) FROM t1',
    expected: (t1, t2) => t1.map(([a, b]) => [a, t2.some(([, y]) => lt(b, y) === true)]),
  },
  {
    sql: 'SELECT a, b FROM t1 WHERE b > (SELECT count(*) FROM t2 WHERE t2.x <= t1.a)',
    expected: (t1, t2) => t1.filter(([a, b]) => {
      const n = t2.filter(([x]) => x !== null && a !== null && x <= a).length;
      return b !== null && b > n;
    }),
  },
  {
    sql: 'SELECT a, b FROM t1 WHERE b NOT IN (SELECT y FROM t2 WHERE t2.x = t1.a)',
    expected: (t1, t2) => t1.filter(([a, b]) => t2.filter(([x]) => eq(x, a) === true).every(([, y]) => eq(b, y) === false)),
  },
  {
    sql: 'SELECT a, a IN (SELECT x FROM t2), a NOT IN (SELECT x FROM t2) FROM t1',
    expected: (t1, t2) => t1.map(([a]) => {
      const hits = t2.map(([x]) => eq(a, x));
      const isIn = hits.includes(true) ? true : hits.includes(null) ? null : false;
      return [a, isIn, isIn === null ? null : !isIn];
    }),
  },
  {
    sql: 'SELECT a, (SELECT sum(y) FROM t2 WHERE t2.x = t1.a) + 1 FROM t1',
    expected: (t1, t2) => t1.map(([a]) => {
      const ys = t2.filter(([x]) => eq(x, a) === true).map(([, y]) => y).filter((y): y is number => y !== null);
      return [a, ys.length === 0 ? null : ys.reduce((p, q) => p + q, 0) + 1];
    }),
  },
  {
    sql: 'SELECT a, b FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.x = t1.a AND t2.y IN (SELECT b FROM t1 AS t3 WHERE t3.a = t2.x))',
    expected: (t1, t2) => t1.filter(([a]) => t2.some(([x, y]) => eq(x, a) === true && t1.some(([a3, b3]) => eq(a3, x) === true && eq(y, b3) === true))),
  },
  {
    sql: 'SELECT b, count(*) FROM t1 WHERE a IS NOT NULL GROUP BY b HAVING count(*) > (SELECT count(*) FROM t2 WHERE t2.y = t1.b) - 1',
    expected: (t1, t2) => {
      const groups = new Map<N, number>();
      for (const [a, b] of t1) if (a !== null) groups.set(b, (groups.get(b) ?? 0) + 1);
      return [...groups].filter(([b, n]) => n > t2.filter(([, y]) => eq(y, b) === true).length - 1).map(([b, n]) => [b, n]);
    },
  },
];

describe('decorrelated subqueries agree with their definition', () => {
  for (const c of CASES) {
    it(c.sql, async () => {
      await fc.assert(
        fc.asyncProperty(table, table, async (t1, t2) => {
          await load(t1, t2);
          const got = (await db.query(c.sql)).rows;
          expect(sortRows(got)).toEqual(sortRows(c.expected(t1, t2)));
        }),
        { numRuns: 12, seed: 7 },
      );
    });
  }
});

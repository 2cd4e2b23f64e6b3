// Property test: statements run from a cached shape (literals turned into typed parameters) answer
// exactly like their first, exact-text run and like a JavaScript reference.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;
const ROWS = Array.from({ length: 40 }, (_v, i) => ({ k: i, v: `s${i % 7}`, cents: (i * 37) % 500 - 100 }));

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query('CREATE TABLE kv (k INTEGER PRIMARY KEY, v VARCHAR(10), n DECIMAL(10,2))');
  const values = ROWS.map((r) => `(${r.k}, '${r.v}', ${(r.cents / 100).toFixed(2)})`).join(', ');
  await db.query(`INSERT INTO kv VALUES ${values}`);
});
afterAll(async () => cleanup());

/** Runs a statement three times: exact text, shape remembered, then from the cached template. */
async function thrice(sql: string): Promise<unknown[][]> {
  const first = (await db.query(sql)).rows;
  const second = (await db.query(sql)).rows;
  const third = (await db.query(sql)).rows;
  expect(second).toEqual(first);
  expect(third).toEqual(first);
  return first;
}

describe('plan cache shapes', () => {
  it('decimal and integer literals in comparisons', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -150, max: 450 }), fc.boolean(), async (cents, asInteger) => {
        const literal = asInteger ? String(Math.trunc(cents / 100)) : (cents / 100).toFixed(2);
        const bound = asInteger ? Math.trunc(cents / 100) * 100 : cents;
        const got = await thrice(`SELECT k FROM kv WHERE n > ${literal}`);
        const want = ROWS.filter((r) => r.cents > bound).map((r) => [r.k]);
        expect(got.map((r) => r[0]).sort((a, b) => Number(a) - Number(b))).toEqual(want.map((r) => r[0]));
      }),
      { numRuns: 25, seed: 11 },
    );
  });

  it('string literals and arithmetic with literals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 8 }), fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 45 }), async (s, add, target) => {
        const got = await thrice(`SELECT count(*) FROM kv WHERE v = 's${s}' AND k + ${add} >= ${target}`);
        const want = ROWS.filter((r) => r.v === `s${s}` && r.k + add >= target).length;
        expect(got).toEqual([[want]]);
      }),
      { numRuns: 25, seed: 12 },
    );
  });
});

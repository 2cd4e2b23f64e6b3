// Zone-map pruning never changes a result: random filters over a learner table of several stable blocks
// (plus a delta of updates and deletes) give the same rows on the column path, which skips blocks by zone
// map, as on the row path, which reads every row. Some filters must actually prune (else the test proves
// nothing).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';

const ROWS = 7000;
let db: Database;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-zone-'));
  db = await Database.open(dir, { learner: { worker: false } });
  // b and d follow the key (selective zone maps), c is scattered, nulls in b and c
  await db.query('CREATE TABLE z (a INTEGER PRIMARY KEY, b INTEGER, c INTEGER, d VARCHAR(8))');
  for (let start = 0; start < ROWS; start += 500) {
    const values: string[] = [];
    for (let a = start; a < start + 500; a++) {
      const b = a % 97 === 0 ? 'NULL' : String(Math.floor(a / 10));
      const c = a % 13 === 0 ? 'NULL' : String((a * 7919) % 1000);
      values.push(`(${a}, ${b}, ${c}, 'k${String(Math.floor(a / 700)).padStart(2, '0')}')`);
    }
    await db.query(`INSERT INTO z VALUES ${values.join(', ')}`);
  }
  const replica = learnerOf(db.store)!;
  await replica.caughtUp();
  await replica.compact();
  // a delta on top of the stable blocks: updates move values outside a block's old range, deletes
  await db.query('UPDATE z SET b = b + 5000 WHERE a % 500 = 1');
  await db.query('DELETE FROM z WHERE a % 333 = 2');
  await db.query("UPDATE z SET d = 'zz' WHERE a BETWEEN 3000 AND 3010");
}, 120_000);
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const intCol = fc.constantFrom('a', 'b', 'c');
const op = fc.constantFrom('=', '<', '<=', '>', '>=', '<>');
const atom: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(intCol, op, fc.integer({ min: -10, max: 7100 })).map(([c, o, v]) => `${c} ${o} ${v}`),
  fc.tuple(intCol, fc.integer({ min: -10, max: 7100 }), fc.integer({ min: 0, max: 2000 })).map(([c, lo, w]) => `${c} BETWEEN ${lo} AND ${lo + w}`),
  fc.tuple(intCol, fc.boolean()).map(([c, not]) => `${c} IS ${not ? 'NOT ' : ''}NULL`),
  fc.tuple(op, fc.integer({ min: 0, max: 11 })).map(([o, k]) => `d ${o} 'k${String(k).padStart(2, '0')}'`),
  fc.array(fc.integer({ min: 0, max: 7000 }), { minLength: 1, maxLength: 4 }).map((vs) => `a IN (${vs.join(', ')})`),
);
const predicate: fc.Arbitrary<string> = fc.oneof(
  atom,
  fc.tuple(atom, atom).map(([x, y]) => `(${x} AND ${y})`),
  fc.tuple(atom, atom).map(([x, y]) => `(${x} OR ${y})`),
  atom.map((x) => `NOT (${x})`),
);

async function rowsOn(engine: 'row' | 'column', where: string): Promise<string[]> {
  const r = await db.query(`/*+ engine(${engine}) */ SELECT a, b, c, d FROM z WHERE ${where}`);
  return r.rows.map((row) => JSON.stringify(row)).sort();
}

describe('zone-map pruning', () => {
  it('never changes a result (column path with pruning = row path)', async () => {
    await fc.assert(
      fc.asyncProperty(predicate, async (where) => {
        expect(await rowsOn('column', where)).toEqual(await rowsOn('row', where));
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('never changes an aggregate on the two-thread path (helper forced: SET duet.parallel_min_blocks = 0)', async () => {
    const s = db.session();
    await s.query('SET duet.parallel_min_blocks = 0');
    const sql = (engine: string, where: string) => `/*+ engine(${engine}) */ SELECT d, count(*), sum(b), min(c), max(a), avg(c) FROM z WHERE ${where} GROUP BY d`;
    const text = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
    try {
      await fc.assert(
        fc.asyncProperty(predicate, async (where) => {
          expect(text((await s.query(sql('column', where))).rows)).toEqual(text((await s.query(sql('row', where))).rows));
        }),
        { numRuns: 30 },
      );
    } finally {
      await s.close();
    }
  }, 120_000);

  it('selective filters do prune blocks, and the result still matches', async () => {
    const where = 'a BETWEEN 2100 AND 2200';
    const plan = (await db.query(`/*+ engine(column) */ EXPLAIN ANALYZE SELECT count(*) FROM z WHERE ${where}`)).rows.map((r) => String(r[0]));
    const m = /blocks scanned=(\d+) pruned=(\d+)/.exec(plan[0]!);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(await rowsOn('column', where)).toEqual(await rowsOn('row', where));
  });
});

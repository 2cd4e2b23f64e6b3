// The plan cache: statements that differ only in literals share one parsed plan and still return each
// statement's own answer; literal types are part of the shape; DDL invalidates cached plans.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { normalizeLiterals } from '../../query/parse/normalize.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query('CREATE TABLE kv (k INTEGER PRIMARY KEY, v VARCHAR(20), n DECIMAL(10,2))');
  for (let i = 0; i < 20; i++) await db.query(`INSERT INTO kv VALUES (${i}, 'v${i}', ${i}.25)`);
});
afterAll(async () => cleanup());

describe('plan cache', () => {
  it('normalizes literals into parameters, keeping the statement shape', () => {
    const n = normalizeLiterals(`SELECT v FROM kv WHERE k = 42 AND v <> 'it''s' AND n > 1.50 AND k < $1`)!;
    expect(n.text).toBe('SELECT v FROM kv WHERE k = $2 AND v <> $3 AND n > $4 AND k < $1');
    expect(n.literals).toEqual([42, "it's", '1.50']);
    expect(n.kinds).toEqual(['integer', 'string', 'decimal']);
    // shapes where a literal's value steers the plan are left alone
    expect(normalizeLiterals('SELECT k FROM kv ORDER BY 1')).toBeNull();
    expect(normalizeLiterals('SELECT CAST(k AS VARCHAR(3)) FROM kv')).toBeNull();
  });

  it('statements differing only in literals each get their own answer', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await db.query(`SELECT v, n FROM kv WHERE k = ${i}`);
      expect(r.rows).toEqual([[`v${i}`, `${i}.25`]]);
    }
    expect((await db.query(`SELECT count(*) FROM kv WHERE n > 10.5`)).rows).toEqual([[9]]);
    expect((await db.query(`SELECT count(*) FROM kv WHERE n > 10`)).rows).toEqual([[10]]);
    expect((await db.query(`SELECT count(*) FROM kv WHERE v = 'v3'`)).rows).toEqual([[1]]);
    expect((await db.query(`SELECT count(*) FROM kv WHERE v = 'nope'`)).rows).toEqual([[0]]);
  });

  it('literal types are part of the shape (1 vs 1.0 vs 1e0)', async () => {
    expect((await db.query('SELECT 7 / 2')).rows).toEqual([[3]]);
    expect((await db.query('SELECT 7.0 / 2')).rows[0]![0]).toMatch(/^3\.50*$/);
    expect((await db.query('SELECT 7e0 / 2')).rows).toEqual([[3.5]]);
  });

  it('a cached plan is rebuilt after the table changes', async () => {
    const s = db.session();
    expect((await s.query('SELECT * FROM kv WHERE k = 1')).columns.length).toBe(3);
    await s.query('ALTER TABLE kv ADD COLUMN extra INTEGER DEFAULT 5');
    const r = await s.query('SELECT * FROM kv WHERE k = 1');
    expect(r.columns.map((c) => c.name)).toEqual(['k', 'v', 'n', 'extra']);
    expect(r.rows).toEqual([[1, 'v1', '1.25', 5]]);
    await s.close();
  });

  it('prepared statements run with $n parameters', async () => {
    const p = db.prepare('SELECT v FROM kv WHERE k = $1');
    expect((await p.query([5])).rows).toEqual([['v5']]);
    expect((await p.query([6])).rows).toEqual([['v6']]);
  });
});

// UPDATE/DELETE by primary key keep their bound target plan between runs (query/execute.ts dmlMemos,
// run/dml.ts DmlMemo) and run it without the executor: the answers must stay those of a fresh plan,
// including READ COMMITTED re-evaluation on a row changed while waiting, schema changes and RETURNING.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { DuetError } from '../../oltp/errors.ts';
import { pointReadCounters } from '../../query/run/point.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
});
afterAll(async () => cleanup());

async function rowsOf(table: string): Promise<unknown[][]> {
  return (await db.query(`SELECT * FROM ${table} ORDER BY 1`)).rows;
}

describe('UPDATE/DELETE plan reuse', () => {
  it('repeated statements differing in literals change exactly the rows a model changes', async () => {
    await db.query('CREATE TABLE m (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, tag VARCHAR(8))');
    const model = new Map<number, { bal: number; tag: string }>();
    for (let i = 0; i < 12; i++) model.set(i, { bal: 100, tag: `t${i % 3}` });
    await db.query(`INSERT INTO m VALUES ${[...model].map(([id, r]) => `(${id}, ${r.bal}, '${r.tag}')`).join(', ')}`);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: -1, max: 13 }), delta: fc.integer({ min: -300, max: 300 }) }),
      fc.record({ kind: fc.constant('addIf' as const), id: fc.integer({ min: 0, max: 11 }), delta: fc.integer({ min: -50, max: 50 }), min: fc.integer({ min: 0, max: 200 }) }),
      fc.record({ kind: fc.constant('tag' as const), id: fc.integer({ min: 0, max: 11 }), tag: fc.constantFrom('t0', 't1', "it's", 'x') }),
      fc.record({ kind: fc.constant('del' as const), id: fc.integer({ min: 0, max: 13 }) }),
      fc.record({ kind: fc.constant('put' as const), id: fc.integer({ min: 0, max: 13 }), bal: fc.integer({ min: 0, max: 500 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 30 }), async (ops) => {
        for (const o of ops) {
          const r = model.get(o.id);
          let sql: string;
          let want: number;
          if (o.kind === 'add') {
            sql = `UPDATE m SET bal = bal + ${o.delta} WHERE id = ${o.id}`;
            want = r ? 1 : 0;
            if (r) r.bal += o.delta;
          } else if (o.kind === 'addIf') {
            sql = `UPDATE m SET bal = bal + ${o.delta} WHERE id = ${o.id} AND bal >= ${o.min}`;
            want = r && r.bal >= o.min ? 1 : 0;
            if (r && want) r.bal += o.delta;
          } else if (o.kind === 'tag') {
            sql = `UPDATE m SET tag = '${o.tag.replace(/'/g, "''")}' WHERE id = ${o.id}`;
            want = r ? 1 : 0;
            if (r) r.tag = o.tag;
          } else if (o.kind === 'del') {
            sql = `DELETE FROM m WHERE id = ${o.id}`;
            want = r ? 1 : 0;
            model.delete(o.id);
          } else {
            if (r) continue;
            sql = `INSERT INTO m VALUES (${o.id}, ${o.bal}, NULL)`;
            want = 1;
            model.set(o.id, { bal: o.bal, tag: null as unknown as string });
          }
          expect((await db.query(sql)).rowCount, sql).toBe(want);
        }
        const expected = [...model].sort((a, b) => a[0] - b[0]).map(([id, r]) => [id, r.bal, r.tag]);
        expect(await rowsOf('m')).toEqual(expected);
      }),
      { numRuns: 15, seed: 21 },
    );
  });

  it('takes the point path on later runs and keeps RETURNING right', async () => {
    await db.query('CREATE TABLE r (id INTEGER PRIMARY KEY, n INTEGER)');
    await db.query('INSERT INTO r VALUES (1, 10), (2, 20), (3, 30)');
    for (const id of [1, 2, 3]) {
      const before = pointReadCounters.served;
      const res = await db.query(`UPDATE r SET n = n * 2 WHERE id = ${id} RETURNING id, n`);
      expect(res.rows).toEqual([[id, id * 20]]);
      expect(pointReadCounters.served).toBe(before + 1);
    }
    expect((await db.query('DELETE FROM r WHERE id = 2 RETURNING n')).rows).toEqual([[40]]);
    expect((await db.query('DELETE FROM r WHERE id = 3 RETURNING n')).rows).toEqual([[60]]);
    expect((await db.query('DELETE FROM r WHERE id = 3 RETURNING n')).rows).toEqual([]);
    expect(await rowsOf('r')).toEqual([[1, 20]]);
  });

  it('READ COMMITTED re-evaluates a cached UPDATE on the newest version: SET again, WHERE again', async () => {
    await db.query('CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await db.query('INSERT INTO acc VALUES (1, 100), (2, 100)');
    const a = db.session();
    const b = db.session();
    // warm the shapes so the waiting statement runs from the kept plan
    for (let i = 0; i < 3; i++) {
      await a.query(`UPDATE acc SET bal = bal + 0 WHERE id = 1 AND bal < 1000`);
      await a.query(`UPDATE acc SET bal = bal + 0 WHERE id = 1`);
    }
    /** b changes row 2 and commits while a's UPDATE of it waits for the lock: a's row count and the final balance. */
    const race = async (bSql: string, aSql: string): Promise<[number, unknown]> => {
      await b.query('BEGIN');
      await b.query(bSql);
      await a.query('BEGIN');
      const waiting = a.query(aSql);
      await new Promise((r) => setTimeout(r, 30));
      await b.query('COMMIT');
      const count = (await waiting).rowCount;
      await a.query('COMMIT');
      return [count, (await a.query('SELECT bal FROM acc WHERE id = 2')).rows[0]![0]];
    };
    expect(await race('UPDATE acc SET bal = bal + 10 WHERE id = 2', 'UPDATE acc SET bal = bal + 1 WHERE id = 2')).toEqual([1, 111]);
    // the newest version no longer satisfies WHERE: the row is skipped, as PostgreSQL does
    expect(await race('UPDATE acc SET bal = bal + 1000 WHERE id = 2', 'UPDATE acc SET bal = bal + 1 WHERE id = 2 AND bal < 1000')).toEqual([0, 1111]);
    await a.close();
    await b.close();
  });

  it('a kept plan is dropped when the table changes (ADD COLUMN, DROP and CREATE with another layout)', async () => {
    await db.query('CREATE TABLE s (id INTEGER PRIMARY KEY, a INTEGER)');
    await db.query('INSERT INTO s VALUES (1, 1), (2, 2)');
    for (let i = 0; i < 3; i++) await db.query(`UPDATE s SET a = a + 1 WHERE id = 1`);
    await db.query('ALTER TABLE s ADD COLUMN b INTEGER DEFAULT 7');
    await db.query(`UPDATE s SET a = a + 1 WHERE id = 1`);
    expect(await rowsOf('s')).toEqual([[1, 5, 7], [2, 2, 7]]);
    await db.query('DROP TABLE s');
    await db.query('CREATE TABLE s (a INTEGER, id INTEGER PRIMARY KEY)');
    await db.query('INSERT INTO s VALUES (10, 1)');
    await db.query(`UPDATE s SET a = a + 1 WHERE id = 1`);
    expect(await rowsOf('s')).toEqual([[11, 1]]);
    await db.query('DROP TABLE s');
    await expect(db.query(`UPDATE s SET a = a + 1 WHERE id = 1`)).rejects.toMatchObject({ code: '42P01' });
  });

  it('a failed run (unique violation) leaves the statement working for the next literals', async () => {
    await db.query('CREATE TABLE u (id INTEGER PRIMARY KEY, name VARCHAR(5) UNIQUE)');
    await db.query(`INSERT INTO u VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
    await db.query(`UPDATE u SET name = 'x' WHERE id = 1`);
    const e = await db.query(`UPDATE u SET name = 'b' WHERE id = 3`).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DuetError);
    expect((e as DuetError).code).toBe('23505');
    await db.query(`UPDATE u SET name = 'y' WHERE id = 3`);
    expect(await rowsOf('u')).toEqual([[1, 'x'], [2, 'b'], [3, 'y']]);
  });
});

describe('literal shapes and caller parameters', () => {
  it('parameters passed beyond those the text uses never take the literals\' places', async () => {
    await db.query('CREATE TABLE extra (id INTEGER PRIMARY KEY, n INTEGER)');
    for (let id = 1; id <= 4; id++) {
      await db.query(`INSERT INTO extra VALUES (${id}, ${id * 10})`, [0]);
      expect((await db.query(`SELECT n FROM extra WHERE id = ${id}`, [0])).rows).toEqual([[id * 10]]);
      expect((await db.query(`UPDATE extra SET n = n + 1 WHERE id = ${id}`, [0])).rowCount).toBe(1);
    }
    expect(await rowsOf('extra')).toEqual([[1, 11], [2, 21], [3, 31], [4, 41]]);
  });
});

describe('INSERT VALUES over constants and parameters', () => {
  // INSERT ... SELECT runs its expressions through the executor: the same expressions there give the
  // reference value (or error) for each directly computed VALUES cell.
  const num: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -2000, max: 2000 }).map(String),
      fc.integer({ min: -99999, max: 99999 }).map((n) => (n / 100).toFixed(2)),
      fc.constantFrom('CAST($1 AS INTEGER)', 'CAST(NULL AS INTEGER)', '2147483647', '9007199254740993', '1e3', '0.5'),
      tie('e').map((x) => `-(${x})`),
      fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(tie('e'), fc.constantFrom('INTEGER', 'BIGINT', 'DECIMAL(10,2)', 'DOUBLE PRECISION')).map(([a, t]) => `CAST(${a} AS ${t})`),
      fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `CASE WHEN ${a} > ${b} THEN ${b} ELSE ${c} END`),
      fc.tuple(tie('e'), tie('e')).map(([a, b]) => `COALESCE(NULLIF(${a}, ${b}), ${b})`),
    ),
  })).e;

  it('computes each cell as the executor does, in every column type, errors included', async () => {
    await db.query('CREATE TABLE vals (id INTEGER PRIMARY KEY, a INTEGER, b DECIMAL(12,3), c DOUBLE PRECISION, d VARCHAR(40), e BIGINT)');
    let id = 0;
    await fc.assert(
      fc.asyncProperty(num, fc.integer({ min: -50, max: 50 }), async (expr, p1) => {
        const cells = [expr, expr, expr, `'s' || ${expr}`, expr].join(', ');
        const outcome = async (sql: string, rowId: number): Promise<unknown> => {
          try {
            await db.query(sql, [p1]);
            return (await db.query(`SELECT a, b, c, d, e FROM vals WHERE id = ${rowId}`)).rows;
          } catch (e) {
            return (e as DuetError).code ?? String(e);
          }
        };
        const direct = await outcome(`INSERT INTO vals VALUES (${++id}, ${cells})`, id);
        const viaExecutor = await outcome(`INSERT INTO vals SELECT ${++id}, ${cells}`, id);
        expect(direct, expr).toEqual(viaExecutor);
      }),
      { numRuns: 40, seed: 31 },
    );
  });
});

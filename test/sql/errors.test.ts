// User errors: SQLSTATE, message, position and hint; the failed statement changes nothing and the
// session stays usable.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { DuetError } from '../../oltp/errors.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query('CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, name VARCHAR(5) UNIQUE)');
  await db.query(`INSERT INTO acc VALUES (1, 100, 'a'), (2, 100, 'b')`);
});
afterAll(async () => cleanup());

async function failure(sql: string, params: unknown[] = []): Promise<DuetError> {
  try {
    await db.query(sql, params as never);
  } catch (e) {
    expect(e).toBeInstanceOf(DuetError);
    return e as DuetError;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('errors', () => {
  it('unknown column: 42703 with position and a did-you-mean hint', async () => {
    const e = await failure('SELECT bal\nFROM acc\nWHERE bl = 1');
    expect(e.code).toBe('42703');
    expect(e.message).toBe('column "bl" does not exist');
    expect(e.position).toBe(27);
    expect(e.hint).toContain('"bal"');
  });

  it('unknown table: 42P01 with a hint', async () => {
    const e = await failure('SELECT * FROM accs');
    expect(e.code).toBe('42P01');
    expect(e.position).toBe(15);
    expect(e.hint).toContain('"acc"');
  });

  it('syntax error: 42601 with line and column', async () => {
    const e = await failure('SELECT id\nFROM acc WHERE');
    expect(e.code).toBe('42601');
    expect(e.message).toMatch(/line 2/);
  });

  it('type mismatch: 42883 / 22P02', async () => {
    expect((await failure('SELECT bal FROM acc WHERE bal = true')).code).toBe('42883');
    expect((await failure(`SELECT * FROM acc WHERE id = 'x'`)).code).toBe('22P02');
    expect((await failure(`INSERT INTO acc VALUES (9, true, 'z')`)).code).toBe('42804');
  });

  it('division by zero: 22012', async () => {
    expect((await failure('SELECT bal / (id - 1) FROM acc')).code).toBe('22012');
  });

  it('constraint violations roll the statement back', async () => {
    expect((await failure(`INSERT INTO acc VALUES (3, 1, 'c'), (1, 5, 'd')`)).code).toBe('23505');
    expect((await failure(`INSERT INTO acc VALUES (3, NULL, 'c')`)).code).toBe('23502');
    expect((await failure(`INSERT INTO acc VALUES (3, 1, 'toolong')`)).code).toBe('22001');
    expect((await failure(`UPDATE acc SET name = 'a' WHERE id = 2`)).code).toBe('23505');
    expect((await db.query('SELECT id, bal, name FROM acc ORDER BY id')).rows).toEqual([[1, 100, 'a'], [2, 100, 'b']]);
  });

  it('grouping errors: 42803', async () => {
    expect((await failure('SELECT id, count(*) FROM acc')).code).toBe('42803');
    expect((await failure('SELECT id FROM acc WHERE count(*) > 1')).code).toBe('42803');
  });
});

describe('transactions', () => {
  it('an error inside a transaction aborts it until ROLLBACK (25P02)', async () => {
    const s = db.session();
    await s.query('BEGIN');
    await s.query(`INSERT INTO acc VALUES (5, 1, 'e')`);
    await expect(s.query('SELECT 1 / 0')).rejects.toMatchObject({ code: '22012' });
    await expect(s.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    expect((await s.query('COMMIT')).command).toBe('ROLLBACK');
    expect((await s.query('SELECT count(*) FROM acc WHERE id = 5')).rows).toEqual([[0]]);
    await s.close();
  });

  it('REPEATABLE READ keeps its snapshot; READ COMMITTED sees new commits', async () => {
    const a = db.session();
    const b = db.session();
    await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    expect((await a.query('SELECT bal FROM acc WHERE id = 1')).rows).toEqual([[100]]);
    await b.query('UPDATE acc SET bal = 90 WHERE id = 1');
    expect((await a.query('SELECT bal FROM acc WHERE id = 1')).rows).toEqual([[100]]);
    await expect(a.query('UPDATE acc SET bal = bal + 1 WHERE id = 1')).rejects.toMatchObject({ code: '40001' });
    await a.query('ROLLBACK');
    await a.query('BEGIN');
    expect((await a.query('SELECT bal FROM acc WHERE id = 1')).rows).toEqual([[90]]);
    await b.query('UPDATE acc SET bal = 80 WHERE id = 1');
    expect((await a.query('SELECT bal FROM acc WHERE id = 1')).rows).toEqual([[80]]);
    await a.query('UPDATE acc SET bal = bal + 20 WHERE id = 1');
    await a.query('COMMIT');
    expect((await b.query('SELECT bal FROM acc WHERE id = 1')).rows).toEqual([[100]]);
    await a.close();
    await b.close();
  });

  it('READ COMMITTED: an UPDATE waiting on a row lock re-evaluates on the newest version (no lost update)', async () => {
    const a = db.session();
    const b = db.session();
    const before = (await a.query('SELECT bal FROM acc WHERE id = 2')).rows[0]![0] as number;
    await b.query('BEGIN');
    await b.query('UPDATE acc SET bal = bal + 10 WHERE id = 2');
    await a.query('BEGIN');
    const waiting = a.query('UPDATE acc SET bal = bal + 1 WHERE id = 2 AND bal >= 0');
    await new Promise((r) => setTimeout(r, 30));
    await b.query('COMMIT');
    expect((await waiting).rowCount).toBe(1);
    await a.query('COMMIT');
    expect((await a.query('SELECT bal FROM acc WHERE id = 2')).rows).toEqual([[before + 11]]);
    await a.close();
    await b.close();
  });

  it('SELECT ... FOR UPDATE waits for the lock holder and then reads its committed value', async () => {
    const a = db.session();
    const b = db.session();
    const start = (await a.query('SELECT bal FROM acc WHERE id = 1')).rows[0]![0] as number;
    await a.query('BEGIN');
    expect((await a.query('SELECT bal FROM acc WHERE id = 1 FOR UPDATE')).rows).toEqual([[start]]);
    await b.query('BEGIN');
    const waiting = b.query('SELECT bal FROM acc WHERE id = 1 FOR UPDATE');
    await new Promise((r) => setTimeout(r, 30));
    await a.query('UPDATE acc SET bal = bal + 1 WHERE id = 1');
    await a.query('COMMIT');
    expect((await waiting).rows).toEqual([[start + 1]]);
    await b.query('UPDATE acc SET bal = bal + 1 WHERE id = 1');
    await b.query('COMMIT');
    expect((await a.query('SELECT bal FROM acc WHERE id = 1')).rows).toEqual([[start + 2]]);
    await a.close();
    await b.close();
  });

  it('ROLLBACK discards writes; SHOW reports the isolation level', async () => {
    const s = db.session();
    await s.query('START TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    expect((await s.query('SHOW transaction_isolation')).rows).toEqual([['serializable']]);
    await s.query(`INSERT INTO acc VALUES (7, 7, 'g')`);
    await s.query('ROLLBACK');
    expect((await s.query('SELECT count(*) FROM acc WHERE id = 7')).rows).toEqual([[0]]);
    await s.close();
  });
});

describe('cancel', () => {
  it('Session.cancel() stops a running query with 57014 and the session stays usable', async () => {
    const s = db.session();
    await s.query('CREATE TABLE big (i INTEGER PRIMARY KEY)');
    await s.query(`INSERT INTO big SELECT a * 100 + b FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS x(a), (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS y(b)`);
    // cancel() right after the statement started: it stops at its first batch boundary
    const running = s.query('SELECT count(*) FROM big a, big b, big c WHERE a.i + b.i + c.i = -1');
    s.cancel();
    await expect(running).rejects.toMatchObject({ code: '57014' });
    expect((await s.query('SELECT count(*) FROM big')).rows).toEqual([[100]]);
    await s.close();
  });
});

// The synchronous point-SELECT path (query/execute.ts pointSelect) and db.query's reused session
// (query/database.ts): same answers as the general path, taken when it should be, snapshot visibility with
// concurrent writers, isolation inside explicit transactions, and no state leaking between db.query calls.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { pointSelectCounters } from '../../query/execute.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query('CREATE TABLE ps (id INTEGER PRIMARY KEY, n INTEGER, s TEXT)');
  const rows: string[] = [];
  for (let i = 0; i < 50; i++) rows.push(`(${i}, ${i * 10}, ${i % 4 === 0 ? 'NULL' : `'s${i}'`})`);
  await db.query(`INSERT INTO ps VALUES ${rows.join(', ')}`);
});
afterAll(async () => cleanup());

/** Statements the synchronous path answered while `fn` ran. */
async function served(fn: () => Promise<unknown>): Promise<number> {
  const before = pointSelectCounters.served;
  await fn();
  return pointSelectCounters.served - before;
}

describe('synchronous point SELECT', () => {
  it('answers like the general path (first run plans it, later runs take the fast path)', async () => {
    const p = db.prepare('SELECT s, n, id FROM ps WHERE id = $1');
    for (const id of [0, 1, 7, 49, 50, -1]) {
      const general = await db.query(`/*+ engine(column) */ SELECT s, n, id FROM ps WHERE id = ${id}`);
      let fast: Awaited<ReturnType<typeof p.query>> | undefined;
      // the first execution of the prepared statement plans it; the second is served synchronously
      await p.query([id]);
      expect(await served(async () => (fast = await p.query([id])))).toBe(1);
      expect(fast).toEqual(general);
    }
    // literal keys: the shape's template plan is served from its third use on
    const texts = [3, 4, 5, 6].map((id) => `SELECT n FROM ps WHERE id = ${id}`);
    for (const t of texts) await db.query(t);
    expect(await served(() => db.query('SELECT n FROM ps WHERE id = 9'))).toBe(1);
    expect((await db.query('SELECT n FROM ps WHERE id = 9')).rows).toEqual([[90]]);
  });

  it('is not taken for the column path or Arrow output', async () => {
    const p = db.prepare('SELECT n FROM ps WHERE id = $1');
    await p.query([1]);
    await db.query("SET duet.engine = 'column'");
    try {
      expect(await served(() => p.query([1]))).toBe(0);
    } finally {
      await db.query("SET duet.engine = 'auto'");
    }
    expect(await served(() => p.query([1]))).toBe(1);
    const arrow = await db.queryArrow('SELECT n FROM ps WHERE id = 2');
    expect(arrow.numRows).toBe(1);
    expect(await served(() => db.queryArrow('SELECT n FROM ps WHERE id = 2'))).toBe(0);
  });

  it('reads at the statement snapshot while writers commit', async () => {
    const p = db.prepare('SELECT n FROM ps WHERE id = $1');
    await p.query([10]);
    const writer = db.session();
    const reader = db.session();
    try {
      await writer.query('BEGIN');
      await writer.query('UPDATE ps SET n = n + 1 WHERE id = 10');
      // uncommitted: neither autocommit nor another session sees it
      expect((await p.query([10])).rows).toEqual([[100]]);
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.execute(p.statement, [11]); // takes the reader's snapshot
      await writer.query('COMMIT');
      const n = await served(async () => {
        expect((await p.query([10])).rows).toEqual([[101]]);
        // repeatable read keeps its snapshot; read committed would see 101
        expect((await reader.execute(p.statement, [10])).rows).toEqual([[100]]);
      });
      expect(n).toBe(2);
      await reader.query('COMMIT');
      expect((await reader.execute(p.statement, [10])).rows).toEqual([[101]]);
      // read committed inside a transaction: each statement takes a new snapshot
      await reader.query('BEGIN');
      expect((await reader.execute(p.statement, [12])).rows).toEqual([[120]]);
      await db.query('UPDATE ps SET n = 121 WHERE id = 12');
      expect(await served(async () => expect((await reader.execute(p.statement, [12])).rows).toEqual([[121]]))).toBe(1);
      await reader.query('COMMIT');
      // concurrent writers racing many reads: every read sees one committed value, never going back
      let last = 101;
      const writes = (async () => {
        for (let i = 0; i < 20; i++) await db.query('UPDATE ps SET n = n + 1 WHERE id = 10');
      })();
      const reads = (async () => {
        for (let i = 0; i < 60; i++) {
          const v = (await p.query([10])).rows[0]![0] as number;
          expect(v).toBeGreaterThanOrEqual(last);
          last = v;
        }
      })();
      await Promise.all([writes, reads]);
      expect((await p.query([10])).rows).toEqual([[121]]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('serializable: a fast point read is validated at commit', async () => {
    const p = db.prepare('SELECT n FROM ps WHERE id = $1');
    await p.query([20]);
    const a = db.session();
    try {
      await a.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      expect(await served(() => a.execute(p.statement, [20]))).toBe(1);
      await db.query('UPDATE ps SET n = 0 WHERE id = 20');
      // a read the concurrent write invalidated, plus a write: not serializable
      await a.query('UPDATE ps SET n = 1 WHERE id = 21');
      await expect(a.query('COMMIT')).rejects.toMatchObject({ code: '40001' });
    } finally {
      await a.close();
    }
  });

  it('an error in a transaction aborts it; autocommit leaves nothing open', async () => {
    const p = db.prepare('SELECT 100 / n FROM ps WHERE id = $1');
    await p.query([1]);
    const activeBefore = db.store.stats.activeTxns;
    await expect(p.query([0])).rejects.toMatchObject({ code: '22012' });
    expect(db.store.stats.activeTxns).toBe(activeBefore);
    const s = db.session();
    try {
      await s.query('BEGIN');
      await expect(s.execute(p.statement, [0])).rejects.toMatchObject({ code: '22012' });
      await expect(s.execute(p.statement, [1])).rejects.toMatchObject({ code: '25P02' });
      await s.query('ROLLBACK');
      expect((await s.execute(p.statement, [1])).rows).toEqual([[10]]);
    } finally {
      await s.close();
    }
  });

  it('db.query calls share settings but no transaction or cancel state', async () => {
    // a BEGIN left open in one call is rolled back when the call returns
    await db.query("BEGIN; UPDATE ps SET s = 'open' WHERE id = 30");
    expect((await db.query('SELECT s FROM ps WHERE id = 30')).rows).toEqual([['s30']]);
    await db.query('SET default_transaction_isolation = serializable');
    try {
      expect((await db.query('SHOW transaction_isolation')).rows).toEqual([['serializable']]);
    } finally {
      await db.query('SET default_transaction_isolation = read committed');
    }
    expect((await db.query('SHOW transaction_isolation')).rows).toEqual([['read committed']]);
    // concurrent calls each run in their own session
    const results = await Promise.all([31, 32, 33].map((id) => db.query(`SELECT n FROM ps WHERE id = ${id}`)));
    expect(results.map((r) => r.rows)).toEqual([[[310]], [[320]], [[330]]]);
  });
});

describe('prepared point SELECT in the idle db.query session', () => {
  it('answers while another db.query call holds a session, and leaves no transaction open', async () => {
    const p = db.prepare('SELECT id, n FROM ps WHERE id = $1');
    await p.query([40]);
    const activeBefore = db.store.stats.activeTxns;
    const slow = db.query('SELECT count(*) FROM ps a, ps b');
    const reads = await Promise.all([40, 41, 42].map((id) => p.query([id])));
    expect(reads.map((r) => r.rows)).toEqual([[[40, 400]], [[41, 410]], [[42, 420]]]);
    expect((await slow).rows).toEqual([[2500]]);
    let n = 0;
    for (let i = 0; i < 50; i++) n += (await p.query([i])).rowCount;
    expect(n).toBe(50);
    expect(db.store.stats.activeTxns).toBe(activeBefore);
  });
});

describe('session cancel state', () => {
  it('a cancel before the signal exists still aborts that statement, and the next statement starts clean', async () => {
    const s = db.session();
    try {
      const run = s.query('SELECT count(*) FROM ps a, ps b, ps c');
      s.cancel();
      await expect(run).rejects.toMatchObject({ code: '57014' });
      expect((await s.query('SELECT count(*) FROM ps')).rows).toEqual([[50]]);
    } finally {
      await s.close();
    }
  });
});

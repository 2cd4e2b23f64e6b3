// node-postgres against `duet serve`'s real engine (Database + row store): every type round-tripping,
// parameterized queries, transactions, errors with their codes, a query cancelled from a second
// connection, a disconnect mid-transaction, a pool of 32 connections under concurrent writes.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { databaseEngine } from '../../server/database-engine.ts';
import { PgServer } from '../../server/server.ts';
import { Oid, parseBinaryParam } from '../../server/pgwire/values.ts';
import { dataRowBuffers, RawClient } from './raw-client.ts';

// The SQL engine (query/execute.ts) lands separately; until it is in the tree these tests cannot run.
const engineReady = existsSync(new URL('../../query/execute.ts', import.meta.url));

let dir: string;
let db: Database;
let server: PgServer;

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'tester', database: 'db' });
  await c.connect();
  return c;
}

const raw = { getTypeParser: () => (v: string) => v };

describe.skipIf(!engineReady)('node-postgres against the engine', () => {
  beforeAll(async () => {
    const { Database } = await import('../../query/database.ts');
    dir = mkdtempSync(join(tmpdir(), 'duet-server-'));
    db = await Database.open(dir);
    server = await PgServer.listen({ engine: databaseEngine(db), port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips every type through parameters and results (text format)', async () => {
    const c = await connect();
    try {
      await c.query(`CREATE TABLE every_type (id int PRIMARY KEY, b bigint, n numeric(12,3), f double precision, t text,
        v varchar(5), bo boolean, d date, ts timestamp)`);
      const values = ['1', '-9007199254740991', '-123456789.012', '0.1', 'héllo "wörld"\ttab', 'abc', 't', '2024-02-29', '2024-01-01 12:00:00.123456'];
      await c.query('INSERT INTO every_type VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', values);
      await c.query('INSERT INTO every_type (id) VALUES (2)');
      const r = await c.query({ text: 'SELECT * FROM every_type ORDER BY id', types: raw as never });
      expect(r.fields.map((f) => f.dataTypeID)).toEqual([23, 20, 1700, 701, 25, 1043, 16, 1082, 1114]);
      expect(Object.values(r.rows[0])).toEqual(values);
      expect(Object.values(r.rows[1])).toEqual(['2', null, null, null, null, null, null, null, null]);
    } finally {
      await c.end();
    }
  });

  it('returns the common types in binary format when asked (byte level)', async () => {
    const c = await RawClient.ready(server.port);
    try {
      c.message('P', (w) => w.cstring('').cstring('SELECT id, b, n, f, t, bo, d, ts FROM every_type WHERE id = 1').int16(0));
      c.message('B', (w) => w.cstring('').cstring('').int16(0).int16(0).int16(1).int16(1));
      c.message('E', (w) => w.cstring('').int32(0));
      c.message('S');
      const m = await c.until('Z');
      expect(m.map((x) => x.type).join('')).toBe('12DCZ');
      const [id, b, n, f, t, bo, d, ts] = dataRowBuffers(m[2]!.body);
      expect(id!.readInt32BE(0)).toBe(1);
      expect(b!.readBigInt64BE(0)).toBe(-9007199254740991n);
      expect(parseBinaryParam(n!, Oid.numeric)).toBe('-123456789.012');
      expect(f!.readDoubleBE(0)).toBe(0.1);
      expect(t!.toString()).toBe('héllo "wörld"\ttab');
      expect([...bo!]).toEqual([1]);
      expect(d!.readInt32BE(0)).toBe(8825); // 2024-02-29 in days since 2000-01-01
      expect(ts!.readBigInt64BE(0)).toBe(1704110400123456n - 946684800000000n); // µs since 2000-01-01
    } finally {
      c.close();
    }
  });

  it('runs parameterized queries, in both the extended and the simple protocol', async () => {
    const c = await connect();
    try {
      await c.query('CREATE TABLE kv (k int PRIMARY KEY, v text)');
      for (let k = 1; k <= 20; k++) await c.query('INSERT INTO kv VALUES ($1, $2)', [k, `v${k}`]);
      const one = await c.query('SELECT v FROM kv WHERE k = $1', [7]);
      expect(one.rows).toEqual([{ v: 'v7' }]);
      const some = await c.query('SELECT count(*) AS n FROM kv WHERE k > $1 AND v <> $2', [10, 'v15']);
      expect(Number(some.rows[0].n)).toBe(9);
      const simple = await c.query('UPDATE kv SET v = v WHERE k <= 5; SELECT max(k) AS m FROM kv');
      expect((simple as unknown as pg.QueryResult[]).map((x) => x.command)).toEqual(['UPDATE', 'SELECT']);
    } finally {
      await c.end();
    }
  });

  it('describes a prepared query: parameter types and the row shape (Describe statement)', async () => {
    const c = await RawClient.ready(server.port);
    try {
      c.message('P', (w) => w.cstring('q').cstring('SELECT k, v FROM kv WHERE k = $1 -- trailing comment').int16(0));
      c.message('D', (w) => w.int8('S'.charCodeAt(0)).cstring('q'));
      c.message('P', (w) => w.cstring('w').cstring('UPDATE kv SET v = $2 WHERE k = $1').int16(0));
      c.message('D', (w) => w.int8('S'.charCodeAt(0)).cstring('w'));
      c.message('S');
      const m = await c.until('Z');
      expect(m.map((x) => x.type).join('')).toBe('1tT1tnZ');
      const row = m[2]!.body;
      expect(row.readInt16BE(0)).toBe(2);
      expect(row.toString('latin1')).toContain('k\0');
      expect(m[4]!.body.readInt16BE(0)).toBe(2); // the UPDATE's two parameters; it is not run to describe it
      expect((await db.query('SELECT count(*) FROM kv WHERE v IS NULL')).rows[0]?.[0]).toBe(0);
    } finally {
      c.close();
    }
  });

  it('keeps transactions: rollback discards, commit keeps, an error aborts until ROLLBACK', async () => {
    const c = await connect();
    try {
      await c.query('CREATE TABLE tx (id int PRIMARY KEY)');
      await c.query('BEGIN');
      await c.query('INSERT INTO tx VALUES (1)');
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query('INSERT INTO tx VALUES (2)');
      await c.query('COMMIT');
      expect((await c.query('SELECT id FROM tx')).rows).toEqual([{ id: 2 }]);
      await c.query('BEGIN');
      await expect(c.query('INSERT INTO tx VALUES (2)')).rejects.toMatchObject({ code: '23505' });
      await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      await c.query('ROLLBACK');
      expect((await c.query('SELECT count(*) AS n FROM tx')).rows[0].n).toBe('1');
    } finally {
      await c.end();
    }
  });

  it('reports errors with their SQLSTATE and position', async () => {
    const c = await connect();
    try {
      await expect(c.query('SELECT nope FROM tx')).rejects.toMatchObject({ code: '42703', position: '8' });
      await expect(c.query('SELECT * FROM missing_table')).rejects.toMatchObject({ code: '42P01' });
      await expect(c.query('SELEC 1')).rejects.toMatchObject({ code: '42601' });
      await expect(c.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
    } finally {
      await c.end();
    }
  });

  it('cancels a running query when another connection sends CancelRequest (57014)', async () => {
    const c = await connect();
    try {
      await c.query('CREATE TABLE big (id int PRIMARY KEY, v int)');
      await c.query(`INSERT INTO big VALUES ${Array.from({ length: 1000 }, (_, i) => `(${i}, ${i % 7})`).join(', ')}`);
      const started = Date.now();
      // 10^9 combinations: this runs until cancelled.
      const running = c.query('SELECT count(*) FROM big a, big b, big c WHERE a.v + b.v + c.v > 3').catch((e: unknown) => e as pg.DatabaseError);
      await new Promise((r) => setTimeout(r, 300));
      // node-postgres sends CancelRequest with this client's BackendKeyData over a new connection.
      const canceller = new pg.Client({ host: '127.0.0.1', port: server.port });
      (canceller as unknown as { cancel(target: pg.Client, q: unknown): void }).cancel(c, (c as unknown as { activeQuery: unknown }).activeQuery);
      expect(await running).toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect((await c.query('SELECT count(*) AS n FROM big')).rows).toEqual([{ n: '1000' }]);
    } finally {
      await c.end();
    }
  });

  // Both use the table the test above creates. Once their inputs are read neither plan waits on I/O: the
  // executor's cancel points give the timer its turn (olap/exec/cancel.ts).
  it.each([
    ['a 3-way cross join', 'SELECT count(*) FROM big a, big b, big c WHERE a.v + b.v + c.v > 3'],
    // about 4e11 joined rows; the residual is never true, so the last probe runs without any output
    ['hash joins under a grouped aggregate', 'SELECT a.v, count(*) FROM big a JOIN big b ON a.v = b.v JOIN big c ON b.v = c.v JOIN big d ON c.v = d.v AND a.id + d.id < 0 GROUP BY a.v'],
  ])('stops %s that runs past statement_timeout', async (_what, sql) => {
    const c = await connect();
    try {
      await c.query("SET statement_timeout = '200ms'");
      const started = Date.now();
      await expect(c.query(sql)).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
      expect(Date.now() - started).toBeLessThan(20_000);
      // off again first: on a loaded machine even this small query can take longer than the timeout
      await c.query('SET statement_timeout = 0');
      expect((await c.query('SELECT count(*) AS n FROM big')).rows).toEqual([{ n: '1000' }]);
    } finally {
      await c.end();
    }
  });

  it('rolls back the transaction of a client that disconnects in the middle of it', async () => {
    const a = await connect();
    a.on('error', () => undefined); // its socket is cut on purpose below
    await a.query('CREATE TABLE gone (id int PRIMARY KEY, v int)');
    await a.query('INSERT INTO gone VALUES (1, 0)');
    await a.query('BEGIN');
    await a.query('UPDATE gone SET v = 99 WHERE id = 1');
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const b = await connect();
    try {
      // The row lock is released by the rollback, so this update does not wait for ever.
      await b.query('UPDATE gone SET v = v + 1 WHERE id = 1');
      expect((await b.query('SELECT v FROM gone')).rows).toEqual([{ v: 1 }]);
    } finally {
      await b.end();
    }
  });

  it('serves a pool of 32 connections writing and reading at once', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, max: 32 });
    try {
      await pool.query('CREATE TABLE per_worker (id int PRIMARY KEY, n int)');
      await pool.query(`INSERT INTO per_worker VALUES ${Array.from({ length: 32 }, (_, i) => `(${i}, 0)`).join(', ')}`);
      const work = Array.from({ length: 32 }, async (_, worker) => {
        for (let i = 0; i < 5; i++) {
          await pool.query('UPDATE per_worker SET n = n + 1 WHERE id = $1', [worker]);
          const r = await pool.query('SELECT n FROM per_worker WHERE id = $1', [worker]);
          expect(r.rows).toEqual([{ n: i + 1 }]);
        }
      });
      await Promise.all(work);
      const r = await pool.query('SELECT sum(n) AS s, count(*) AS c FROM per_worker');
      expect(r.rows[0]).toEqual({ s: '160', c: '32' });
      expect(pool.totalCount).toBe(32);
    } finally {
      await pool.end();
    }
  });

  it('applies every concurrent increment of the same row (READ COMMITTED with row locks)', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, max: 32 });
    try {
      await pool.query('CREATE TABLE counters (id int PRIMARY KEY, n int)');
      await pool.query('INSERT INTO counters VALUES (1, 0), (2, 0), (3, 0), (4, 0)');
      const work = Array.from({ length: 32 }, async (_, worker) => {
        for (let i = 0; i < 5; i++) await pool.query('UPDATE counters SET n = n + 1 WHERE id = $1', [(worker % 4) + 1]);
      });
      await Promise.all(work);
      const r = await pool.query('SELECT id, n FROM counters ORDER BY id');
      expect(r.rows).toEqual([1, 2, 3, 4].map((id) => ({ id, n: 40 })));
    } finally {
      await pool.end();
    }
  });
});

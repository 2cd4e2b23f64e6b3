// The wire protocol against a stand-in engine (test/server/stub-engine.ts), driven by node-postgres and
// by a byte-level client: types, parameters, errors, transaction status, cancel, limits, bad input.

import { networkInterfaces } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgServer } from '../../server/server.ts';
import { Oid, parseBinaryParam } from '../../server/pgwire/values.ts';
import { dataRowBuffers, dataRowTexts, RawClient, reportFields } from './raw-client.ts';
import { StubEngine, typeSample } from './stub-engine.ts';

let engine: StubEngine;
let server: PgServer;

beforeAll(async () => {
  engine = new StubEngine();
  server = await PgServer.listen({ engine, port: 0, maxConnections: 40, messageBytesMax: 1024 * 1024 });
});

afterAll(async () => {
  await server.close();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'tester', database: 'db' });
  await c.connect();
  return c;
}

const rawText = { getTypeParser: () => (v: string) => v };

describe('node-postgres', () => {
  it('returns every type in text format with PostgreSQL type OIDs', async () => {
    const c = await client();
    try {
      const r = await c.query({ text: 'select types', types: rawText as never });
      expect(r.fields.map((f) => f.name)).toEqual(typeSample.map((t) => t.name));
      expect(r.fields.map((f) => f.dataTypeID)).toEqual([23, 20, 1700, 701, 25, 1043, 1042, 16, 1082, 1114]);
      expect(r.rows[0]).toEqual(Object.fromEntries(typeSample.map((t) => [t.name, t.text])));
      expect(Object.values(r.rows[1])).toEqual(typeSample.map(() => null));
    } finally {
      await c.end();
    }
  });

  it('returns the common types in binary format (byte level: node-postgres decodes binary fields as UTF-8)', async () => {
    const c = await RawClient.ready(server.port);
    c.message('P', (w) => w.cstring('').cstring('select types').int16(0));
    c.message('B', (w) => w.cstring('').cstring('').int16(0).int16(0).int16(1).int16(1));
    c.message('D', (w) => w.int8('P'.charCodeAt(0)).cstring(''));
    c.message('E', (w) => w.cstring('').int32(0));
    c.message('S');
    const m = await c.until('Z');
    expect(m.map((x) => x.type).join('')).toBe('12TDDCZ');
    const [i, b, n, d, t, v, ch, bo, dt, ts] = dataRowBuffers(m[3]!.body);
    expect(i!.readInt32BE(0)).toBe(-2147483648);
    expect(b!.readBigInt64BE(0)).toBe(9007199254740991n);
    expect(parseBinaryParam(n!, Oid.numeric)).toBe('-123456789.012');
    expect(d!.readDoubleBE(0)).toBe(0.1);
    expect([t!.toString(), v!.toString(), ch!.toString()]).toEqual(['héllo\t"wörld"', 'abc', 'ab  ']);
    expect([...bo!]).toEqual([1]);
    expect(dt!.readInt32BE(0)).toBe(19723 - 10957); // days since 2000-01-01
    expect(ts!.readBigInt64BE(0)).toBe(1704110400123456n - 946684800000000n); // µs since 2000-01-01
    expect(dataRowBuffers(m[4]!.body).every((x) => x === null)).toBe(true);
    c.close();
  });

  it('passes parameters (untyped text from node-postgres arrives as strings, NULL as null)', async () => {
    const c = await client();
    try {
      const r = await c.query('select params', [42, 'x y', true, null]);
      expect(r.rows[0]).toEqual({ p1: '42', p2: 'x y', p3: 'true', p4: null });
    } finally {
      await c.end();
    }
  });

  it('reports errors with SQLSTATE, position, hint and detail, and the connection stays usable', async () => {
    const c = await client();
    try {
      const error = await c.query('fail 23505').catch((e: unknown) => e as pg.DatabaseError);
      expect(error).toMatchObject({ code: '23505', position: '6', hint: 'a hint', detail: 'a detail', severity: 'ERROR' });
      expect((await c.query('select series 2')).rowCount).toBe(2);
    } finally {
      await c.end();
    }
  });

  it('shifts error positions to the whole string in a multi-statement query', async () => {
    const c = await client();
    try {
      const error = await c.query('select series 1; fail 42703').catch((e: unknown) => e as pg.DatabaseError);
      expect(error).toMatchObject({ code: '42703', position: String('select series 1; '.length + 6) });
    } finally {
      await c.end();
    }
  });

  it('runs a multi-statement query in one implicit transaction (rolled back on error)', async () => {
    const c = await client();
    try {
      engine.log.length = 0;
      await c.query('select series 1; select series 2');
      await expect(c.query('select series 1; fail 22012; select series 3')).rejects.toMatchObject({ code: '22012' });
      await c.query('begin; select series 1; commit');
      expect(engine.log).toEqual([
        'begin', 'select series 1', 'select series 2', 'commit',
        'begin', 'select series 1', 'fail 22012', 'rollback',
        'begin', 'select series 1', 'commit',
      ]);
    } finally {
      await c.end();
    }
  });

  it('answers version(), SHOW and SET of client parameters', async () => {
    const c = await client();
    try {
      expect((await c.query('SELECT version()')).rows[0].version).toMatch(/^PostgreSQL 15\.0/);
      expect((await c.query('select current_database()')).rows).toEqual([{ current_database: 'duet' }]);
      expect((await c.query('SELECT current_user AS who')).rows).toEqual([{ who: 'tester' }]);
      expect((await c.query('SELECT pg_backend_pid()')).rows).toEqual([{ pg_backend_pid: (c as unknown as { processID: number }).processID }]);
      expect((await c.query('SHOW standard_conforming_strings')).rows).toEqual([{ standard_conforming_strings: 'on' }]);
      await c.query("SET application_name = 'bench'");
      expect((await c.query('show application_name')).rows).toEqual([{ application_name: 'bench' }]);
      await c.query('SET statement_timeout = 1000');
      await c.query('DISCARD ALL');
      expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      expect((await c.query('VACUUM ANALYZE')).command).toBe('VACUUM');
      expect(notices[0]).toMatch(/VACUUM is not needed/);
    } finally {
      await c.end();
    }
  });

  it('cancels a running query from a second connection (57014)', async () => {
    const c = await client();
    try {
      const started = Date.now();
      const running = c.query('sleep 20000').catch((e: unknown) => e as pg.DatabaseError);
      await new Promise((r) => setTimeout(r, 200));
      // node-postgres sends CancelRequest with this client's BackendKeyData over a new connection.
      const canceller = new pg.Client({ host: '127.0.0.1', port: server.port });
      (canceller as unknown as { cancel(target: pg.Client, q: unknown): void }).cancel(c, (c as unknown as { activeQuery: unknown }).activeQuery);
      const error = await running;
      expect(error).toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await c.query('select series 1')).rowCount).toBe(1);
    } finally {
      await c.end();
    }
  });

  it('cancels a statement that runs past statement_timeout', async () => {
    const c = await client();
    try {
      await c.query("SET statement_timeout = '100ms'");
      const started = Date.now();
      await expect(c.query('sleep 20000')).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
      expect(Date.now() - started).toBeLessThan(5000);
      await c.query('SET statement_timeout = 0');
      expect((await c.query('sleep 150')).command).toBe('SLEEP');
    } finally {
      await c.end();
    }
  });

  it('serves a pool of 32 connections under load', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, max: 32 });
    try {
      const runs = Array.from({ length: 320 }, (_, i) => pool.query(`select series ${(i % 50) + 1}`));
      const results = await Promise.all(runs);
      results.forEach((r, i) => {
        expect(r.rowCount).toBe((i % 50) + 1);
        expect(r.rows.at(-1)).toEqual({ i: (i % 50) + 1, label: `row ${(i % 50) + 1}` });
      });
      expect(pool.totalCount).toBe(32);
    } finally {
      await pool.end();
    }
  });
});

describe('protocol details (byte level)', () => {
  it('reports the transaction status I / T / E in ReadyForQuery', async () => {
    const c = await RawClient.ready(server.port);
    const status = async (sql: string): Promise<string> => {
      c.query(sql);
      const z = (await c.until('Z')).at(-1)!;
      return String.fromCharCode(z.body[0]!);
    };
    expect(await status('select series 1')).toBe('I');
    expect(await status('begin')).toBe('T');
    expect(await status('select series 1')).toBe('T');
    expect(await status('fail 22012')).toBe('E');
    expect(await status('select series 1')).toBe('E');
    expect(await status('rollback')).toBe('I');
    c.close();
  });

  it('rolls back the transaction of a client that disconnects mid-transaction', async () => {
    const before = engine.rolledBack;
    const c = await RawClient.ready(server.port);
    c.query('begin');
    await c.until('Z');
    c.close();
    await waitFor(() => engine.rolledBack === before + 1);
  });

  it('sends startup parameters and BackendKeyData; refuses SSL with N', async () => {
    const c = await RawClient.connect(server.port);
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(80877103, 4);
    c.send(ssl);
    await waitFor(() => (c as unknown as { buffered: Buffer }).buffered.length >= 1);
    expect((c as unknown as { buffered: Buffer }).buffered.toString()).toBe('N');
    (c as unknown as { buffered: Buffer }).buffered = Buffer.alloc(0);
    c.startup();
    const messages = await c.until('Z');
    const params = Object.fromEntries(
      messages.filter((m) => m.type === 'S').map((m) => m.body.toString().split('\0').slice(0, 2) as [string, string]),
    );
    expect(params).toMatchObject({ server_version: '15.0', client_encoding: 'UTF8', DateStyle: 'ISO, MDY', TimeZone: 'UTC', integer_datetimes: 'on', standard_conforming_strings: 'on' });
    expect(messages.some((m) => m.type === 'K' && m.body.length === 8)).toBe(true);
    c.close();
  });

  it('takes typed binary parameters and honours Execute row limits with PortalSuspended', async () => {
    const c = await RawClient.ready(server.port);
    c.message('P', (w) => w.cstring('s1').cstring('select params').int16(3).int32(Oid.int4).int32(Oid.float8).int32(Oid.bool));
    c.message('B', (w) => {
      w.cstring('').cstring('s1').int16(1).int16(1).int16(3);
      w.int32(4).int32(-7);
      const f = Buffer.alloc(8);
      f.writeDoubleBE(2.5);
      w.int32(8).bytes(f);
      w.int32(1).int8(1);
      w.int16(0);
    });
    c.message('E', (w) => w.cstring('').int32(0));
    c.message('S');
    const m1 = await c.until('Z');
    expect(m1.map((m) => m.type).join('')).toBe('12DCZ');
    expect(dataRowTexts(m1[2]!.body)).toEqual(['-7', '2.5', 't']);

    c.message('P', (w) => w.cstring('').cstring('select series 5').int16(0));
    c.message('B', (w) => w.cstring('p').cstring('').int16(0).int16(0).int16(1).int16(1));
    c.message('E', (w) => w.cstring('p').int32(2));
    c.message('E', (w) => w.cstring('p').int32(2));
    c.message('E', (w) => w.cstring('p').int32(2));
    c.message('S');
    const m2 = await c.until('Z');
    expect(m2.map((m) => m.type).join('')).toBe('12DDsDDsDCZ');
    expect(dataRowBuffers(m2[2]!.body)[0]!.readInt32BE(0)).toBe(1);
    expect(dataRowBuffers(m2[8]!.body)[0]!.readInt32BE(0)).toBe(5);
    expect(m2[9]!.body.toString()).toBe('SELECT 1\0');
    c.close();
  });

  it('describes statements and portals, closes them, and skips to Sync after an error', async () => {
    const c = await RawClient.ready(server.port);
    c.message('P', (w) => w.cstring('st').cstring('select series 2 -- $2').int16(0));
    c.message('D', (w) => w.int8('S'.charCodeAt(0)).cstring('st'));
    c.message('B', (w) => w.cstring('').cstring('st').int16(0).int16(0).int16(0));
    c.message('D', (w) => w.int8('P'.charCodeAt(0)).cstring(''));
    c.message('E', (w) => w.cstring('').int32(0));
    c.message('C', (w) => w.int8('S'.charCodeAt(0)).cstring('st'));
    c.message('B', (w) => w.cstring('').cstring('st').int16(0).int16(0).int16(0)); // now an error
    c.message('E', (w) => w.cstring('').int32(0)); // skipped
    c.message('S');
    const m = await c.until('Z');
    expect(m.map((x) => x.type).join('')).toBe('1tn2TDDC3EZ');
    expect(m[1]!.body.readInt16BE(0)).toBe(2);
    expect(reportFields(m[9]!.body).C).toBe('26000');
    c.close();
  });

  it('closes the connection with 08P01 on an oversized message, and nothing else', async () => {
    const c = await RawClient.ready(server.port);
    const header = Buffer.alloc(5);
    header.write('Q');
    header.writeInt32BE(2 * 1024 * 1024, 1);
    c.send(header);
    const m = await c.next();
    expect(m?.type).toBe('E');
    expect(reportFields(m!.body)).toMatchObject({ S: 'FATAL', C: '08P01' });
    expect(await c.next()).toBeUndefined();
  });

  it('closes the connection with 08P01 on a malformed message', async () => {
    const c = await RawClient.ready(server.port);
    c.send(Buffer.from([0x51, 0, 0, 0, 7, 0x61, 0x62, 0x63])); // 'Q' whose string lacks its terminator
    const m = await c.next();
    expect(reportFields(m!.body)).toMatchObject({ S: 'FATAL', C: '08P01' });
    expect(await c.next()).toBeUndefined();
  });

  it('refuses clients past the connection limit with 53300', async () => {
    const small = await PgServer.listen({ engine, port: 0, maxConnections: 2 });
    try {
      const a = await RawClient.ready(small.port);
      const b = await RawClient.ready(small.port);
      const c = await RawClient.connect(small.port);
      c.startup();
      const m = await c.next();
      expect(reportFields(m!.body)).toMatchObject({ S: 'FATAL', C: '53300' });
      a.close();
      await waitFor(() => small.connectionCount === 1);
      const d = await RawClient.ready(small.port); // room again
      b.close();
      d.close();
    } finally {
      await small.close();
    }
  });

  it('stops producing rows while the client does not read (socket backpressure)', async () => {
    const c = await RawClient.ready(server.port);
    c.socket.pause();
    c.query('select series 400000'); // about 10 MB of DataRows
    await new Promise((r) => setTimeout(r, 500));
    const queued = server.outputBufferedBytes();
    expect(queued).toBeLessThan(2 * 1024 * 1024);
    c.socket.resume();
    const all = await c.until('Z');
    expect(all.filter((m) => m.type === 'D').length).toBe(400000);
    c.close();
  });
});

// A non-loopback address of this machine, to connect "from elsewhere" (none on a loopback-only box).
const externalAddress = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv4' && !a.internal)?.address;

describe('authentication (SCRAM-SHA-256)', () => {
  it.skipIf(externalAddress === undefined)('lets only loopback clients in when no password is configured (28000)', async () => {
    const open = await PgServer.listen({ engine, host: '0.0.0.0', port: 0 });
    try {
      const remote = new pg.Client({ host: externalAddress, port: open.port, user: 'u' });
      await expect(remote.connect()).rejects.toMatchObject({ code: '28000' });
      const local = new pg.Client({ host: '127.0.0.1', port: open.port, user: 'u' });
      await local.connect();
      await local.end();
    } finally {
      await open.close();
    }
  });


  it('lets the right password in, refuses a wrong one with 28P01, and runs nothing before', async () => {
    const secured = await PgServer.listen({ engine, port: 0, password: 's3cret' });
    try {
      const good = new pg.Client({ host: '127.0.0.1', port: secured.port, user: 'u', password: 's3cret' });
      await good.connect();
      expect((await good.query('select series 1')).rowCount).toBe(1);
      await good.end();

      const bad = new pg.Client({ host: '127.0.0.1', port: secured.port, user: 'u', password: 'nope' });
      await expect(bad.connect()).rejects.toMatchObject({ code: '28P01' });

      const sneaky = await RawClient.connect(secured.port);
      sneaky.startup();
      const ask = await sneaky.next();
      expect(ask?.type).toBe('R');
      expect(ask!.body.readInt32BE(0)).toBe(10); // AuthenticationSASL
      sneaky.query('select series 1');
      const m = await sneaky.next();
      expect(reportFields(m!.body)).toMatchObject({ S: 'FATAL', C: '08P01' });
      expect(await sneaky.next()).toBeUndefined();
    } finally {
      await secured.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

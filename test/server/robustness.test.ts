// The server under hostile or unusual input: random bytes after startup, pipelined messages, COPY
// aborted by the client or failing mid-stream. The server must answer or close that one connection,
// and keep serving everyone else.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgServer } from '../../server/server.ts';
import { dataRowTexts, RawClient, reportFields } from './raw-client.ts';
import { StubEngine } from './stub-engine.ts';

let engine: StubEngine;
let server: PgServer;

beforeAll(async () => {
  engine = new StubEngine();
  server = await PgServer.listen({ engine, port: 0, messageBytesMax: 64 * 1024 });
});

afterAll(async () => {
  await server.close();
});

async function stillServes(): Promise<void> {
  const c = await RawClient.ready(server.port);
  c.query('select series 1');
  const m = await c.until('Z');
  expect(m.map((x) => x.type).join('')).toBe('TDCZ');
  c.close();
}

describe('robustness', () => {
  it('survives random bytes after startup: every reply is well-formed, other clients are unaffected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (garbage) => {
        const c = await RawClient.ready(server.port);
        c.send(Buffer.from(garbage));
        c.message('S'); // a Sync, in case the garbage happened to be a valid prefix
        for (let m = await c.next(2000).catch(() => undefined); m; m = await c.next(300).catch(() => undefined)) {
          expect('EZNSDTC123ntsIs'.includes(m.type)).toBe(true);
        }
        c.close();
      }),
      { numRuns: 40 },
    );
    await stillServes();
  });

  it('drops a client that does not finish startup in time', async () => {
    const slow = await PgServer.listen({ engine, port: 0, startupTimeoutMs: 200 });
    try {
      const c = await RawClient.connect(slow.port);
      c.send(Buffer.from([0, 0, 0])); // a startup packet that never completes
      const started = Date.now();
      expect(await c.next(3000)).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await slow.close();
    }
  });

  it('answers pipelined simple queries in order, including an empty one', async () => {
    const c = await RawClient.ready(server.port);
    c.query('select series 1');
    c.query('   ');
    c.query('select series 2; select series 1');
    const seen = [...(await c.until('Z')), ...(await c.until('Z')), ...(await c.until('Z'))];
    expect(seen.map((m) => m.type).join('')).toBe('TDCZ' + 'IZ' + 'TDDCTDCZ');
    c.close();
  });

  it('takes COPY data in many small messages, and a CopyFail aborts the COPY with 57014', async () => {
    const c = await RawClient.ready(server.port);
    c.query('copy pieces from stdin');
    expect((await c.next())?.type).toBe('G');
    for (const piece of ['1\tfi', 'rst\t0.5\n2\t', 'second\t', '-1\n']) c.message('d', (w) => w.bytes(Buffer.from(piece)));
    c.message('c');
    const done = await c.until('Z');
    expect(done[0]!.body.toString()).toBe('COPY 2\0');
    expect(engine.tables.get('pieces')).toEqual([[1, 'first', 0.5], [2, 'second', -1]]);

    c.query('copy aborted from stdin');
    expect((await c.next())?.type).toBe('G');
    c.message('d', (w) => w.bytes(Buffer.from('1\tx\t1\n')));
    c.message('f', (w) => w.cstring('client changed its mind'));
    const failed = await c.until('Z');
    expect(reportFields(failed[0]!.body)).toMatchObject({ C: '57014', M: 'COPY from stdin failed: client changed its mind' });
    expect(engine.tables.has('aborted')).toBe(false);
    c.close();
  });

  it('reports a COPY row error once the client has finished sending, then goes on', async () => {
    const c = await RawClient.ready(server.port);
    c.query('copy broken from stdin');
    expect((await c.next())?.type).toBe('G');
    c.message('d', (w) => w.bytes(Buffer.from('1\tonly two\n')));
    c.message('d', (w) => w.bytes(Buffer.from('2\tstill\t3\n')));
    c.message('c');
    const m = await c.until('Z');
    expect(m.map((x) => x.type).join('')).toBe('EZ');
    expect(reportFields(m[0]!.body).C).toBe('22P04');
    c.query('select series 1');
    const after = await c.until('Z');
    expect(dataRowTexts(after[1]!.body)).toEqual(['1', 'row 1']);
    c.close();
  });

  it('refuses COPY in the extended protocol with 0A000', async () => {
    const c = await RawClient.ready(server.port);
    c.message('P', (w) => w.cstring('').cstring('copy t from stdin').int16(0));
    c.message('B', (w) => w.cstring('').cstring('').int16(0).int16(0).int16(0));
    c.message('E', (w) => w.cstring('').int32(0));
    c.message('S');
    const m = await c.until('Z');
    expect(m.map((x) => x.type).join('')).toBe('12EZ');
    expect(reportFields(m[2]!.body).C).toBe('0A000');
    c.close();
  });
});

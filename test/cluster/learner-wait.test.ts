// The bounded wait of a voter's column-path read through a learner member (LearnerReplica.runFragment with
// `waitMs`), against a scripted member relay in this process: one that stops answering, one that answers its
// status but is behind, and one that is caught up but slow to finish the fragment (which must not be cut off).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';
import { LearnerBehindError, LearnerReplica } from '../../olap/learner/client.ts';
import { startLearner, stopLearner } from '../../olap/learner/index.ts';
import type { FromLearner, ToLearner } from '../../olap/learner/messages.ts';
import { onFrames, sendFrame } from '../../olap/learner/socket.ts';
import type { PlanNode } from '../../olap/exec/spec.ts';

/** A relay that answers `init`, then `status` with `appliedIndex()` (unless mute) and fragments after `fragmentMs`. */
interface Script { mute: boolean; appliedIndex: () => number; fragmentMs: number }

async function scriptedRelay(script: Script, seen: ToLearner[]): Promise<{ server: Server; address: string }> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    onFrames(socket, (raw) => {
      const m = raw as ToLearner;
      seen.push(m);
      if (m.kind === 'init') return sendFrame(socket, { kind: 'ready', appliedIndex: 0 } satisfies FromLearner);
      if (script.mute) return;
      const status = { appliedIndex: script.appliedIndex(), appliedTs: 0, horizonTs: 0, compactions: 0, diskBytes: 0, tables: [] };
      if (m.kind === 'status') sendFrame(socket, { kind: 'status', id: m.id, status } satisfies FromLearner);
      if (m.kind === 'fragment') setTimeout(() => sendFrame(socket, { kind: 'fragmentResult', id: m.id, ipc: new Uint8Array([1, 2, 3]), done: true, scans: [] } satisfies FromLearner), script.fragmentMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  return { server, address: `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` };
}

/** Never executed: the scripted relay only answers. */
const PLAN = { kind: 'values', rows: [], columns: [] } as unknown as PlanNode;

describe('bounded wait of a column-path read through a learner member', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-learner-wait-'));
  let db: Database;
  beforeAll(async () => {
    db = await Database.open(dir, { learner: false });
    await db.query('CREATE TABLE t (k INT PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1), (2)');
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(script: Script, waitMs: number): Promise<{ result: Uint8Array[] | Error; seen: ToLearner[] }> {
    const seen: ToLearner[] = [];
    const { server, address } = await scriptedRelay(script, seen);
    const replica = await LearnerReplica.start(db.store, { remote: address, feed: false });
    try {
      const chunks: Uint8Array[] = [];
      try {
        for await (const c of replica.runFragment(PLAN, { params: [], ts: db.store.stats.appliedTs, waitMs })) chunks.push(c);
        return { result: chunks, seen };
      } catch (e) {
        return { result: e as Error, seen };
      }
    } finally {
      await replica.kill();
      server.close();
    }
  }

  it('gives up on a member that stops answering and cancels the fragment there', async () => {
    const { result, seen } = await run({ mute: true, appliedIndex: () => 0, fragmentMs: 0 }, 300);
    expect(result).toBeInstanceOf(LearnerBehindError);
    expect((result as LearnerBehindError).behindEntries).toBeUndefined(); // it never answered a status
    const fragment = seen.find((m) => m.kind === 'fragment');
    // the cancel goes out right after the give-up; the member reads it when it runs again
    for (let i = 0; i < 50 && !seen.some((m) => m.kind === 'fragmentCancel'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toContainEqual({ kind: 'fragmentCancel', id: (fragment as { id: number }).id });
  });

  it('gives up on a member that answers but stays behind, saying how far', async () => {
    const { result } = await run({ mute: false, appliedIndex: () => 0, fragmentMs: 5000 }, 300);
    expect(result).toBeInstanceOf(LearnerBehindError);
    expect((result as LearnerBehindError).behindEntries).toBe(db.store.stats.appliedIndex);
  });

  it('lets a fragment that outlasts the bound finish once the member has the index', async () => {
    const { result, seen } = await run({ mute: false, appliedIndex: () => db.store.stats.appliedIndex, fragmentMs: 800 }, 300);
    expect(result).toEqual([new Uint8Array([1, 2, 3])]);
    expect(seen.some((m) => m.kind === 'fragmentCancel')).toBe(false);
  });
});

describe('a voter reading through a scripted member: the row path answers when the member stalls or dies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-learner-wait-db-'));
  let db: Database;
  const ROWS = 3000;
  beforeAll(async () => {
    db = await Database.open(dir, { learner: false });
    await db.query('CREATE TABLE t (k INT PRIMARY KEY, v INT)');
    await db.query(`INSERT INTO t VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${i % 7})`).join(', ')}`);
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A member whose status lists t (so the router picks the column path) and that mishandles every fragment. */
  async function withMember(onFragment: (socket: Socket) => void, body: () => Promise<void>): Promise<void> {
    const server = createServer((socket: Socket) => {
      socket.on('error', () => undefined);
      onFrames(socket, (raw) => {
        const m = raw as ToLearner;
        if (m.kind === 'init') return sendFrame(socket, { kind: 'ready', appliedIndex: 0 } satisfies FromLearner);
        if (m.kind === 'close') return sendFrame(socket, { kind: 'closed' } satisfies FromLearner);
        const table = { name: 't', id: 1, deltaRows: ROWS, stableRows: 0, stableBlocks: 0, stableSegments: 0, memoryBytes: 0, diskBytes: 0 };
        if (m.kind === 'status') sendFrame(socket, { kind: 'status', id: m.id, status: { appliedIndex: 0, appliedTs: 0, horizonTs: 0, compactions: 0, diskBytes: 0, tables: [table] } } satisfies FromLearner);
        if (m.kind === 'fragment') onFragment(socket);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const a = server.address();
    await startLearner(db.store, { remote: `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, feed: false });
    try {
      await body();
    } finally {
      await stopLearner(db.store).catch(() => undefined);
      server.close();
    }
  }

  const QUERY = 'SELECT count(*) AS n, sum(v) AS total FROM t';

  it('falls back after duet.learner_wait_ms when the member never reaches the index; EXPLAIN ANALYZE says why', async () => {
    await withMember(() => undefined, async () => {
      await db.query('SET duet.learner_wait_ms = 200');
      expect((await db.query(`EXPLAIN ${QUERY}`)).rows[0]![0]).toMatch(/^path: column/);
      const rowPath = await db.query(`/*+ engine(row) */ ${QUERY}`);
      expect((await db.query(QUERY)).rows).toEqual(rowPath.rows);
      const plan = (await db.query(`EXPLAIN ANALYZE ${QUERY}`)).rows[0]![0];
      expect(plan).toMatch(/^path: column .*\[fell back to row: learner \d+ entries behind after 200 ms\]/);
    });
  });

  it('answers on the row path when the member dies during the read', async () => {
    await withMember((socket) => socket.destroy(), async () => {
      await db.query('SET duet.learner_wait_ms = default');
      expect((await db.query(`EXPLAIN ${QUERY}`)).rows[0]![0]).toMatch(/^path: column/);
      const rowPath = await db.query(`/*+ engine(row) */ ${QUERY}`);
      expect((await db.query(QUERY)).rows).toEqual(rowPath.rows);
      expect(Number(rowPath.rows[0]![0])).toBe(ROWS);
    });
  });

  it('refuses a bad duet.learner_wait_ms with 22023', async () => {
    await expect(db.query("SET duet.learner_wait_ms = 'soon'")).rejects.toMatchObject({ code: '22023' });
  });
});

// The columnar learner as its own process (olap/learner/serve-main.ts), fed and read over TCP through the same
// message interface as the worker: scans equal the row store; after the process is killed (SIGKILL) and
// restarted on its directory it catches up from the log; SQL column-path reads go through it.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import type { Row } from '../../oltp/types.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { LearnerReplica } from '../../olap/learner/client.ts';
import { Database } from '../../query/database.ts';
import { serveMain } from '../../server/cli.ts';
import pg from 'pg';
import { canon, Workload } from './workload.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-learner-remote-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `duet learner` (through bin/duet.js), or the module run directly. */
async function learnerProcess(dir: string, via: 'duet' | 'direct' = 'duet'): Promise<{ child: ChildProcess; address: string }> {
  const root = join(import.meta.dirname, '..', '..');
  const command = via === 'duet' ? [join(root, 'bin', 'duet.js'), 'learner'] : ['--import', 'tsx', join(root, 'olap', 'learner', 'serve-main.ts')];
  const child = spawn(process.execPath, [...command, '--dir', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /learner listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`learner process exited (${code}) before listening`)));
  });
  return { child, address };
}

async function expectSameAsRowStore(store: RowStore, replica: LearnerReplica): Promise<number> {
  const txn = store.begin({ isolation: 'snapshot' });
  let tables = 0;
  try {
    for (const def of txn.listTables()) {
      const rows: Row[] = [];
      for await (const b of txn.scan(def)) rows.push(...b);
      const r = await replica.read(def.name, { ts: txn.readTs });
      expect(canon(r.batches.flatMap(batchToRows)), `table ${def.name}`).toEqual(canon(rows));
      tables++;
    }
  } finally {
    txn.rollback();
  }
  return tables;
}

describe('learner process (duet learner)', () => {
  it('serves the message interface over TCP; killed and restarted, it catches up from the log', async () => {
    const dir = tempDir();
    const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
    const learnerDir = join(dir, 'learner');
    let proc = await learnerProcess(learnerDir);
    let replica = await LearnerReplica.start(store, { remote: proc.address });
    const w = new Workload(store, 61);
    for (let i = 0; i < 60; i++) await w.step();
    await replica.caughtUp();
    expect(await expectSameAsRowStore(store, replica)).toBeGreaterThan(0);
    await replica.compact(); // saved by the process in its own directory
    expect((await replica.status()).diskBytes).toBeGreaterThan(0);

    // the process dies while commits go on: the leader side sees the learner fail, commits are not held back
    const more = (async () => {
      for (let i = 0; i < 30; i++) await w.step();
    })();
    proc.child.kill('SIGKILL');
    await more;
    await new Promise((r) => setTimeout(r, 50));
    expect(replica.state).toBe('failed');
    await replica.kill();

    proc = await learnerProcess(learnerDir, 'direct');
    replica = await LearnerReplica.start(store, { remote: proc.address });
    await replica.caughtUp();
    const status = await replica.status();
    expect(status.rebuilds).toBe(0);
    expect(status.appliedIndex).toBe(store.stats.appliedIndex);
    expect(await expectSameAsRowStore(store, replica)).toBeGreaterThan(0);
    await replica.close();
    await store.close();
    proc.child.kill('SIGTERM');
  });

  it('a database whose learner is a separate process answers column-path SQL through it', async () => {
    const proc = await learnerProcess(join(tempDir(), 'learner'));
    const db = await Database.open(tempDir(), { learner: { remote: proc.address } });
    await db.query('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)');
    const s = db.session();
    await s.query("SET duet.engine = 'column'");
    let sum = 0;
    for (let i = 0; i < 20; i++) {
      await s.query(`INSERT INTO t VALUES (${i}, ${i * 3})`);
      sum += i * 3;
      expect((await s.query('SELECT count(*), sum(v) FROM t')).rows).toEqual([[i + 1, sum]]);
    }
    const [replica] = (await s.query('SHOW REPLICAS')).rows;
    expect(replica?.slice(0, 3)).toEqual([proc.address, 't', 'running']);
    const plan = (await s.query('EXPLAIN ANALYZE SELECT sum(v) FROM t')).rows.map((r) => String(r[0]));
    expect(plan[0]).toMatch(/^path: column/);
    expect(plan[0]).not.toMatch(/fell back/);
    await s.close();
    await db.close();
    proc.child.kill('SIGTERM');
  });

  it('duet serve --learner-at HOST:PORT: a psql-style client reads through the learner process', async () => {
    const proc = await learnerProcess(join(tempDir(), 'learner'));
    const stop = new AbortController();
    let port = 0;
    let served: Promise<number> | undefined;
    await new Promise<void>((resolve) => {
      served = serveMain(['--db', tempDir(), '--listen', '127.0.0.1:0', '--learner-at', proc.address], { signal: stop.signal, onListening: (p) => { port = p; resolve(); } });
    });
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'duet', database: 'duet' });
    await client.connect();
    try {
      await client.query('CREATE TABLE m (k INTEGER PRIMARY KEY, v INTEGER)');
      await client.query('INSERT INTO m VALUES (1, 10), (2, 20), (3, 30)');
      await client.query("SET duet.engine = 'column'");
      expect((await client.query('SELECT sum(v) AS s FROM m')).rows).toEqual([{ s: '60' }]);
      expect((await client.query('SHOW REPLICAS')).rows[0]).toMatchObject({ replica: proc.address, table_name: 'm', state: 'running' });
    } finally {
      await client.end();
      stop.abort();
      expect(await served).toBe(0);
      proc.child.kill('SIGTERM');
    }
  });
});

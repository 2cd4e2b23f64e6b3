// A real 3-process cluster on loopback: writes through the leader reach every node; SIGKILL of the leader
// elects a new one that accepts writes; after killing and restarting every node no acknowledged write is lost.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, TestCluster } from './helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/duet.js');

async function countOn(cluster: TestCluster, id: number): Promise<number[]> {
  const client = await cluster.connect(id);
  try {
    const r = await client.query('SELECT k FROM kv ORDER BY k');
    return r.rows.map((row: { k: number }) => Number(row.k));
  } finally {
    await client.end();
  }
}

/** Polls node `id` until it holds exactly `keys` (followers apply shortly after the leader acknowledges). */
async function expectKeysOn(cluster: TestCluster, id: number, keys: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: number[] = [];
  while (Date.now() < deadline) {
    try {
      seen = await countOn(cluster, id);
      if (seen.length === keys.length && seen.every((k, i) => k === keys[i])) return;
    } catch {
      // the table may not have reached this node yet
    }
    await sleep(100);
  }
  expect(seen).toEqual(keys);
}

describe('3-process cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-cluster-'));
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replicates writes, fails over after SIGKILL of the leader, and loses no acknowledged write', async () => {
    cluster = await TestCluster.start({ dir });
    await cluster.atLeader('CREATE TABLE kv (k INT PRIMARY KEY, v INT)');
    const acked: number[] = [];
    let leader = 0;
    for (let k = 1; k <= 20; k++) {
      const { id } = await cluster.atLeader('INSERT INTO kv VALUES ($1, $2)', [k, k * 10]);
      leader = id;
      acked.push(k);
    }
    for (const id of cluster.ids) await expectKeysOn(cluster, id, acked);

    // A write sent to a follower is refused with the leader's SQL address.
    const follower = cluster.ids.find((i) => i !== leader)!;
    const fc = await cluster.connect(follower);
    const refused = await fc.query('INSERT INTO kv VALUES (1000, 0)').then(() => undefined, (e: { code: string; hint: string }) => e);
    await fc.end();
    expect(refused?.code).toBe('25006');
    expect(refused?.hint).toBe(`connect to the leader at 127.0.0.1:${cluster.sqlPorts.get(leader)}`);

    await cluster.kill(leader, 'SIGKILL');
    for (let k = 21; k <= 40; k++) {
      const { id } = await cluster.atLeader('INSERT INTO kv VALUES ($1, $2)', [k, k * 10]);
      expect(id).not.toBe(leader);
      acked.push(k);
    }
    await cluster.startNode(leader);
    for (const id of cluster.ids) await expectKeysOn(cluster, id, acked);

    // Every node killed at once, then restarted: the acknowledged writes are all still there, everywhere.
    await Promise.all(cluster.ids.map((id) => cluster!.kill(id, 'SIGKILL')));
    await Promise.all(cluster.ids.map((id) => cluster!.startNode(id)));
    await cluster.atLeader('INSERT INTO kv VALUES (41, 410)');
    acked.push(41);
    for (const id of cluster.ids) await expectKeysOn(cluster, id, acked);

    // `duet --connect` talks to any node (here each one) over the wire protocol.
    for (const id of cluster.ids) {
      const out = execFileSync(process.execPath, [BIN, '--connect', `127.0.0.1:${cluster.sqlPorts.get(id)}`, '-c', 'SELECT count(*) AS n, max(v) AS top FROM kv'], { encoding: 'utf8' });
      expect(out.split('\n').slice(2, 3)[0]?.trim().split(/\s*\|\s*/)).toEqual([String(acked.length), '410']);
    }
  }, 120_000);
});

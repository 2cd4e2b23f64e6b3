// Raft log compaction and InstallSnapshot across real processes: nodes compact their logs, then a follower
// that missed compacted entries (SIGKILLed, restarted with its old data) catches up from a streamed row-store
// image, and a member that lost its data is replaced by a new node (snapshot, promotion, removal); every node
// answers the same. Also: writes sent to a follower are refused, even ones that would match nothing.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, TestCluster } from './helpers.ts';

/** What every node must agree on: all rows of both tables (the hidden-row-id one by content). */
async function fingerprintOn(cluster: TestCluster, id: number): Promise<string> {
  const client = await cluster.connect(id);
  try {
    const kv = await client.query('SELECT k, v FROM kv ORDER BY k');
    const notes = await client.query('SELECT body FROM notes ORDER BY body');
    return JSON.stringify({ kv: kv.rows.map((r: { k: number; v: number }) => `${r.k}=${r.v}`), notes: notes.rows.map((r: { body: string }) => r.body) });
  } finally {
    await client.end();
  }
}

/** Polls node `id` until it answers `expected` (it may still be catching up). */
async function expectFingerprint(cluster: TestCluster, id: number, expected: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    try {
      seen = await fingerprintOn(cluster, id);
      if (seen === expected) return;
    } catch {
      // not caught up (or not started) yet
    }
    await sleep(100);
  }
  expect(seen, `node ${id}`).toBe(expected);
}

/** Runs `count` single-row commits (one Raft entry each) through one connection to the leader. */
async function writeMany(cluster: TestCluster, from: number, count: number): Promise<void> {
  // A write that matches nothing: a follower refuses it with the leader's address, which atLeader follows.
  const { id } = await cluster.atLeader('UPDATE kv SET v = v WHERE k = -1');
  const client: pg.Client = await cluster.connect(id);
  try {
    for (let k = from; k < from + count; k++) {
      await client.query('INSERT INTO kv VALUES ($1, $2)', [k, k]);
      if (k % 5 === 0) await client.query('UPDATE kv SET v = v + 1000 WHERE k = $1', [k - 3]);
      if (k % 7 === 0) await client.query('DELETE FROM kv WHERE k = $1', [k - 6]);
      if (k % 4 === 0) await client.query('INSERT INTO notes VALUES ($1)', [`note${k}`]);
    }
  } finally {
    await client.end();
  }
}

function logOf(cluster: TestCluster, id: number): string {
  return (cluster.logs.get(id) ?? []).join('');
}

describe('3-process cluster: log compaction and InstallSnapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-snapshot-'));
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('compacts, then brings a follower that missed compacted entries back through a snapshot', async () => {
    // Compact once 30 applied entries sit beyond a retained tail of 10; 4 KiB chunks make images multi-chunk.
    cluster = await TestCluster.start({ dir, proxies: true, extraArgs: ['--compact-entries', '30', '--retain-entries', '10', '--snapshot-chunk-bytes', '4096'] });
    await cluster.atLeader('CREATE TABLE kv (k INT PRIMARY KEY, v INT)');
    await cluster.atLeader('CREATE TABLE notes (body TEXT)'); // hidden row ids
    await writeMany(cluster, 1, 20);
    const leader = cluster.leaderHint;
    const a = cluster.ids.find((i) => i !== leader)!;

    // Follower a misses enough entries that the leader compacts them away; it restarts with its old data.
    await cluster.kill(a);
    await writeMany(cluster, 21, 60);
    expect(logOf(cluster, cluster.leaderHint)).toMatch(/compacted the Raft log through index \d+/);
    await cluster.startNode(a);
    let expected = await fingerprintOn(cluster, cluster.leaderHint);
    await expectFingerprint(cluster, a, expected);
    expect(logOf(cluster, a)).toMatch(/installed a snapshot at Raft index \d+/);

    // Writes go on after the install (entries after the snapshot index replay onto the image).
    await writeMany(cluster, 81, 10);
    expected = await fingerprintOn(cluster, cluster.leaderHint);
    for (const id of cluster.ids) await expectFingerprint(cluster, id, expected);
    expect((JSON.parse(expected) as { kv: string[] }).kv.length).toBeGreaterThan(60);
  }, 90_000);

  it('refuses writes on a follower, even one that would write nothing on its stale snapshot', async () => {
    const c = cluster!;
    await Promise.all(c.ids.filter((id) => !c.isRunning(id)).map((id) => c.startNode(id)));
    const { id: leader } = await c.atLeader('INSERT INTO kv VALUES (100000, 1)');
    const follower = c.ids.find((i) => i !== leader && c.isRunning(i))!;
    await expectFingerprint(c, follower, await fingerprintOn(c, leader));
    const fc = await c.connect(follower);
    try {
      // Inside a transaction the write is refused at once, with the leader's address (nothing commits).
      await fc.query('BEGIN');
      await expect(fc.query('DELETE FROM kv WHERE k = 100000')).rejects.toMatchObject({ code: '25006', hint: `connect to the leader at 127.0.0.1:${c.sqlPorts.get(leader)}` });
      await fc.query('ROLLBACK');
      // Cut the follower off, then add a row it has not seen: on its snapshot the UPDATE matches nothing.
      c.isolate(follower, true);
      await c.atLeader('INSERT INTO kv VALUES (100001, 1)');
      const refused = await fc.query('UPDATE kv SET v = 2 WHERE k = 100001').then(
        (r) => `answered ${r.command}`,
        (e: { code: string }) => e.code,
      );
      expect(refused).toBe('25006');
    } finally {
      await fc.end();
      c.isolate(follower, false);
    }
    const { result } = await c.atLeader('SELECT v FROM kv WHERE k = 100001');
    expect(result.rows).toEqual([{ v: 1 }]);
    // On the leader a write that matches nothing is answered (after confirming its leadership).
    const { result: none } = await c.atLeader('UPDATE kv SET v = 3 WHERE k = -1');
    expect(none.rowCount).toBe(0);
  }, 60_000);

  it('replaces a member that lost its data: a new node joins, gets a snapshot, becomes a voter, the old one goes', async () => {
    const c = cluster!;
    await Promise.all(c.ids.filter((id) => !c.isRunning(id)).map((id) => c.startNode(id)));
    const { id: leader } = await c.atLeader('UPDATE kv SET v = v WHERE k = -1');
    const [lost, other] = [1, 2, 3].filter((i) => i !== leader) as [number, number];
    await c.kill(lost);
    rmSync(c.dataDir(lost), { recursive: true, force: true });
    const replacement = await c.addNode(['--replaces', String(lost)]);
    const removed = new RegExp(`configuration change for node ${lost}: removeNode`);
    const deadline = Date.now() + 30_000;
    for (let k = 200; !c.ids.some((id) => removed.test(logOf(c, id))) && Date.now() < deadline; k++) {
      await writeMany(c, k, 1); // keep the log moving (and compacting) meanwhile
      await sleep(200);
    }
    expect(c.ids.some((id) => removed.test(logOf(c, id)))).toBe(true);
    expect(logOf(c, replacement)).toMatch(/installed a snapshot at Raft index \d+/);
    await expectFingerprint(c, replacement, await fingerprintOn(c, c.leaderHint));
    const client = await c.connect(replacement);
    try {
      await expect(client.query('INSERT INTO kv VALUES (-5, 0)')).rejects.toMatchObject({ code: '25006', hint: `connect to the leader at 127.0.0.1:${c.sqlPorts.get(c.leaderHint)}` });
    } finally {
      await client.end();
    }
    // The replacement restarts from its stored snapshot and membership. Voters are now {leader, other,
    // replacement}: with `other` gone too, a write commits only if the replacement acknowledges it (had it
    // stayed a learner, or the lost node stayed a voter, nothing could commit).
    await c.kill(replacement);
    await c.startNode(replacement);
    await c.kill(other);
    await c.atLeader("INSERT INTO notes VALUES ('after-replacement')", [], 30_000);
    await expectFingerprint(c, replacement, await fingerprintOn(c, c.leaderHint));
  }, 90_000);
});

// A columnar learner as a Raft learner member (`duet node --learner`) beside three voters, all real processes
// on loopback: it joins by snapshot (the voters compacted their logs), receives every commit from whoever leads,
// follows a leader failover without any command, restarts from its Parquet segments + the log, catches up after
// a SIGKILL, shows in SHOW REPLICAS on the voters, serves the voters' column-path reads (--serve-reads /
// --read-learner), and column-path answers at a transaction's timestamp equal the row store's, on the member
// and on a voter reading through it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, sleep, TestCluster } from './helpers.ts';

const SUMMARY = 'SELECT count(*) AS n, sum(v) AS total, min(k) AS lo, max(k) AS hi FROM kv';
const ROWS = 'SELECT k, v, tag FROM kv ORDER BY k';

/** `rounds` commits at the leader through one connection: inserts, and updates and deletes of earlier keys. */
async function writeRounds(cluster: TestCluster, from: number, rounds: number): Promise<void> {
  // A write that matches nothing finds the leader (following 25006 hints, waiting out an election).
  const { id } = await cluster.atLeader('UPDATE kv SET v = v WHERE k = -1');
  const client = await cluster.connect(id);
  // Leadership may move again on a loaded machine: such a statement is rerun wherever the leader is now. An
  // outcome-unknown insert (08007) that did commit then fails 23505; either way the leader's state is what the
  // learner is compared with, so a doubled update does no harm.
  const run = (sql: string, params: unknown[]): Promise<unknown> =>
    client.query(sql, params).catch(() => cluster.atLeader(sql, params).catch((e: { code?: string }) => {
      if (e.code !== '23505') throw e;
    }));
  try {
    for (let k = from; k < from + rounds; k++) {
      await run('INSERT INTO kv VALUES ($1, $2, $3)', [k, k * 10, k % 3 === 0 ? null : `t${k % 5}`]);
      if (k % 4 === 0) await run('UPDATE kv SET v = v + 1, tag = $2 WHERE k = $1', [k - 2, `u${k}`]);
      if (k % 6 === 0) await run('DELETE FROM kv WHERE k = $1', [k - 5]);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The statement's answer on one node, on the path given (`column` goes to the node's columnar learner). */
async function answer(client: pg.Client, sql: string, path: 'row' | 'column'): Promise<string> {
  await client.query(`SET duet.engine = ${path}`);
  return JSON.stringify((await client.query(sql)).rows);
}

/** Fails unless the node would answer `sql` on the column path (not the row-path fallback for "no learner"). */
async function expectColumnPath(client: pg.Client, sql: string): Promise<void> {
  await client.query('SET duet.engine = column');
  const plan = (await client.query(`EXPLAIN ${sql}`)).rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
  expect(plan).toMatch(/^path: column/);
}

/** Polls the learner member until its column-path answer equals the leader's row-path one. */
async function expectLearnerCaughtUp(cluster: TestCluster, learner: number, timeoutMs = 30_000): Promise<string> {
  const { result } = await cluster.atLeader(ROWS);
  const expected = JSON.stringify(result.rows);
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    let client: pg.Client | undefined;
    try {
      client = await cluster.connect(learner);
      seen = await answer(client, ROWS, 'column');
      if (seen === expected) break;
    } catch {
      // starting, or its learner still loading / rebuilding
    } finally {
      await client?.end().catch(() => undefined);
    }
    await sleep(200);
  }
  expect(seen, `learner member ${learner}`).toBe(expected);
  // The answer came from the columnar learner, not from the row path a node without one falls back to.
  const client = await cluster.connect(learner);
  try {
    await expectColumnPath(client, ROWS);
    expect(await answer(client, ROWS, 'column')).toBe(expected); // no writes meanwhile: the same answer, on that path
  } finally {
    await client.end();
  }
  return expected;
}

/** Polls until node `id` would run `sql` on the column path (a voter reaches the member's relay in the background). */
async function untilColumnPath(cluster: TestCluster, id: number, sql: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = await cluster.connect(id);
    try {
      await expectColumnPath(client, sql);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    } finally {
      await client.end();
    }
    await sleep(250);
  }
}

function logOf(cluster: TestCluster, id: number): string {
  return (cluster.logs.get(id) ?? []).join('');
}

describe('columnar learner member (duet node --learner) in a 3-voter cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-learner-member-'));
  let cluster: TestCluster | undefined;
  let learner = 0;
  /** Where the member serves the voters' column-path reads (--serve-reads; the voters have --read-learner). */
  let relay = '';
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins by snapshot after compaction and receives the commits made on the leader', async () => {
    // Voters compact once 20 applied entries sit beyond a tail of 5: the late learner needs a snapshot.
    relay = `127.0.0.1:${(await freePorts(1))[0]}`;
    cluster = await TestCluster.start({ dir, extraArgs: ['--compact-entries', '20', '--retain-entries', '5', '--snapshot-chunk-bytes', '8192'], founderArgs: ['--read-learner', relay] });
    await cluster.atLeader('CREATE TABLE kv (k INT PRIMARY KEY, v INT, tag TEXT)');
    await writeRounds(cluster, 1, 30);
    expect(logOf(cluster, cluster.leaderHint)).toMatch(/compacted the Raft log through index \d+/);
    learner = await cluster.addNode(['--learner', '--serve-reads', relay]);
    await expectLearnerCaughtUp(cluster, learner);
    expect(logOf(cluster, learner)).toMatch(/installed a snapshot at Raft index \d+/);
    expect(logOf(cluster, learner)).toMatch(/columnar learner member/);
    // Commits after the join arrive as entries.
    await writeRounds(cluster, 31, 10);
    await expectLearnerCaughtUp(cluster, learner);
  }, 120_000); // starting three processes alone took 22 s at load 19

  it('shows in SHOW REPLICAS on the voters, is never promoted and refuses writes', async () => {
    const c = cluster!;
    // The voters connect to the member's relay in the background (retrying every second until it serves).
    for (const id of c.ids.filter((i) => i !== learner)) await untilColumnPath(c, id, ROWS);
    // Each voter's view, taken right after finding the leader; retried if leadership moved in between.
    type Row = { replica: string; table_name: string | null; state: string; applied_index: string | null; leader_index: string | null };
    let views = new Map<number, Row[]>();
    let leader = 0;
    for (let attempt = 0; attempt < 10; attempt++) {
      leader = (await c.atLeader('UPDATE kv SET v = v WHERE k = -1')).id;
      views = new Map();
      for (const id of c.ids.filter((i) => i !== learner)) {
        const client = await c.connect(id);
        try {
          views.set(id, (await client.query('SHOW REPLICAS')).rows as Row[]);
        } finally {
          await client.end();
        }
      }
      if ((await c.atLeader('UPDATE kv SET v = v WHERE k = -1')).id === leader) break;
    }
    const member = views.get(leader)!.find((r) => r.replica === `raft learner ${learner} at 127.0.0.1:${c.sqlPorts.get(learner)}`);
    expect(member, JSON.stringify(views.get(leader))).toBeDefined();
    expect(Number(member!.applied_index)).toBeGreaterThan(0);
    expect(Number(member!.leader_index)).toBeGreaterThanOrEqual(Number(member!.applied_index));
    for (const [id, rows] of views) {
      // Every voter reads through the member's relay: its SHOW REPLICAS has the member's columnar status too.
      const relayed = rows.filter((r) => r.replica === relay);
      expect(relayed.map((r) => [r.table_name, r.state]), `voter ${id}`).toEqual([['kv', 'running']]);
      expect(Number(relayed[0]!.applied_index)).toBeGreaterThan(0);
      if (id === leader) continue;
      const members = rows.filter((r) => r.replica.startsWith('raft learner'));
      expect(members.map((r) => [r.replica, r.state, r.applied_index]), `follower ${id}`).toEqual([[member!.replica, 'member', null]]);
    }
    for (const id of c.ids) expect(logOf(c, id)).not.toMatch(new RegExp(`configuration change for node ${learner}: promoteLearner`));
    const lc = await c.connect(learner);
    try {
      await expect(lc.query('INSERT INTO kv VALUES (-1, 0, NULL)')).rejects.toMatchObject({ code: '25006' });
      // Its own SHOW REPLICAS: the embedded columnar learner (per table) and its Raft staleness.
      const own = (await lc.query('SHOW REPLICAS')).rows as { replica: string; table_name: string | null; state: string }[];
      expect(own.find((r) => r.replica === 'embedded' && r.table_name === 'kv')?.state).toBe('running');
      expect(own.find((r) => r.replica.startsWith(`raft learner ${learner}`))?.state).toBe('self');
    } finally {
      await lc.end();
    }
  }, 90_000);

  it('keeps receiving across a leader failover, with no command', async () => {
    const c = cluster!;
    const { id: oldLeader } = await c.atLeader(SUMMARY);
    await c.kill(oldLeader);
    // atLeader follows the new leader's hint; the learner member is never asked to do anything.
    await writeRounds(c, 51, 12);
    const { id: newLeader } = await c.atLeader(SUMMARY);
    expect(newLeader).not.toBe(oldLeader);
    expect(newLeader).not.toBe(learner);
    await expectLearnerCaughtUp(c, learner);
    // The old leader stays down: two voters are a quorum, and one process fewer keeps the loaded box calmer.
  }, 90_000);

  it('restarts from its Parquet segments and follows the log from where they end', async () => {
    const c = cluster!;
    await c.kill(learner, 'SIGTERM'); // a graceful stop saves the columnar state as Parquet + manifest
    await writeRounds(c, 200, 6);
    await c.startNode(learner);
    await expectLearnerCaughtUp(c, learner);
    const lc = await c.connect(learner);
    try {
      const own = (await lc.query('SHOW REPLICAS')).rows as { replica: string; table_name: string | null; stable_segments: string; rebuilds: string }[];
      const kv = own.find((r) => r.replica === 'embedded' && r.table_name === 'kv');
      // Loaded from its segments (no rebuild from a row-store snapshot), then the missed entries from the log.
      expect(kv, JSON.stringify(own)).toMatchObject({ rebuilds: '0' });
      expect(Number(kv!.stable_segments)).toBeGreaterThan(0);
    } finally {
      await lc.end();
    }
  }, 90_000);

  it('catches up after a SIGKILL and a restart, and its column scans at a timestamp equal the row store', async () => {
    const c = cluster!;
    await c.kill(learner);
    await writeRounds(c, 63, 40); // enough for the voters to compact past what the learner holds
    await c.startNode(learner);
    await expectLearnerCaughtUp(c, learner);

    // A voter reconnects to the restarted member's relay on its own.
    const voter = c.ids.find((id) => id !== learner && c.isRunning(id))!;
    await untilColumnPath(c, voter, ROWS);

    // While the leader keeps committing, each transaction reads one timestamp, on the learner member (its own
    // learner) or on a voter (through the member's relay, at the voter's timestamp): the column path and the
    // row path (that node's row store) must give the same rows.
    let writing = true;
    const writer = (async () => {
      for (let k = 103; writing; k += 4) await writeRounds(c, k, 4);
    })();
    const clients = [await c.connect(learner), await c.connect(voter)];
    try {
      const seen = new Set<string>();
      for (let round = 0; round < 8; round++) {
        const lc = clients[round % 2]!;
        await lc.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const column = await answer(lc, ROWS, 'column');
        await expectColumnPath(lc, ROWS);
        const row = await answer(lc, ROWS, 'row');
        expect(column).toBe(row);
        expect(await answer(lc, SUMMARY, 'column')).toBe(await answer(lc, SUMMARY, 'row'));
        await lc.query('COMMIT');
        seen.add(column);
        await sleep(150);
      }
      // The rounds read different states (the writer was running), so the comparison covered several timestamps.
      expect(seen.size).toBeGreaterThan(1);
    } finally {
      writing = false;
      await writer;
      for (const client of clients) await client.end();
    }
    await expectLearnerCaughtUp(c, learner);
  }, 90_000);
});

// A learner member that stops applying (SIGSTOP: alive, socket open, nothing answered) must not hold a voter's
// analytical query hostage: on auto the voter answers on the row path at the statement's timestamp within
// `duet.learner_wait_ms`, a forced column path ends with 57014 at statement_timeout, and after SIGCONT the
// voter's queries go back to the column path. Real processes: three voters with --read-learner + the member.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, sleep, TestCluster } from './helpers.ts';

const QUERY = 'SELECT count(*) AS n, sum(v) AS total FROM t';
/** Enough rows that the router's estimate sends QUERY to the column path (a full-table aggregate). */
const ROWS = 3000;

/**
 * A write at the leader; one whose outcome was unknown (08007: leadership moved while it was in flight, as happens
 * right after start on a loaded machine) is rerun, and "already there" (it did commit) counts as done.
 */
async function write(cluster: TestCluster, sql: string, params: unknown[] = []): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await cluster.atLeader(sql, params);
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (attempt > 0 && (code === '42P07' || code === '23505')) return;
      if (code !== '08007' || attempt >= 5) throw e;
    }
  }
}

async function planOf(client: pg.Client, sql: string): Promise<string> {
  return (await client.query(sql)).rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
}

/** Polls until the voter, on auto, would send QUERY to the member (it reaches the relay in the background). */
async function untilAutoColumn(client: pg.Client, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let plan = '';
  while (Date.now() < deadline) {
    plan = await planOf(client, `EXPLAIN ${QUERY}`);
    if (/^path: column/.test(plan)) return plan;
    await sleep(250);
  }
  throw new Error(`the voter never chose the column path: ${plan}`);
}

describe('a stopped learner member does not hold a voter query hostage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-learner-lag-'));
  let cluster: TestCluster | undefined;
  let member = 0;
  afterAll(async () => {
    const pid = member > 0 ? cluster?.pidOf(member) : undefined;
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers on the row path within the wait bound while the member is stopped, on the column path after', async () => {
    const relay = `127.0.0.1:${(await freePorts(1))[0]}`;
    cluster = await TestCluster.start({ dir, founderArgs: ['--read-learner', relay] });
    const c = cluster;
    await write(c, 'CREATE TABLE t (k INT PRIMARY KEY, v INT)');
    const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${(i * 7) % 101})`).join(', ');
    await write(c, `INSERT INTO t VALUES ${values}`);
    member = await c.addNode(['--learner', '--serve-reads', relay]);
    // A voter other than the last leader (any voter reads through the relay; a follower also forwards ReadIndex).
    const voter = c.ids.find((id) => id !== member && id !== c.leaderHint)!;
    const client = await c.connect(voter);
    try {
      await client.query('SET duet.learner_wait_ms = 1000');
      await untilAutoColumn(client);

      process.kill(c.pidOf(member)!, 'SIGSTOP');
      // One more commit the stopped member cannot apply: a consistent column read would wait for it.
      await write(c, 'INSERT INTO t VALUES ($1, $2)', [ROWS + 1, 5000]);
      const expected = { n: ROWS + 1, total: Array.from({ length: ROWS }, (_, i) => (i * 7) % 101).reduce((a, b) => a + b, 0) + 5000 };
      const auto = (await client.query(QUERY)).rows[0] as { n: string; total: string };
      expect({ n: Number(auto.n), total: Number(auto.total) }).toEqual(expected);
      // EXPLAIN says why the row path answers: the router saw the member not answering (or the read fell back).
      const analyzed = await planOf(client, `EXPLAIN ANALYZE ${QUERY}`);
      expect(analyzed).toMatch(/^path: (row .*\[learner not answering\]|column .*\[fell back to row: learner)/);
      // Forced onto the column path it waits, as asked, until statement_timeout ends it with 57014.
      await client.query('SET duet.engine = column');
      await client.query('SET statement_timeout = 1500');
      await expect(client.query(QUERY)).rejects.toMatchObject({ code: '57014' });
      await client.query('SET statement_timeout = 0');
      await client.query('SET duet.engine = auto');
      // SHOW REPLICAS answers too: the relay row says the member is not answering (its status timed out).
      const replicas = (await client.query('SHOW REPLICAS')).rows as { replica: string; state: string; last_damage: string | null }[];
      expect(replicas.find((r) => r.replica === relay)).toMatchObject({ state: 'not answering', last_damage: expect.stringMatching(/did not answer within/) });

      process.kill(c.pidOf(member)!, 'SIGCONT');
      await untilAutoColumn(client);
      const analyzedAfter = await planOf(client, `EXPLAIN ANALYZE ${QUERY}`);
      expect(analyzedAfter).toMatch(/^path: column/);
      expect(analyzedAfter).not.toMatch(/fell back/);
      const column = (await client.query(QUERY)).rows[0] as { n: string; total: string };
      expect({ n: Number(column.n), total: Number(column.total) }).toEqual(expected);
    } finally {
      await client.end();
    }
  }, 180_000);
});

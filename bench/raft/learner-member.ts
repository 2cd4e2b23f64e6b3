// What a columnar learner member (`duet node --learner`) costs and how fresh it is: three voters (--no-learner)
// and one learner member on loopback; sessions commit single-row INSERTs at the leader; CPU time per commit of
// every process (from /proc, valid on a loaded machine) and commit-to-visible on the member's column path.
// Run: npx tsx bench/raft/learner-member.ts [--commits 3000] [--sessions 16] [--probes 40] [--apply-ms N]   (prints markdown)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { sleep, TestCluster } from '../../test/cluster/helpers.ts';
import { arg, hasArg } from '../args.ts';

const commits = Number(arg('commits', '3000'));
const sessions = Number(arg('sessions', '16'));
const probes = Number(arg('probes', '40'));
/** The member's feeder coalescing interval (--learner-apply-ms); default: the node's own default (5 ms). */
const applyMs = hasArg('apply-ms') ? Number(arg('apply-ms', '5')) : undefined;
const log = (m: string): void => void process.stderr.write(`[learner-member bench] ${m}\n`);

/** utime + stime of a process, all threads, in seconds (Linux clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function columnCount(client: pg.Client): Promise<number> {
  return Number((await client.query('SELECT count(*) AS n FROM kv')).rows[0].n);
}

/** Polls the member's column path until it counts `n` rows; returns when it did. */
async function untilCount(client: pg.Client, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await columnCount(client)) < n) {
    if (Date.now() > deadline) throw new Error(`the learner member did not reach ${n} rows`);
    await sleep(2);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-learner-member-'));
  const cluster = await TestCluster.start({ dir });
  try {
    await cluster.atLeader('CREATE TABLE kv (k INT PRIMARY KEY, v INT, tag TEXT)');
    const member = await cluster.addNode(['--learner', ...(applyMs !== undefined ? ['--learner-apply-ms', String(applyMs)] : [])]);
    const { id: leader } = await cluster.atLeader('INSERT INTO kv VALUES (0, 0, NULL)');
    const probe = await cluster.connect(member);
    await probe.query('SET duet.engine = column');
    await untilCount(probe, 1);
    log(`cluster up: leader ${leader}, learner member ${member}`);

    // Throughput phase: CPU per commit of every process while `sessions` clients commit at the leader.
    const pids = new Map(cluster.ids.map((id) => [id, cluster.pidOf(id)!]));
    const before = new Map([...pids].map(([id, pid]) => [id, cpuSeconds(pid)]));
    const startMs = performance.now();
    let next = 1;
    await Promise.all(Array.from({ length: sessions }, async () => {
      const c = await cluster.connect(leader);
      try {
        for (let k = next++; k <= commits; k = next++) await c.query('INSERT INTO kv VALUES ($1, $2, $3)', [k, k * 7, `t${k % 16}`]);
      } finally {
        await c.end();
      }
    }));
    const commitMs = performance.now() - startMs;
    await untilCount(probe, commits + 1);
    const caughtUpMs = performance.now() - startMs - commitMs;
    const usPerCommit = new Map([...pids].map(([id, pid]) => [id, ((cpuSeconds(pid) - before.get(id)!) * 1e6) / commits]));

    // Freshness phase: one commit at a time, then a column-path count on the member. Its reads are linearizable
    // (ReadIndex through the leader, then the learner waits for that index), so the first read already sees the
    // row: what is timed is that read, i.e. what "read your commit on the learner member" costs.
    const writer = await cluster.connect(leader);
    const visibleMs: number[] = [];
    for (let i = 1; i <= probes; i++) {
      const k = commits + i;
      await writer.query('INSERT INTO kv VALUES ($1, 0, NULL)', [k]);
      const acked = performance.now();
      await untilCount(probe, k + 1);
      visibleMs.push(performance.now() - acked);
      await sleep(20);
    }
    await writer.end();
    await probe.end();
    visibleMs.sort((a, b) => a - b);

    const followers = cluster.ids.filter((id) => id !== leader && id !== member);
    const follower = followers.reduce((s, id) => s + usPerCommit.get(id)!, 0) / followers.length;
    const load = loadavg()[0]!.toFixed(1);
    console.log(`| commits | sessions | member --learner-apply-ms | commits/s | leader µs CPU/commit | follower (avg) | learner member | member caught up after last ack | first column read on the member after an ack, p50 / p99 (${probes} probes) | load avg |`);
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    console.log(`| ${commits} | ${sessions} | ${applyMs ?? 'default (5)'} | ${Math.round((commits / commitMs) * 1000)} | ${usPerCommit.get(leader)!.toFixed(0)} | ${follower.toFixed(0)} | ${usPerCommit.get(member)!.toFixed(0)} | ${caughtUpMs.toFixed(0)} ms | ${percentile(visibleMs, 50).toFixed(1)} / ${percentile(visibleMs, 99).toFixed(1)} ms | ${load} |`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

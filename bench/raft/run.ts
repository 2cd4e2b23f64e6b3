// Raft commit-path benchmark: durable single-row INSERTs over the PostgreSQL protocol at 1/16/64 sessions against
// `duet serve` (no Raft), a 1-voter `duet node` and a 3-node cluster on loopback; then failover time over N kills.
// Run: npx tsx bench/raft/run.ts [--seconds 5] [--kills 20]   Writes bench/results/raft.md and raft.svg.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePorts, sleep, TestCluster } from '../../test/cluster/helpers.ts';
import { groupedBarsSvg } from '../learner/svg.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seconds = arg('seconds', 5);
const kills = arg('kills', 20);
const SESSIONS = [1, 16, 64];
const scratch = mkdtempSync(join(tmpdir(), 'duet-bench-raft-'));
const resultsDir = join(import.meta.dirname, '..', 'results');
const log = (m: string): void => void process.stderr.write(`[raft bench] ${m}\n`);

interface Run {
  setup: string;
  sessions: number;
  commitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function insertLoad(port: number, sessions: number, table: string, runSeconds: number): Promise<Omit<Run, 'setup'>> {
  const clients = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'duet', database: 'duet' });
      await c.connect();
      return c;
    }),
  );
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const end = start + runSeconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await c.query(`INSERT INTO ${table} VALUES ($1, $2)`, [next++, 'x'.repeat(100)]);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  return { sessions, commitsPerSec: latencies.length / elapsedS, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

async function measure(setup: string, port: number, create: (sql: string) => Promise<unknown>): Promise<Run[]> {
  const runs: Run[] = [];
  for (const sessions of SESSIONS) {
    const table = `t${sessions}`;
    await create(`CREATE TABLE ${table} (id INT PRIMARY KEY, payload TEXT)`);
    const r = await insertLoad(port, sessions, table, seconds);
    log(`${setup} ${sessions} sessions: ${r.commitsPerSec.toFixed(0)}/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms`);
    runs.push({ setup, ...r });
  }
  return runs;
}

async function embeddedServe(): Promise<Run[]> {
  const [port] = await freePorts(1);
  // No columnar learner, like the cluster nodes (TestCluster passes --no-learner): the commit path alone is compared.
  const proc = spawn(process.execPath, [join(import.meta.dirname, '../../bin/duet.js'), 'serve', '--db', join(scratch, 'serve'), '--listen', `127.0.0.1:${port}`, '--no-learner'], { stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const c = new pg.Client({ host: '127.0.0.1', port, user: 'duet', database: 'duet' });
        await c.connect();
        await c.end();
        break;
      } catch {
        await sleep(100);
      }
    }
    const exec = async (sql: string): Promise<void> => {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'duet', database: 'duet' });
      await c.connect();
      await c.query(sql);
      await c.end();
    };
    return await measure('duet serve (no Raft)', port!, exec);
  } finally {
    proc.kill('SIGKILL');
  }
}

async function clusterRuns(size: number): Promise<Run[]> {
  const cluster = await TestCluster.start({ dir: join(scratch, `cluster${size}`), size });
  try {
    const { id } = await cluster.atLeader('CREATE TABLE warm (id INT PRIMARY KEY)');
    return await measure(size === 1 ? '1-voter duet node' : `${size}-node cluster`, cluster.sqlPorts.get(id)!, (sql) => cluster.atLeader(sql));
  } finally {
    await cluster.stop();
  }
}

/** Leader SIGKILLed → first commit acknowledged by another node, `kills` times. */
async function failovers(): Promise<number[]> {
  const cluster = await TestCluster.start({ dir: join(scratch, 'failover') });
  const times: number[] = [];
  try {
    await cluster.atLeader('CREATE TABLE f (id INT PRIMARY KEY)');
    let n = 0;
    for (let i = 0; i < kills; i++) {
      const { id: leader } = await cluster.atLeader('INSERT INTO f VALUES ($1)', [n++]);
      const t0 = performance.now();
      await cluster.kill(leader, 'SIGKILL');
      const { id } = await cluster.atLeader('INSERT INTO f VALUES ($1)', [n++], 30_000);
      const ms = performance.now() - t0;
      if (id === leader) throw new Error('the killed leader answered');
      times.push(ms);
      log(`failover ${i + 1}/${kills}: ${ms.toFixed(0)} ms (leader ${leader} -> ${id})`);
      await cluster.startNode(leader);
      await sleep(300);
    }
  } finally {
    await cluster.stop();
  }
  return times;
}

function version(name: string): string {
  return (JSON.parse(readFileSync(join(import.meta.dirname, '../../node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const runs = [...(await embeddedServe()), ...(await clusterRuns(1)), ...(await clusterRuns(3))];
const fail = kills > 0 ? await failovers() : [];
rmSync(scratch, { recursive: true, force: true });

const sortedFail = [...fail].sort((a, b) => a - b);
const at = (setup: string, s: number): Run | undefined => runs.find((r) => r.setup === setup && r.sessions === s);
const ratio = (at('3-node cluster', 64)?.commitsPerSec ?? 0) / (at('1-voter duet node', 64)?.commitsPerSec ?? 1);
const md = [
  '# Raft commit path: 1 node vs 3 nodes, failover',
  '',
  `Command: \`npx tsx bench/raft/run.ts --seconds ${seconds} --kills ${kills}\` (${new Date().toISOString()}).`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')} (shared with other engineers' jobs).`,
  `Node ${process.version}, classic-level ${version('classic-level')}, pg ${version('pg')} (client). Every process on loopback; each commit is one`,
  'autocommit `INSERT` of a 100-byte row over the PostgreSQL protocol. fsync: `duet serve` syncs each row-store group; a node syncs',
  'its Raft log (the leader\'s row-store write of a replicated group is not synced; followers sync what they apply).',
  'Figures move a lot between runs on this shared 2-core machine (load 10+): compare within one run only.',
  '',
  '| setup | sessions | commits/s | p50 ms | p99 ms |',
  '|---|---|---|---|---|',
  ...runs.map((r) => `| ${r.setup} | ${r.sessions} | ${r.commitsPerSec.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`),
  '',
  `3-node / 1-voter throughput at 64 sessions: **${ratio.toFixed(2)}x** (goal ≥ 0.5x).`,
  '',
  fail.length > 0
    ? `Failover (leader SIGKILLed → first commit acknowledged by the new leader, ${fail.length} kills, tick 50 ms, election timeout 10-20 ticks = 0.5-1 s): ` +
      `p50 **${percentile(sortedFail, 0.5).toFixed(0)} ms**, p99 **${percentile(sortedFail, 0.99).toFixed(0)} ms**, max ${sortedFail.at(-1)!.toFixed(0)} ms (goal p99 < 2 s). ` +
      'Includes the clients\' reconnects (100 ms back-off between refused attempts).'
    : 'Failover: not measured in this run.',
  '',
];
writeFileSync(join(resultsDir, 'raft.md'), md.join('\n'));
const groups = SESSIONS.map((s) => ({
  label: `${s} session${s > 1 ? 's' : ''}`,
  bars: ['duet serve (no Raft)', '1-voter duet node', '3-node cluster'].map((setup) => ({ name: setup, value: at(setup, s)?.commitsPerSec ?? 0, unit: '/s' })),
}));
writeFileSync(join(resultsDir, 'raft.svg'), groupedBarsSvg('Durable INSERT commits/s over pgwire (higher is better)', groups));
log('wrote bench/results/raft.md and raft.svg');

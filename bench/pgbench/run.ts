// pgbench's TPC-B-like workload against `duet serve` and against a PostgreSQL 15 server this script
// starts itself (temp dir, loopback, fsync on), same run, same data: tps and latency as ratios.
// Usage: npx tsx bench/pgbench/run.ts [--seconds 10] [--clients 1,8,32] [--scale 1]
// Writes bench/results/pgbench.md and bench/results/pgbench.svg.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { barChartSvg } from './svg.ts';

const pgBin = '/usr/lib/postgresql/15/bin';
const repo = new URL('../..', import.meta.url).pathname;
const fixedTimeScript = join(repo, 'bench/pgbench/tpcb-fixed-time.sql');

interface Args {
  seconds: number;
  clients: number[];
  scale: number;
}

interface RunResult {
  clients: number;
  tps: number;
  latencyMs: number;
  processed: number;
  failed: number;
  retried: number;
  balanced: boolean | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seconds: 10, clients: [1, 8, 32], scale: 1 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--seconds' && v) args.seconds = Number(argv[++i]);
    else if (argv[i] === '--clients' && v) args.clients = v.split(',').map(Number), i++;
    else if (argv[i] === '--scale' && v) args.scale = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return args;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function waitForPort(port: number, user: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await run('psql', ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-c', 'select 1']);
    if (r.status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answers on port ${port}`);
}

/** A throwaway PostgreSQL 15 cluster as the postgres user (initdb refuses root), fsync on. */
async function startPostgres(port: number): Promise<{ stop: () => Promise<void>; version: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPg = (bin: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(pgBin, bin), ...args]);
  const init = await asPg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=120 -c shared_buffers=256MB`;
  const start = await asPg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}`);
  const version = execFileSync(join(pgBin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  return {
    version,
    stop: async () => {
      await asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startDuet(port: number): Promise<{ stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-db-'));
  const child: ChildProcess = spawn(process.execPath, [join(repo, 'bin/duet.js'), 'serve', '--db', dir, '--listen', `127.0.0.1:${port}`, '--no-learner'], { stdio: 'ignore' });
  await waitForPort(port, 'duet');
  return {
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function psqlValue(port: number, user: string, sql: string): Promise<string> {
  const r = await run('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-c', sql]);
  if (r.status !== 0) throw new Error(`${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The TPC-B invariant after a run: every balance sum equals the sum of the history deltas. */
async function balanced(port: number, user: string): Promise<boolean | undefined> {
  try {
    const sums = await Promise.all(
      ['SELECT sum(abalance) FROM pgbench_accounts', 'SELECT sum(bbalance) FROM pgbench_branches', 'SELECT sum(tbalance) FROM pgbench_tellers', 'SELECT sum(delta) FROM pgbench_history'].map((q) =>
        psqlValue(port, user, q),
      ),
    );
    return sums.every((s) => Number(s || 0) === Number(sums[3] || 0));
  } catch {
    return undefined;
  }
}

async function pgbenchRun(port: number, user: string, clients: number, seconds: number, script: string[]): Promise<RunResult> {
  const common = ['-h', '127.0.0.1', '-p', String(port), '-U', user];
  // Fresh data for every run so runs do not inherit each other's history; keys made before loading
  // (steps d t p g), the order duetdb serves as real primary keys.
  const init = await run('pgbench', ['-i', '-I', 'dtpgv', '-s', String(args.scale), '-q', ...common, 'postgres']);
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
  const threads = Math.min(clients, 2);
  // Serialization failures (40001) are retried, as an application would, and reported as retries.
  const r = await run('pgbench', ['-n', '-c', String(clients), '-j', String(threads), '-T', String(seconds), '--max-tries=1000', '--failures-detailed', ...script, ...common, 'postgres']);
  const num = (re: RegExp): number => Number(re.exec(r.stdout)?.[1] ?? NaN);
  return {
    clients,
    tps: num(/tps = ([\d.]+)/),
    latencyMs: num(/latency average = ([\d.]+) ms/),
    processed: num(/actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/) + (r.status === 0 ? 0 : 1),
    retried: num(/number of transactions retried: (\d+)/) || 0,
    balanced: await balanced(port, user),
  };
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

const args = parseArgs(process.argv.slice(2));

async function main(): Promise<void> {
  const pgPort = 55500 + Math.floor(Math.random() * 200);
  const duetPort = pgPort + 300;
  const started = new Date().toISOString();
  const pg = await startPostgres(pgPort);
  const duet = await startDuet(duetPort);
  const results: { clients: number; duet: RunResult; pg: RunResult }[] = [];
  let script: string[];
  try {
    const duetHasNow = await psqlValue(duetPort, 'duet', 'SELECT CURRENT_TIMESTAMP').then(() => true, () => false);
    // The same script for both servers: the built-in one when duetdb can run it.
    script = duetHasNow ? ['-b', 'tpcb-like'] : ['-f', fixedTimeScript];
    for (const clients of args.clients) {
      const d = await pgbenchRun(duetPort, 'duet', clients, args.seconds, script);
      const p = await pgbenchRun(pgPort, 'postgres', clients, args.seconds, script);
      console.error(`${clients} clients: duetdb ${fmt(d.tps)} tps, PostgreSQL ${fmt(p.tps)} tps`);
      results.push({ clients, duet: d, pg: p });
    }
  } finally {
    await duet.stop();
    await pg.stop();
  }
  const pgbenchVersion = execFileSync('pgbench', ['--version'], { encoding: 'utf8' }).trim();
  const commit = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const rows = results.map(({ clients, duet: d, pg: p }) =>
    `| ${clients} | ${fmt(d.tps)} | ${fmt(p.tps)} | ${fmt(d.tps / p.tps, 3)}x | ${fmt(d.latencyMs)} | ${fmt(p.latencyMs)} | ${fmt(d.latencyMs / p.latencyMs, 1)}x | ${d.failed} / ${p.failed} | ${d.retried} / ${p.retried} | ${d.balanced ?? '?'} / ${p.balanced ?? '?'} |`,
  );
  const at32 = results.find((r) => r.clients === 32);
  const goal = at32 ? `${fmt(at32.duet.tps / at32.pg.tps, 3)}x at 32 clients: ${at32.duet.tps / at32.pg.tps >= 0.5 ? 'met' : 'not met'}` : 'no 32-client run';
  const md = `# pgbench (TPC-B-like): duetdb vs PostgreSQL 15

Run ${started} with \`npx tsx bench/pgbench/run.ts ${process.argv.slice(2).join(' ')}\`.

- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}
- Versions: duetdb ${commit} (\`duet serve\`, embedded engine, one process); ${pg.version} (initdb defaults, fsync on, shared_buffers 256MB); ${pgbenchVersion}
- Data: scale ${args.scale} (${(100_000 * args.scale).toLocaleString('en-US')} accounts), reloaded before every run with \`pgbench -i -I dtpgv\`; each run lasts ${args.seconds} s, \`-j ${'min(clients, 2)'}\`, simple query mode
- Script: ${script[0] === '-b' ? "pgbench's built-in tpcb-like" : "bench/pgbench/tpcb-fixed-time.sql = the built-in tpcb-like with a constant mtime (duetdb's SQL layer has no CURRENT_TIMESTAMP yet), used for both servers"}
- Both servers on loopback; pgbench, the servers and this script share the machine's ${cpus().length} cores.
- \`--max-tries=1000\`: transactions that fail with a serialization failure (40001) are retried and counted under "retried"; tps counts committed transactions only.

| clients | duetdb tps | PostgreSQL tps | tps ratio | duetdb latency ms | PostgreSQL latency ms | latency ratio | failed (duet / pg) | retried (duet / pg) | balances agree (duet / pg) |
|---:|---:|---:|---:|---:|---:|---:|---|---|---|
${rows.join('\n')}

Goal: at 32 clients at least 0.5x PostgreSQL's tps: ${goal}.

![chart](pgbench.svg)
`;
  const resultsDir = join(repo, 'bench/results');
  writeFileSync(join(resultsDir, 'pgbench.md'), md);
  writeFileSync(
    join(resultsDir, 'pgbench.svg'),
    barChartSvg('pgbench TPC-B-like: duetdb tps / PostgreSQL 15 tps (higher is better)', results.map((r) => ({ label: `${r.clients} clients`, ratio: r.duet.tps / r.pg.tps })), 'PostgreSQL = 1x'),
  );
  console.log(md);
}

await main();

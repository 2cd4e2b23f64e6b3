// Server CPU per pgbench transaction: `duet serve` (serveMain, in this process) CPU time divided by the
// transactions pgbench committed. Stays meaningful on a loaded machine, where tps does not.
// Usage: npx tsx bench/pgbench/cpu.ts [--seconds 10] [--clients 8] [--scale 1] [--protocol simple|prepared]
//        [--prof FILE.cpuprofile]   (a CPU profile of the pgbench run only; summarize with bench/rowstore/profile-summary.ts)

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveMain } from '../../server/cli.ts';

const repo = new URL('../..', import.meta.url).pathname;

interface Args {
  seconds: number;
  clients: number;
  scale: number;
  prof: string | undefined;
  protocol: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seconds: 10, clients: 8, scale: 1, prof: undefined, protocol: 'simple' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--seconds' && v) args.seconds = Number(argv[++i]);
    else if (argv[i] === '--clients' && v) args.clients = Number(argv[++i]);
    else if (argv[i] === '--scale' && v) args.scale = Number(argv[++i]);
    else if (argv[i] === '--prof' && v) args.prof = argv[++i];
    else if (argv[i] === '--protocol' && v) args.protocol = argv[++i]!;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return args;
}

/** Runs a child without blocking this event loop (the server lives here). */
function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const cpuMsNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU time of the main thread alone (the event loop that runs SQL and the protocol), from /proc, in ms. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-cpu-'));
  const stop = new AbortController();
  let port = 0;
  const listening = new Promise<void>((resolve) => {
    void serveMain(['--db', dir, '--listen', '127.0.0.1:0', '--no-learner'], { signal: stop.signal, onListening: (p) => { port = p; resolve(); } });
  });
  await listening;
  const common = ['-h', '127.0.0.1', '-p', String(port), '-U', 'duet'];
  const inspector = new Inspector();
  try {
    const init = await run('pgbench', ['-i', '-I', 'dtpgv', '-s', String(args.scale), '-q', ...common, 'postgres']);
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
    if (args.prof) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
    }
    const cpuBeforeMs = cpuMsNow();
    const mainBeforeMs = mainThreadCpuMs();
    const r = await run('pgbench', ['-n', '-M', args.protocol, '-c', String(args.clients), '-j', String(Math.min(args.clients, 2)), '-T', String(args.seconds), '--max-tries=1000', ...common, 'postgres']);
    const cpuMs = cpuMsNow() - cpuBeforeMs;
    const mainMs = mainThreadCpuMs() - mainBeforeMs;
    const processed = Number(/actually processed: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
    const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
    const retried = Number(/number of transactions retried: (\d+)/.exec(r.stdout)?.[1] ?? 0);
    const commit = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    console.log(
      `duetdb ${commit}, ${args.clients} clients, ${args.seconds} s, scale ${args.scale}, ${args.protocol}${args.prof ? ' (profiling)' : ''}: ` +
        `${tps.toFixed(1)} tps, ${processed} transactions (${retried} retried), server CPU ${cpuMs.toFixed(0)} ms = ${(cpuMs / processed).toFixed(3)} ms per transaction ` +
        `(main thread ${mainMs.toFixed(0)} ms = ${(mainMs / processed).toFixed(3)} ms, ${((100 * mainMs) / (args.seconds * 1000)).toFixed(0)}% busy)`,
    );
    if (r.status !== 0) console.log(r.stderr);
    if (args.prof) {
      const { profile } = (await inspector.post('Profiler.stop')) as { profile: object };
      writeFileSync(args.prof, JSON.stringify(profile));
      console.log(`profile: ${args.prof} (summary: npx tsx bench/rowstore/profile-summary.ts ${args.prof})`);
    }
  } finally {
    inspector.disconnect();
    stop.abort();
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

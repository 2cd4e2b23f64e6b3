// CPU cost of one durable single-row insert commit (the commit.ts workload) at a chosen session count:
// main-thread and whole-process CPU microseconds per commit, plus commits/s. Run under --cpu-prof to see where
// the main thread spends it:
//   npx tsx bench/rowstore/profile.ts [--sessions 64] [--seconds 5] [--runs 3] [--dir /dev/shm] [--pipelining auto|always|never]
//   [--write-buffer-mb N] [--no-compression] [--alloc]
// --alloc adds one more run under V8's sampling heap profiler: heap bytes allocated per commit and the functions
// that allocate them (load-independent, unlike CPU time; the sampling slows that run, so it reports no CPU).
// --dir puts the store on another file system: on tmpfs an fsync costs almost nothing, so commits/s shows the
// CPU-bound ceiling of the commit path (and how well the main thread overlaps LevelDB's writer thread).
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/rowstore/profile.ts --sessions 64
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types } from '../../oltp/types.ts';
import { cpuNow, cpuPerOp } from './cputime.ts';
import { startAllocSampling } from './alloc.ts';
import { arg, hasArg } from '../args.ts';

const args = process.argv.slice(2);
const sessions = Number(arg('sessions', '64'));
const seconds = Number(arg('seconds', '5'));
const runs = Number(arg('runs', '3'));
const payload = 'x'.repeat(100);
const dirAt = args.indexOf('--dir');
const scratch = mkdtempSync(join(dirAt >= 0 ? args[dirAt + 1]! : tmpdir(), 'duet-bench-commit-profile-'));

const pipeAt = args.indexOf('--pipelining');
const commitPipelining = (pipeAt >= 0 ? args[pipeAt + 1] : 'auto') as 'auto' | 'always' | 'never';
// LevelDB tuning under test: --write-buffer-mb N (memtable size), --no-compression (Snappy off for table files).
const writeBufferMb = arg('write-buffer-mb', '');
const leveldb = { ...(writeBufferMb === '' ? {} : { writeBufferSize: Number(writeBufferMb) * 1024 * 1024 }), ...(hasArg('no-compression') ? { compression: false } : {}) };
const store = await RowStore.open(join(scratch, 'db'), { gcIntervalMs: 0, commitPipelining, leveldb });
const setup = store.begin();
const table = await setup.createTable({
  name: 'items',
  columns: [
    { name: 'id', type: Types.integer, notNull: true },
    { name: 'payload', type: Types.text, notNull: false },
  ],
  primaryKey: [0],
});
await setup.commit();
let nextId = 0;

async function run(runSeconds: number): Promise<{ commits: number; wallS: number }> {
  let commits = 0;
  const startAt = performance.now();
  const endAt = startAt + runSeconds * 1000;
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      while (performance.now() < endAt) {
        const txn = store.begin();
        await txn.insert(table, [nextId++, payload]);
        await txn.commit();
        commits++;
      }
    }),
  );
  return { commits, wallS: (performance.now() - startAt) / 1000 };
}

await run(1); // warm-up: JIT, LevelDB memtable
const mainUsRuns: number[] = [];
const totalUsRuns: number[] = [];
const rates: number[] = [];
for (let r = 1; r <= runs; r++) {
  const groupsBefore = { written: store.stats.groupsWritten, overlapped: store.stats.groupsOverlapped };
  const before = cpuNow();
  const { commits, wallS } = await run(seconds);
  const per = cpuPerOp(before, cpuNow(), commits);
  if (per.mainUs !== undefined) mainUsRuns.push(per.mainUs);
  totalUsRuns.push(per.totalUs);
  rates.push(commits / wallS);
  const groups = store.stats.groupsWritten - groupsBefore.written;
  const overlapped = store.stats.groupsOverlapped - groupsBefore.overlapped;
  process.stdout.write(
    `sessions ${sessions} run ${r}: ${Math.round(commits / wallS).toLocaleString('en-US')} commits/s, ` +
      `CPU per commit: main thread ${per.mainUs === undefined ? 'n/a' : per.mainUs.toFixed(1)} us, whole process ${per.totalUs.toFixed(1)} us; ` +
      `${(commits / Math.max(1, groups)).toFixed(1)} commits per group, ${Math.round((100 * overlapped) / Math.max(1, groups))}% of groups built while another was written\n`,
  );
}
if (runs > 1) {
  // Other processes only ever add CPU time (cache misses, frequency), so the minimum is the steadiest figure.
  const minMedian = (xs: number[], digits: number): string => {
    const sorted = [...xs].sort((a, b) => a - b);
    const fmt = (x: number): string => (digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));
    return sorted.length === 0 ? 'n/a' : `min ${fmt(sorted[0]!)}, median ${fmt(sorted[Math.floor(sorted.length / 2)]!)}`;
  };
  process.stdout.write(
    `sessions ${sessions} over ${runs} runs: main thread us per commit ${minMedian(mainUsRuns, 1)}; whole process us per commit ${minMedian(totalUsRuns, 1)}; commits/s ${minMedian(rates, 0)}\n`,
  );
}
if (hasArg('alloc')) {
  const stop = await startAllocSampling();
  const { commits } = await run(Math.min(seconds, 2));
  const report = await stop();
  process.stdout.write(`sessions ${sessions}: ${Math.round(report.totalBytes / commits)} heap bytes allocated per commit (sampled); by function:\n`);
  for (const { fn, bytes } of report.byFunction.slice(0, 25)) process.stdout.write(`  ${String(Math.round(bytes / commits)).padStart(6)}  ${fn}\n`);
}
await store.close();
rmSync(scratch, { recursive: true, force: true });

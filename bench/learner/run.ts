// Columnar learner benchmark: commit-to-visible freshness (p50/p99) at 500 and 2,000 commits/s and at the
// maximum sustained rate, OLTP commit throughput with the learner attached vs detached, and the footprint
// (memory, Parquet bytes) of TPC-H lineitem vs DuckDB's own Parquet export of the same rows (ZSTD both).
// Run: npx tsx bench/learner/run.ts [--seconds 6] [--compact-rows 8192] [--lineitem /work/shared/data/tpch/sf0.01/lineitem.tbl] [--only freshness|interference]
//   [--modes detached,attached,memoryOnly,attachedNice0,attachedMessages] (interference configurations, interleaved per round) [--rounds 3]
//   [--rate N] (interference runs paced at N commits/s: CPU per commit comparable across modes under load)
//   [--learner-nice N] (freshness runs with the learner thread at this niceness) [--feed-ring-bytes N] (0: fed by messages)
// Writes bench/results/learner.md and bench/results/learner.svg.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { threadCpuUs, type ThreadCpu } from './thread-cpu.ts';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types, type Row } from '../../oltp/types.ts';
import type { NewTable, TableDef } from '../../oltp/api.ts';
import { LearnerReplica } from '../../olap/learner/client.ts';
import { groupedBarsSvg } from './svg.ts';
import { arg, hasArg } from '../args.ts';

const seconds = Number(arg('seconds', '6'));
const lineitemPath = arg('lineitem', '/work/shared/data/tpch/sf0.01/lineitem.tbl');
const sessions = 32;
/** Learner compaction threshold (delta versions) for the freshness and interference runs. */
const compactRows = Number(arg('compact-rows', '8192'));
/** The feeder's least time between apply messages (client.ts applyIntervalMs); default: the client's. */
const applyInterval = hasArg('apply-interval-ms') ? { applyIntervalMs: Number(arg('apply-interval-ms', '5')) } : {};
/** `--learner-nice N`: the learner thread's OS niceness in the freshness runs (default: the learner's own). */
const freshNice = hasArg('learner-nice') ? { threadNice: Number(arg('learner-nice', '0')) } : {};
/** `--feed-ring-bytes N`: the freshness runs' shared feed ring size (0 = fed by apply messages, for A/B). */
const freshRing = hasArg('feed-ring-bytes') ? { feedRingBytes: Number(arg('feed-ring-bytes', '0')) } : {};
/** Interleaved rounds of the interference comparison (medians reported: this machine is shared and noisy). */
const ROUNDS = Number(arg('rounds', '3'));
/**
 * `--rate N`: pace the interference runs at N commits/s instead of as fast as they go. At a fixed rate commit
 * groups are alike in every mode, so CPU per commit compares across modes on a loaded machine, where the
 * unpaced throughput (and with it the group size and the CPU per commit) swings between rounds.
 */
const interferenceRate = Number(arg('rate', 'Infinity'));
const MODE_LABELS = {
  detached: 'detached',
  attached: 'attached (Parquet persistence on)',
  memoryOnly: 'attached, memory only (no Parquet)',
  attachedNice0: 'attached, learner thread at normal priority (nice 0)',
  attachedMessages: 'attached, fed by apply messages (no shared feed ring)',
} as const;
type Mode = keyof typeof MODE_LABELS;
const modes = arg('modes', 'detached,attached,memoryOnly').split(',') as Mode[];
for (const m of modes) if (!(m in MODE_LABELS)) throw new Error(`--modes: unknown mode ${m}`);
const WARMUP_S = 2;
/**
 * Warm-up of the interference runs: longer than the learner's start-up work, so it is not measured (the
 * parallel helper thread boots 2 s after the learner, olap/learner/worker.ts, about 0.6 s of CPU once).
 */
const INTERFERENCE_WARMUP_S = 4;
/**
 * Measured commits take ids above the warm-up's (0..): keys keep increasing like a sequence's. (Ids below the
 * warm-up's made every compaction rebuild the warm-up's stable blocks, a cost of that order, not of the learner.)
 */
const MEASURED_ID_BASE = 10_000_000;
const resultsDir = join(import.meta.dirname, '..', 'results');
const scratch = mkdtempSync(join(tmpdir(), 'duet-bench-learner-'));

const progress = (msg: string): void => void process.stderr.write(`[learner bench] ${msg}\n`);
const pkgVersion = (name: string): string => (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

const eventsTable: NewTable = {
  name: 'events',
  columns: [
    { name: 'id', type: Types.integer, notNull: true },
    { name: 'kind', type: Types.varchar(12), notNull: false },
    { name: 'amount', type: Types.decimal(12, 2), notNull: false },
    { name: 'note', type: Types.text, notNull: false },
  ],
  primaryKey: [0],
};
const KINDS = ['click', 'view', 'buy', 'refund'];

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

interface RunResult { rate: number; commits: number; p50Ms: number; p99Ms: number; maxMs: number; lagAtEndEntries: number }

/**
 * Commits single-row transactions from `sessions` concurrent sessions for `seconds`, paced at `ratePerS`
 * (Infinity = as fast as they go). With a replica, records commit acknowledgement -> applied on the learner.
 */
async function commitRun(store: RowStore, t: TableDef, ratePerS: number, replica: LearnerReplica | undefined, idBase: number, durationS = seconds): Promise<RunResult> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let issued = 0;
  let done = 0;
  const start = performance.now();
  const endAt = start + durationS * 1000;
  await Promise.all(Array.from({ length: sessions }, async () => {
    for (;;) {
      const i = issued++;
      const due = start + (i * 1000) / ratePerS;
      if (due >= endAt || performance.now() >= endAt) return;
      const waitMs = due - performance.now();
      if (waitMs > 1) await new Promise((r) => setTimeout(r, waitMs));
      const txn = store.begin();
      await txn.insert(t, [idBase + i, KINDS[i % 4]!, BigInt(i % 100000), `note ${i}`]);
      await txn.commit();
      done++;
      if (replica) {
        const ackMs = performance.now();
        const index = store.stats.appliedIndex; // >= this commit's index (groups apply together)
        pending.push(replica.whenApplied(index).then(() => void latencies.push(performance.now() - ackMs)));
      }
    }
  }));
  const elapsedS = (performance.now() - start) / 1000;
  const lagAtEndEntries = replica ? (await replica.status()).lagEntries : 0;
  await Promise.all(pending);
  const sorted = Float64Array.from(latencies).sort();
  return { rate: done / elapsedS, commits: done, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1) ?? NaN, lagAtEndEntries };
}

async function openEvents(name: string): Promise<{ store: RowStore; t: TableDef }> {
  const store = await RowStore.open(join(scratch, name));
  const txn = store.begin();
  const t = await txn.createTable(eventsTable);
  await txn.commit();
  return { store, t };
}

async function freshness(): Promise<{ label: string; r: RunResult }[]> {
  const out: { label: string; r: RunResult }[] = [];
  for (const [label, rate] of [['500/s', 500], ['2,000/s', 2000], ['max', Infinity]] as const) {
    const { store, t } = await openEvents(`fresh-${out.length}`);
    const replica = await LearnerReplica.start(store, { dir: join(scratch, `fresh-learner-${out.length}`), compactDeltaRows: compactRows, ...applyInterval, ...freshNice, ...freshRing });
    // Warm-up (discarded): JIT, and the learner's writer thread compiling its TypeScript on this 2-core machine.
    progress(`freshness at ${label}: ${WARMUP_S}s warm-up, then ${seconds}s measured ...`);
    await commitRun(store, t, rate, replica, 0, WARMUP_S);
    const r = await commitRun(store, t, rate, replica, MEASURED_ID_BASE);
    progress(`  ${r.rate.toFixed(0)} commits/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
    out.push({ label, r });
    await replica.close();
    await store.close();
  }
  return out;
}

type Modes<T> = Partial<Record<Mode, T>>;

/**
 * Steady-state commit throughput and process CPU per commit (every thread: row store, LevelDB pool, learner,
 * writer). CPU per commit is the robust figure on a shared machine; throughput moves with the machine's load.
 * Each run first commits for INTERFERENCE_WARMUP_S and forces one save (JIT; the learner's threads loading their code,
 * the writer thread booting at its first save: a one-time cost, reported in the freshness warm-up instead).
 */
async function interference(): Promise<{ rate: Modes<number[]>; cpuUs: Modes<number[]>; threadUs: Modes<ThreadCpu[]> }> {
  const rate: Modes<number[]> = {};
  const cpuUs: Modes<number[]> = {};
  const threadUs: Modes<ThreadCpu[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) {
      const { store, t } = await openEvents(`oltp-${round}-${mode}`);
      const persisted = { dir: join(scratch, `oltp-learner-${round}-${mode}`), compactDeltaRows: compactRows, ...applyInterval };
      const replica = mode === 'detached' ? undefined
        : await LearnerReplica.start(store, mode === 'memoryOnly' ? { compactDeltaRows: compactRows, ...applyInterval } : mode === 'attachedNice0' ? { ...persisted, threadNice: 0 } : mode === 'attachedMessages' ? { ...persisted, feedRingBytes: 0 } : persisted);
      progress(`OLTP throughput, learner ${mode} (round ${round + 1}/${ROUNDS}) ...`);
      await commitRun(store, t, Infinity, undefined, 0, INTERFERENCE_WARMUP_S);
      if (replica) {
        await replica.caughtUp();
        await replica.compact();
      }
      const cpu0 = process.cpuUsage();
      const threads0 = threadCpuUs();
      const r = await commitRun(store, t, interferenceRate, undefined, MEASURED_ID_BASE);
      const cpu = process.cpuUsage(cpu0);
      const threads1 = threadCpuUs();
      const us = (cpu.user + cpu.system) / r.commits;
      const perCommit: ThreadCpu = { main: 0, learner: 0, writer: 0, other: 0 };
      for (const k of ['main', 'learner', 'writer', 'other'] as const) perCommit[k] = (threads1[k] - threads0[k]) / r.commits;
      progress(`  ${r.rate.toFixed(0)} commits/s, ${us.toFixed(0)} µs CPU per commit: main ${perCommit.main.toFixed(1)}, learner ${perCommit.learner.toFixed(1)}, writer ${perCommit.writer.toFixed(1)}, other ${perCommit.other.toFixed(1)} (load ${loadavg()[0]!.toFixed(1)})${replica ? `; entries fed through the ring ${replica.fed.ring}, by message ${replica.fed.messages}` : ''}`);
      (rate[mode] ??= []).push(r.rate);
      (cpuUs[mode] ??= []).push(us);
      (threadUs[mode] ??= []).push(perCommit);
      await replica?.close();
      await store.close();
    }
  }
  return { rate, cpuUs, threadUs };
}

const lineitemColumns: [string, typeof Types.integer][] = [
  ['l_orderkey', Types.integer], ['l_partkey', Types.integer], ['l_suppkey', Types.integer], ['l_linenumber', Types.integer],
  ['l_quantity', Types.decimal(15, 2)], ['l_extendedprice', Types.decimal(15, 2)], ['l_discount', Types.decimal(15, 2)], ['l_tax', Types.decimal(15, 2)],
  ['l_returnflag', Types.varchar(1)], ['l_linestatus', Types.varchar(1)], ['l_shipdate', Types.date], ['l_commitdate', Types.date], ['l_receiptdate', Types.date],
  ['l_shipinstruct', Types.varchar(25)], ['l_shipmode', Types.varchar(10)], ['l_comment', Types.varchar(44)],
];

function parseLineitem(line: string): Row {
  const f = line.split('|');
  return lineitemColumns.map(([, type], i) => {
    const s = f[i]!;
    if (type.id === 'integer') return Number(s);
    if (type.id === 'decimal') return BigInt(s.replace('.', ''));
    if (type.id === 'date') return Date.parse(`${s}T00:00:00Z`) / 86_400_000;
    return s;
  });
}

interface Footprint { rows: number; memoryBytes: number; learnerParquetBytes: number; duckdbParquetBytes: number; loadS: number }

async function footprint(): Promise<Footprint> {
  progress(`footprint: loading ${lineitemPath} ...`);
  const lines = readFileSync(lineitemPath, 'utf8').split('\n').filter((l) => l.length > 0);
  const store = await RowStore.open(join(scratch, 'lineitem'));
  const learnerDir = join(scratch, 'lineitem-learner');
  const replica = await LearnerReplica.start(store, { dir: learnerDir, deltaRowsMax: 1 << 20 });
  let txn = store.begin();
  const t = await txn.createTable({ name: 'lineitem', columns: lineitemColumns.map(([name, type]) => ({ name, type, notNull: true })), primaryKey: [0, 3] });
  await txn.commit();
  const start = performance.now();
  for (let i = 0; i < lines.length; i += 2000) {
    txn = store.begin();
    for (const line of lines.slice(i, i + 2000)) await txn.insert(t, parseLineitem(line));
    await txn.commit();
    if ((i / 2000) % 10 === 0) progress(`  ${i} / ${lines.length} rows`);
  }
  await replica.caughtUp();
  await replica.compact();
  const loadS = (performance.now() - start) / 1000;
  const status = await replica.status();
  const table = status.tables.find((x) => x.name === 'lineitem')!;
  await replica.close();
  await store.close();
  progress('footprint: DuckDB Parquet export (ZSTD) ...');
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const cols = lineitemColumns.map(([n, type]) => `'${n}': '${type.id === 'decimal' ? 'DECIMAL(15,2)' : type.id === 'date' ? 'DATE' : type.id === 'integer' ? 'INTEGER' : 'VARCHAR'}'`).join(', ');
  const out = join(scratch, 'duckdb-lineitem.parquet');
  await duck.run(`COPY (SELECT * FROM read_csv('${lineitemPath}', delim='|', header=false, columns={${cols}})) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
  duck.closeSync();
  return { rows: lines.length, memoryBytes: table.memoryBytes, learnerParquetBytes: status.diskBytes, duckdbParquetBytes: statSync(out).size, loadS };
}

/** `--only freshness|interference`: run one part and print it (no result files written); for quick checks. */
async function only(part: string): Promise<void> {
  if (part === 'freshness') for (const { label, r } of await freshness()) process.stdout.write(`${label}: ${r.rate.toFixed(0)}/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms max ${r.maxMs.toFixed(1)} ms\n`);
  else if (part === 'interference') process.stdout.write(`${JSON.stringify(await interference())}\n`);
  else throw new Error(`--only ${part}: expected freshness or interference`);
  rmSync(scratch, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const fresh = await freshness();
  const load = loadavg()[0]!;
  const { rate: oltp, cpuUs, threadUs } = await interference();
  const foot = await footprint();
  const mean = (xs: number[] | undefined): number => (xs ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN); // median
  const overheadPct = (1 - mean(oltp.attached) / mean(oltp.detached)) * 100;
  const extraCpuUs = mean(cpuUs.attached) - mean(cpuUs.detached);
  const role = (m: Mode, k: keyof ThreadCpu): number => mean(threadUs[m]?.map((x) => x[k]));
  const extraMainUs = role('attached', 'main') - role('detached', 'main');
  const md = [
    '# Columnar learner benchmark',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, shared with other engineers' work (1-minute load average ${load.toFixed(1)} when the run started).`,
    `Engines: duetdb row store (classic-level ${pkgVersion('classic-level')}), learner in a worker thread (apache-arrow ${pkgVersion('apache-arrow')}, parquet-wasm ${pkgVersion('parquet-wasm')}), DuckDB ${pkgVersion('@duckdb/node-api')}.`,
    `Command: \`npx tsx bench/learner/run.ts --seconds ${seconds} --compact-rows ${compactRows}\`; ${sessions} sessions each committing single-row durable insert transactions, ${seconds} s per run (freshness runs after a ${WARMUP_S} s warm-up at the same rate).`,
    '',
    '## Freshness: commit acknowledged → applied on the learner (visible to a learner read)',
    '',
    '| target rate | achieved commits/s | commits | p50 ms | p99 ms | max ms | goal |',
    '|---|---|---|---|---|---|---|',
    ...fresh.map(({ label, r }) => `| ${label} | ${r.rate.toFixed(0)} | ${r.commits} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${label === '2,000/s' ? `p99 < 50 ms: ${r.p99Ms < 50 ? 'met' : 'missed'}` : ''} |`),
    '',
    '## OLTP interference: commit throughput with the learner attached vs detached',
    '',
    `Steady state: each run commits for ${INTERFERENCE_WARMUP_S} s and forces one learner save before measuring (the writer thread boots at the first save, about a second of CPU once; the parallel helper thread 2 s after the learner starts); measured commits take keys above the warm-up's.`,
    '',
    '| learner | commits/s per round | median | CPU µs per commit (all threads) per round | median | of it (medians): main thread / learner thread / writer thread / other threads |',
    '|---|---|---|---|---|---|',
    ...modes.map((m) => `| ${MODE_LABELS[m]} | ${oltp[m]!.map((x) => x.toFixed(0)).join(', ')} | ${mean(oltp[m]).toFixed(0)} | ${cpuUs[m]!.map((x) => x.toFixed(0)).join(', ')} | ${mean(cpuUs[m]).toFixed(0)} | ${(['main', 'learner', 'writer', 'other'] as const).map((k) => role(m, k).toFixed(1)).join(' / ')} |`),
    '',
    `Attached vs detached: throughput ${overheadPct >= 0 ? `${overheadPct.toFixed(1)}% lower` : `${(-overheadPct).toFixed(1)}% higher`} (goal: at most 10% lower; ${overheadPct <= 10 ? 'met' : 'missed'} in this run); the learner adds ${extraCpuUs.toFixed(0)} µs of CPU per commit in all threads (median vs median), ${extraMainUs.toFixed(1)} µs of it on the main thread (the commit path's thread; the rest runs on the learner's threads at lower OS priority; threads are told apart by their niceness, so with the learner at nice 0 its thread counts as other). The spread between rounds of the same configuration shows how much the shared 2-core machine moves throughput; compare only within one run. Per-stage CPU costs: \`npx tsx bench/learner/cost.ts\` (bench/results/learner-cost.md).`,
    '',
    `## Footprint: TPC-H lineitem (${foot.rows} rows, ${lineitemPath})`,
    '',
    '| | bytes | per row | vs DuckDB Parquet |',
    '|---|---|---|---|',
    `| learner Parquet (ZSTD, incl. key/begin/end columns) | ${foot.learnerParquetBytes} | ${(foot.learnerParquetBytes / foot.rows).toFixed(1)} | ${(foot.learnerParquetBytes / foot.duckdbParquetBytes).toFixed(2)}x |`,
    `| DuckDB COPY TO Parquet (ZSTD) | ${foot.duckdbParquetBytes} | ${(foot.duckdbParquetBytes / foot.rows).toFixed(1)} | 1.00x |`,
    `| learner memory (stable blocks, estimated strings) | ${foot.memoryBytes} | ${(foot.memoryBytes / foot.rows).toFixed(1)} | |`,
    '',
    `Parquet goal within 1.3x of DuckDB: ${foot.learnerParquetBytes / foot.duckdbParquetBytes <= 1.3 ? 'met' : 'missed'}. Load through the row store + learner catch-up + compaction: ${foot.loadS.toFixed(1)} s.`,
    '',
  ].join('\n');
  writeFileSync(join(resultsDir, 'learner.md'), md);
  const svg = groupedBarsSvg('duetdb columnar learner', [
    ...fresh.map(({ label, r }) => ({ label: `freshness ${label}`, bars: [{ name: 'p50', value: r.p50Ms, unit: 'ms' }, { name: 'p99', value: r.p99Ms, unit: 'ms' }] })),
    { label: 'commits/s (÷100)', bars: [{ name: 'detached', value: mean(oltp.detached) / 100, unit: '×100/s' }, { name: 'attached', value: mean(oltp.attached) / 100, unit: '×100/s' }] },
    { label: 'lineitem Parquet MiB', bars: [{ name: 'learner', value: foot.learnerParquetBytes / 2 ** 20, unit: 'MiB' }, { name: 'DuckDB', value: foot.duckdbParquetBytes / 2 ** 20, unit: 'MiB' }] },
  ], { value: 50, label: 'p99 goal 50 ms' });
  writeFileSync(join(resultsDir, 'learner.svg'), svg);
  process.stdout.write(md);
  rmSync(scratch, { recursive: true, force: true });
}

if (hasArg('only')) await only(arg('only', ''));
else await main();

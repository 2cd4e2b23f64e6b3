// TPC-H on three engines in one run: duetdb's column path (the learner), duetdb's row path (forced) and
// DuckDB, same generated data; checks both duetdb paths against DuckDB's answers; per-query times,
// geometric means and ratios; load rates and the learner's footprint.
// Run: NODE_OPTIONS=--max-old-space-size=8192 npx tsx bench/tpch-run/run.ts --sf 1 [--runs 3] [--fast-ms 3000]
//      [--row-timeout-s 300] [--column-timeout-s 600] [--queries 1,6] [--chunk-rows 100000] [--cache /tmp/duet-tpch-cache] [--out tpch]
//      [--db DIR]  (keep the loaded database there; a rerun with the same DIR skips the load)
// Writes bench/results/<out>.md and <out>.svg (default tpch), rewritten after every query (a partial report survives an interrupted run).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Database, type Session } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { ensureTpchData, loadDuck, loadDuet, log, TPCH_SHARED, type TableLoad } from './data.ts';
import { machineLine, samplesLine, startSampler } from './machine.ts';
import { fmtMs, geomean, timeQuery, type Timing } from './time.ts';
import { resultDifference } from './compare.ts';
import { logBarsSvg } from './svg.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const sf = Number(arg('sf', '1'));
const runs = Number(arg('runs', '3'));
const fastMs = Number(arg('fast-ms', '3000'));
const rowTimeoutMs = Number(arg('row-timeout-s', '300')) * 1000;
const columnTimeoutMs = Number(arg('column-timeout-s', '600')) * 1000;
const queries = arg('queries', Array.from({ length: 22 }, (_, i) => i + 1).join(',')).split(',').map(Number);
const cacheDir = arg('cache', join(tmpdir(), 'duet-tpch-cache'));
const outName = arg('out', 'tpch');
/** Rows per COPY (one transaction each) when loading duetdb. */
const chunkRows = Number(arg('chunk-rows', '100000'));
const keepDbDir = arg('db', '');
const resultsDir = join(import.meta.dirname, '..', 'results');
const command = `npx tsx bench/tpch-run/run.ts ${args.join(' ')}`.trim();

interface QueryResultRow {
  readonly n: number;
  column?: Timing;
  row?: Timing;
  duck?: Timing;
  columnDiff?: string;
  rowDiff?: string;
  columnPath?: string;
}

/** One duetdb run on a session forced to `engine`; a timer cancels it after `cancelAfterMs`. */
async function duetOnce(s: Session, sql: string, cancelAfterMs: number): Promise<unknown[][]> {
  const timer = setTimeout(() => s.cancel(), cancelAfterMs);
  try {
    return (await s.query(sql)).rows;
  } finally {
    clearTimeout(timer);
  }
}

async function duckOnce(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRows();
}

async function main(): Promise<void> {
  const sampler = startSampler();
  const t0 = performance.now();
  const { dir: dataDir, generatedS } = await ensureTpchData(sf, cacheDir);
  const dataBytes = Number((await import('node:child_process')).execFileSync('du', ['-sb', dataDir], { encoding: 'utf8' }).split('\t')[0]);

  const dbDir = keepDbDir || mkdtempSync(join(tmpdir(), 'duet-bench-tpch-'));
  const loadedFile = join(dbDir, 'bench-loaded.json');
  const reused = keepDbDir !== '' && existsSync(loadedFile);
  if (keepDbDir) mkdirSync(keepDbDir, { recursive: true });
  const db = await Database.open(dbDir, { learner: true });
  let load: LoadStats;
  const learner = learnerOf(db.store)!;
  if (reused) {
    load = JSON.parse(readFileSync(loadedFile, 'utf8')) as LoadStats;
    log(`load duetdb: reusing the database in ${dbDir} (loaded earlier); learner catching up ...`);
    await learner.caughtUp();
  } else {
    const loadStart = performance.now();
    const duetLoads = await loadDuet(db, dataDir, sf, chunkRows);
    const copyS = (performance.now() - loadStart) / 1000;
    log('learner: catching up ...');
    await learner.caughtUp();
    const caughtUpS = (performance.now() - loadStart) / 1000;
    log(`learner: caught up ${caughtUpS.toFixed(1)} s after the load started; compacting ...`);
    await learner.compact();
    const compactedS = (performance.now() - loadStart) / 1000;
    load = { duetLoads, copyS, caughtUpS, compactedS };
    writeFileSync(loadedFile, JSON.stringify(load));
  }
  const status = await learner.status();
  log(`learner: memory ${(status.tables.reduce((a, t) => a + t.memoryBytes, 0) / 2 ** 20).toFixed(0)} MiB, disk ${(status.diskBytes / 2 ** 20).toFixed(0)} MiB`);

  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const duckStart = performance.now();
  const duckLoads = await loadDuck(duck, dataDir);
  const duckLoadS = (performance.now() - duckStart) / 1000;

  const colSession = db.session();
  await colSession.query("SET duet.engine = 'column'");
  const rowSession = db.session();
  await rowSession.query("SET duet.engine = 'row'");

  const results: QueryResultRow[] = [];
  // Phase 1: DuckDB and the column path for every query; phase 2: the slow row path, Q1 and Q6 first (its
  // goals). The report is rewritten after every step, so an interrupted run still leaves the early phases.
  const duckRows = new Map<number, unknown[][]>();
  const save = (): void => void writeReport({ dataDir, dataBytes, generatedS, ...load, reused, status, duckLoads, duckLoadS, results, samplesText: samplesLine(sampler.current()), totalS: (performance.now() - t0) / 1000, partial: true });
  const sqlOf = (n: number): string => readFileSync(join(TPCH_SHARED, 'queries', `q${String(n).padStart(2, '0')}.sql`), 'utf8');
  const eta = (k: number, of: number): string => {
    const elapsedS = (performance.now() - qStart) / 1000;
    return `[${k + 1}/${of}, ${elapsedS.toFixed(0)} s, ETA ${((elapsedS / (k + 1)) * (of - k - 1)).toFixed(0)} s]`;
  };
  let qStart = performance.now();
  for (const [k, n] of queries.entries()) {
    const sql = sqlOf(n);
    const r: QueryResultRow = { n };
    results.push(r);
    const d = await timeQuery(async () => duckOnce(duck, sql), { runs, fastMs, timeoutMs: Infinity });
    r.duck = d.timing;
    duckRows.set(n, d.result!);
    r.columnPath = String((await colSession.query(`EXPLAIN ${sql}`)).rows[0]![0]);
    try {
      const c = await timeQuery((ms) => duetOnce(colSession, sql, ms), { runs, fastMs, timeoutMs: columnTimeoutMs });
      r.column = c.timing;
      r.columnDiff = c.result ? resultDifference(c.result, d.result!) : undefined;
    } catch (e) {
      r.columnDiff = `error: ${(e as Error).message}`;
    }
    save();
    log(`Q${n}: column ${fmtMs(r.column)}${r.columnDiff ? ` MISMATCH (${r.columnDiff})` : ''}, DuckDB ${fmtMs(r.duck)}  ${eta(k, queries.length)}`);
  }
  const rowOrder = [...results].sort((x, y) => Number(![1, 6].includes(x.n)) - Number(![1, 6].includes(y.n)) || x.n - y.n);
  qStart = performance.now();
  for (const [k, r] of rowOrder.entries()) {
    try {
      const w = await timeQuery((ms) => duetOnce(rowSession, sqlOf(r.n), ms), { runs: Math.min(runs, 1), fastMs, timeoutMs: rowTimeoutMs });
      r.row = w.timing;
      r.rowDiff = w.result ? resultDifference(w.result, duckRows.get(r.n)!) : undefined;
    } catch (e) {
      r.rowDiff = `error: ${(e as Error).message}`;
    }
    save();
    log(`Q${r.n}: row ${fmtMs(r.row)}${r.rowDiff ? ` MISMATCH (${r.rowDiff})` : ''} (column ${fmtMs(r.column)})  ${eta(k, rowOrder.length)}`);
  }
  await colSession.close();
  await rowSession.close();
  duck.closeSync();
  await db.close();
  if (!keepDbDir) rmSync(dbDir, { recursive: true, force: true });
  const md = writeReport({ dataDir, dataBytes, generatedS, ...load, reused, status, duckLoads, duckLoadS, results, samplesText: samplesLine(sampler.stop()), totalS: (performance.now() - t0) / 1000, partial: false });
  process.stdout.write(md);
}

interface LoadStats { duetLoads: TableLoad[]; copyS: number; caughtUpS: number; compactedS: number }

function writeReport(x: ReportInput): string {
  const md = report(x);
  writeFileSync(join(resultsDir, `${outName}.md`), md);
  writeFileSync(join(resultsDir, `${outName}.svg`), logBarsSvg(`TPC-H SF ${sf}: per-query time (log scale; faded = timed out)`, x.results.map((r) => ({
    label: `Q${r.n}`,
    bars: [
      ...(r.column ? [{ name: 'duetdb column path', ms: r.column.ms, over: r.column.timedOut }] : []),
      ...(r.row ? [{ name: 'duetdb row path', ms: r.row.ms, over: r.row.timedOut }] : []),
      ...(r.duck ? [{ name: 'DuckDB', ms: r.duck.ms }] : []),
    ],
  }))));
  return md;
}

interface ReportInput extends LoadStats {
  reused: boolean; partial: boolean;
  dataDir: string; dataBytes: number; generatedS: number | undefined;
  status: Awaited<ReturnType<NonNullable<ReturnType<typeof learnerOf>>['status']>>; duckLoads: TableLoad[]; duckLoadS: number; results: QueryResultRow[]; samplesText: string; totalS: number;
}

function report(x: ReportInput): string {
  const ok = x.results.filter((r) => r.column && r.duck);
  const okRow = ok.filter((r) => r.row);
  const gm = (rs: QueryResultRow[], pick: (r: QueryResultRow) => Timing | undefined): number => geomean(rs.map((r) => pick(r)!.ms));
  const gCol = gm(ok, (r) => r.column);
  const gDuck = gm(ok, (r) => r.duck);
  const gRow = gm(okRow, (r) => r.row);
  const gColOfRow = gm(okRow, (r) => r.column);
  const timeouts = x.results.filter((r) => r.row?.timedOut).length;
  const totalRows = x.duetLoads.reduce((a, l) => a + l.rows, 0);
  const learnerMem = x.status.tables.reduce((a, t) => a + t.memoryBytes, 0);
  const ratio = (a: Timing | undefined, b: Timing | undefined): string => (a && b ? `${a.timedOut ? '> ' : ''}${(a.ms / b.ms).toFixed(2)}x` : 'n/a');
  const q = (n: number): QueryResultRow | undefined => x.results.find((r) => r.n === n);
  const rowOverCol = (n: number): number | undefined => (q(n)?.row && q(n)?.column ? q(n)!.row!.ms / q(n)!.column!.ms : undefined);
  const mismatches = x.results.filter((r) => r.columnDiff || r.rowDiff);
  const fellBack = x.results.filter((r) => r.columnPath && !/^path: column/.test(r.columnPath) || /fell back/.test(r.columnPath ?? ''));
  return [
    `# TPC-H SF ${sf}: duetdb column path, duetdb row path, DuckDB`,
    '',
    ...(x.partial ? [`**Partial report (rewritten after each step): column path and DuckDB on ${x.results.length} of ${queries.length} queries, row path on ${x.results.filter((r) => r.row).length}.**`, ''] : []),
    `Machine: ${machineLine()}. During the run: ${x.samplesText}. Whole run ${(x.totalS / 60).toFixed(1)} min.`,
    `Command: \`${process.env.NODE_OPTIONS ? `NODE_OPTIONS=${process.env.NODE_OPTIONS} ` : ''}${command}\` (the learner's worker thread takes its heap limit from that flag).`,
    `Data: our generator (bench/tpch), SF ${sf}, ${totalRows.toLocaleString('en-US')} rows, ${(x.dataBytes / 2 ** 30).toFixed(2)} GiB of .tbl files in ${x.dataDir}${x.generatedS !== undefined ? ` (generated in ${x.generatedS.toFixed(0)} s)` : ' (reused from the cache)'}.`,
    `Engines: duetdb column path = \`SET duet.engine = 'column'\` (the learner in its worker thread, then the vectorized executor); row path = \`SET duet.engine = 'row'\` (row store, same executor); DuckDB ${pkg('@duckdb/node-api')} in memory (its default threads: both cores).`,
    `Timing: each query once; if that took under ${fastMs} ms, ${runs} more runs and their median. The row path runs once, cancelled after ${rowTimeoutMs / 1000} s ("> ${rowTimeoutMs / 1000} s"; the geometric mean then counts the timeout itself, so the row path's geomean and the row/column ratios are lower bounds).`,
    '',
    '## Per query',
    '',
    '| query | column path | row path | DuckDB | column / DuckDB | row / column | answers vs DuckDB |',
    '|---|---|---|---|---|---|---|',
    ...x.results.map((r) => `| Q${r.n} | ${fmtMs(r.column)} | ${fmtMs(r.row)} | ${fmtMs(r.duck)} | ${ratio(r.column, r.duck)} | ${ratio(r.row, r.column)} | ${r.columnDiff || r.rowDiff ? `column: ${r.columnDiff ?? 'same'}; row: ${r.rowDiff ?? (r.row?.timedOut ? 'timed out' : 'same')}` : r.row?.timedOut ? 'column same; row timed out' : r.row ? 'same' : 'column same; row not run'} |`),
    `| **geomean** (${ok.length} queries; row: ${okRow.length}) | **${fmtMs({ ms: gCol, runs: 0, timedOut: false })}** | **${timeouts > 0 ? '> ' : ''}${fmtMs({ ms: gRow, runs: 0, timedOut: false })}** | **${fmtMs({ ms: gDuck, runs: 0, timedOut: false })}** | **${(gCol / gDuck).toFixed(2)}x** | **${timeouts > 0 ? '> ' : ''}${(gRow / gColOfRow).toFixed(1)}x** | |`,
    ...(okRow.length < ok.length ? ['', `Row path measured on ${okRow.length} of ${ok.length} queries so far (its geomean and row / column are over those).`] : []),
    '',
    '## Goals',
    '',
    `- Column path geomean within 3x DuckDB: ${(gCol / gDuck).toFixed(2)}x, ${gCol / gDuck <= 3 ? 'met' : 'missed'}.`,
    ...[1, 6].map((n) => `- Column path >= 20x faster than the row path on Q${n}: ${rowOverCol(n) === undefined ? 'not run' : `${q(n)!.row!.timedOut ? '> ' : ''}${rowOverCol(n)!.toFixed(1)}x, ${rowOverCol(n)! >= 20 ? 'met' : q(n)!.row!.timedOut ? 'not decided (the row path hit the timeout; a longer --row-timeout-s would tell)' : 'missed'}`}.`),
    `- Answers: ${mismatches.length === 0 ? `every query's column-path and row-path answers equal DuckDB's (numbers within a relative ${1e-9}, ties under ORDER BY in any order)${timeouts ? ', except row-path runs that timed out (no answer)' : ''}` : `MISMATCHES on ${mismatches.map((r) => `Q${r.n}`).join(', ')} (see the table)`}.`,
    `- Column path really read the learner: ${fellBack.length === 0 ? 'EXPLAIN named the column path for every query' : `not for ${fellBack.map((r) => `Q${r.n} (${r.columnPath})`).join(', ')}`}.`,
    '',
    '## Load',
    '',
    '| table | rows | duetdb COPY s | duetdb rows/s | DuckDB s |',
    '|---|---|---|---|---|',
    ...x.duetLoads.map((l, i) => `| ${l.table} | ${l.rows.toLocaleString('en-US')} | ${l.seconds.toFixed(1)} | ${Math.round(l.rows / l.seconds).toLocaleString('en-US')} | ${x.duckLoads[i]?.seconds.toFixed(2) ?? ''} |`),
    `| all | ${totalRows.toLocaleString('en-US')} | ${x.copyS.toFixed(1)} | ${Math.round(totalRows / x.copyS).toLocaleString('en-US')} | ${x.duckLoadS.toFixed(1)} |`,
    '',
    `duetdb: COPY into the row store (Raft log, MVCC rows) with the learner attached, ${chunkRows.toLocaleString('en-US')} rows per COPY (one transaction each; the large tables are split into pieces first); the learner had applied everything ${x.caughtUpS.toFixed(1)} s after the load started (${Math.round(totalRows / x.caughtUpS).toLocaleString('en-US')} rows/s end to end) and finished an explicit compaction at ${x.compactedS.toFixed(1)} s.${x.reused ? ' (Load figures from the run that loaded this database; this run reused it.)' : ''}`,
    '',
    `Learner footprint after compaction: ${(learnerMem / 2 ** 20).toFixed(0)} MiB in memory (its own estimate, stable blocks + deltas), ${(x.status.diskBytes / 2 ** 20).toFixed(0)} MiB of Parquet on disk (${(x.status.diskBytes / totalRows).toFixed(1)} bytes per row).`,
    '',
    '| table | stable rows | delta rows | blocks | memory MiB | Parquet MiB |',
    '|---|---|---|---|---|---|',
    ...x.status.tables.map((t) => `| ${t.name} | ${t.stableRows.toLocaleString('en-US')} | ${t.deltaRows} | ${t.stableBlocks} | ${(t.memoryBytes / 2 ** 20).toFixed(1)} | ${(t.diskBytes / 2 ** 20).toFixed(1)} |`),
    '',
  ].join('\n');
}

function pkg(name: string): string {
  return (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

await main();

// Command-line sqllogictest runner:
//   npx tsx test/sqllogictest/run.ts [--update-expectations] [--engine row,column,auto] [--batch-rows default,1,3] [files...]
// Runs the scripts (default: the whole suite), prints progress and a summary per script, and exits 1
// when the outcome differs from expected-failures.json in either direction. With --update-expectations
// it rewrites the list for the scripts it ran. A run of the whole suite rewrites FAILURES.md.
// --engine / --batch-rows take comma-separated lists: every combination runs against the same list.

import { relative, resolve } from 'node:path';
import { checkScript, loadExpectations, replaceScript, saveExpectations, toExpectedFailure, type ExpectedFailure, type Expectations } from './expectations.ts';
import { DATA_DIR, EXPECTATIONS_PATH, FAILURES_MD_PATH, loadScript, RECORD_TIMEOUT_MS, runSuiteScript, suiteFiles } from './suite.ts';
import { writeFailuresReport, type ScriptStats, type SlowRecord } from './report.ts';
import { Progress } from './progress.ts';
import { addPaths, closeWorkers } from './isolated.ts';
import { SAMPLE_EVERY, type EngineConfig, type EnginePath, type PathCounts } from './engine.ts';
import type { SltRecord } from './parse.ts';

const SLOWEST_SHOWN = 10;
const USAGE = `usage: npx tsx test/sqllogictest/run.ts [--update-expectations] [--engine LIST] [--batch-rows LIST] [--set NAME=VALUE]... [files...]
  files: paths relative to the data folder (e.g. select1.test evidence/in1.test) or to the current directory
  --engine: row (row store, no learner; the default), column (learner on, column path forced), auto (learner on, router decides)
  --batch-rows: executor rows per batch, 1..2048 or default
  --learner-thread: the learner in its own worker thread (default: in the script's thread; same reads)
  --record-timeout-ms: a record taking longer fails as too slow (default ${RECORD_TIMEOUT_MS}; batch size 1 makes joins slow)
  LIST: one value or several separated by commas; every combination runs (e.g. --engine row,column --batch-rows default,1,3)
  --set: run SET NAME = VALUE on each fresh database first (an engine configuration; results must not change)`;

interface Options {
  update: boolean;
  setupSql: string[];
  configs: EngineConfig[];
  positional: string[];
  recordTimeoutMs: number;
}

function parseArgs(argv: readonly string[]): Options | string {
  const setupSql: string[] = [];
  const positional: string[] = [];
  let paths: EnginePath[] = ['row'];
  let batches: (number | undefined)[] = [undefined];
  let recordTimeoutMs = RECORD_TIMEOUT_MS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--update-expectations' || arg === '--learner-thread') continue;
    if (arg === '--set') {
      const m = /^([A-Za-z_][\w.]*)=(.*)$/.exec(argv[++i] ?? '');
      if (!m) return `bad --set ${argv[i] ?? ''}`;
      setupSql.push(`SET ${m[1]} = '${(m[2] ?? '').replace(/'/g, "''")}'`);
    } else if (arg === '--engine') {
      const list = (argv[++i] ?? '').split(',');
      if (!list.every((p): p is EnginePath => p === 'row' || p === 'column' || p === 'auto')) return `bad --engine ${argv[i] ?? ''}`;
      paths = list;
    } else if (arg === '--batch-rows') {
      const list = (argv[++i] ?? '').split(',').map((v) => (v === 'default' ? undefined : /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 2048 ? Number(v) : NaN));
      if (list.some((v) => Number.isNaN(v))) return `bad --batch-rows ${argv[i] ?? ''}`;
      batches = list;
    } else if (arg === '--record-timeout-ms') {
      recordTimeoutMs = Number(argv[++i]);
      if (!Number.isInteger(recordTimeoutMs) || recordTimeoutMs <= 0) return `bad --record-timeout-ms ${argv[i] ?? ''}`;
    } else if (arg.startsWith('-')) {
      return `unknown option ${arg}`;
    } else {
      positional.push(arg);
    }
  }
  const learnerThread = argv.includes('--learner-thread') ? { learnerThread: true } : {};
  const configs = paths.flatMap((path) => batches.map((batchRows): EngineConfig => ({ path, ...(batchRows === undefined ? {} : { batchRows }), ...(path === 'row' ? {} : learnerThread) })));
  return { update: argv.includes('--update-expectations'), setupSql, configs, positional, recordTimeoutMs };
}

function describe(config: EngineConfig): string {
  return `engine ${config.path}, batch rows ${config.batchRows ?? 'default'}${config.learnerThread ? ', learner thread' : ''}`;
}

function isDefault(config: EngineConfig): boolean {
  return config.path === 'row' && config.batchRows === undefined;
}

interface ConfigRun {
  readonly config: EngineConfig;
  readonly stats: ScriptStats[];
  readonly newFailures: ExpectedFailure[];
  readonly newPasses: ExpectedFailure[];
  /** Listed failures failing for another reason (checked for configurations other than the default). */
  readonly changed: string[];
  readonly allFailures: ExpectedFailure[];
  readonly slowest: SlowRecord[];
  readonly paths: PathCounts | undefined;
  expectations: Expectations;
}

async function runConfig(config: EngineConfig, scripts: readonly { file: string; records: SltRecord[] }[], options: Options): Promise<ConfigRun> {
  const progress = new Progress(scripts.reduce((n, s) => n + s.records.length, 0));
  const run: ConfigRun = { config, stats: [], newFailures: [], newPasses: [], changed: [], allFailures: [], slowest: [], paths: undefined, expectations: loadExpectations(EXPECTATIONS_PATH) };
  let slowest: SlowRecord[] = [];
  let paths: PathCounts | undefined;
  for (const { file, records } of scripts) {
    progress.startScript(file);
    const result = await runSuiteScript(file, records, () => progress.tick(), options.setupSql, config, options.recordTimeoutMs);
    const failed = result.outcomes.filter((o) => o.failure !== undefined).length;
    run.stats.push({ file, applied: result.outcomes.length, failed, skipped: result.skipped, elapsedMs: result.elapsedMs });
    for (const o of result.outcomes) if (o.failure !== undefined) run.allFailures.push(toExpectedFailure(file, o));
    slowest = [...slowest, ...result.outcomes.map((o) => ({ file, line: o.line, sql: o.sql, elapsedMs: o.elapsedMs }))].sort((a, b) => b.elapsedMs - a.elapsedMs).slice(0, SLOWEST_SHOWN);
    if (result.paths) paths = addPaths(paths, result.paths);
    const d = checkScript(file, result.outcomes, run.expectations);
    run.newFailures.push(...d.newFailures);
    run.newPasses.push(...d.newPasses);
    if (!isDefault(config)) run.changed.push(...d.changedFailures.map((c) => `${file}:${c.listed.line}: listed as "${c.listed.reason}", now "${c.now.reason}"${c.now.detail ? ` (${c.now.detail})` : ''}`));
    if (options.update) run.expectations = replaceScript(run.expectations, file, result.outcomes);
    progress.clear();
    const rate = result.outcomes.length / Math.max(result.elapsedMs / 1000, 1e-3);
    const reads = result.paths ? `; ${describePaths(result.paths)}` : '';
    process.stdout.write(`${file}: ${result.outcomes.length - failed}/${result.outcomes.length} pass, ${failed} fail (${d.newFailures.length} new), ${d.newPasses.length} newly passing, ${result.skipped} skipped; ${(result.elapsedMs / 1000).toFixed(1)} s, ${rate.toFixed(0)} records/s${reads}${result.haltedAtLine ? `; halted at line ${result.haltedAtLine}` : ''}\n`);
  }
  progress.clear();
  return { ...run, slowest, paths };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseArgs(argv);
  if (typeof options === 'string' || argv.includes('--help')) {
    process.stderr.write(`${typeof options === 'string' ? `${options}\n` : ''}${USAGE}\n`);
    return typeof options === 'string' ? 2 : 0;
  }
  const onlyDefault = options.configs.length === 1 && isDefault(options.configs[0]!) && options.setupSql.length === 0;
  if (options.update && !onlyDefault) {
    process.stderr.write('--update-expectations takes no --set, --engine or --batch-rows: the list describes the default configuration, and every other one must match it\n');
    return 2;
  }
  const named = options.positional.map(toSuiteName);
  const files = named.length > 0 ? named : suiteFiles();
  const scripts = files.map((file) => ({ file, records: loadScript(file) }));
  const runs: ConfigRun[] = [];
  for (const config of options.configs) {
    if (options.configs.length > 1 || !isDefault(config)) process.stdout.write(`== ${describe(config)}\n`);
    const run = await runConfig(config, scripts, options);
    runs.push(run);
    printTotals(run);
  }
  const first = runs[0]!;
  // The report describes this run, so it is rewritten only when the run covered the whole suite as is.
  if (named.length === 0 && onlyDefault) {
    writeFailuresReport(FAILURES_MD_PATH, first.stats, first.allFailures, new Date(), first.slowest);
    process.stdout.write(`wrote ${relative(process.cwd(), FAILURES_MD_PATH)}\n`);
  }
  if (options.update) {
    saveExpectations(EXPECTATIONS_PATH, first.expectations);
    process.stdout.write(`wrote ${relative(process.cwd(), EXPECTATIONS_PATH)}\n`);
    return 0;
  }
  let code = 0;
  for (const run of runs) {
    if (runs.length > 1) process.stdout.write(`== ${describe(run.config)}\n`);
    for (const c of run.changed) process.stdout.write(`FAILS DIFFERENTLY ${c}\n`);
    code = Math.max(code, reportDiscrepancies(run.newFailures, run.newPasses, run.expectations), run.changed.length > 0 ? 1 : 0);
  }
  if (runs.length > 1) {
    process.stdout.write('\n| engine | batch rows | records | pass | new failures | newly passing | failing differently | sampled SELECTs: column / fell back / row | seconds |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n');
    for (const run of runs) {
      const applied = run.stats.reduce((n, s) => n + s.applied, 0);
      const failed = run.stats.reduce((n, s) => n + s.failed, 0);
      const seconds = run.stats.reduce((n, s) => n + s.elapsedMs, 0) / 1000;
      const reads = run.paths ? `${run.paths.column} / ${run.paths.fellBack} / ${run.paths.row}` : '-';
      process.stdout.write(`| ${run.config.path} | ${run.config.batchRows ?? 'default'} | ${applied} | ${applied - failed} | ${run.newFailures.length} | ${run.newPasses.length} | ${run.changed.length} | ${reads} | ${seconds.toFixed(1)} |\n`);
    }
  }
  return code;
}

function describePaths(p: PathCounts): string {
  return `sampled SELECTs (1 in ${SAMPLE_EVERY}): ${p.column} column, ${p.fellBack} fell back, ${p.row} row`;
}

function printTotals(run: ConfigRun): void {
  const applied = run.stats.reduce((n, s) => n + s.applied, 0);
  const failed = run.stats.reduce((n, s) => n + s.failed, 0);
  const seconds = run.stats.reduce((n, s) => n + s.elapsedMs, 0) / 1000;
  const rate = applied === 0 ? 'n/a' : `${((100 * (applied - failed)) / applied).toFixed(2)}%`;
  const reads = run.paths ? `; ${describePaths(run.paths)}` : '';
  process.stdout.write(`total: ${applied - failed}/${applied} records pass (${rate}), ${failed} fail, in ${seconds.toFixed(1)} s${reads}\n`);
  for (const r of run.slowest.slice(0, 3)) process.stdout.write(`slow: ${r.elapsedMs.toFixed(0)} ms ${r.file}:${r.line}\n`);
}

function reportDiscrepancies(newFailures: readonly ExpectedFailure[], newPasses: readonly ExpectedFailure[], expectations: Expectations): number {
  const shownMax = 30;
  for (const f of newFailures.slice(0, shownMax)) process.stdout.write(`NEW FAILURE ${f.file}:${f.line}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}\n    ${f.sql}\n`);
  if (newFailures.length > shownMax) process.stdout.write(`... and ${newFailures.length - shownMax} more new failures\n`);
  for (const f of newPasses.slice(0, shownMax)) process.stdout.write(`NOW PASSES ${f.file}:${f.line} (listed as: ${f.reason})\n`);
  if (newPasses.length > shownMax) process.stdout.write(`... and ${newPasses.length - shownMax} more records that now pass\n`);
  if (newFailures.length === 0 && newPasses.length === 0) {
    process.stdout.write(`matches ${relative(process.cwd(), EXPECTATIONS_PATH)} (${expectations.failures.length} listed failures)\n`);
    return 0;
  }
  process.stdout.write('outcome differs from the expectations: fix the engine, or rerun with --update-expectations if the change is intended\n');
  return 1;
}

/** Accepts `select1.test`, `evidence/in1.test`, or a path to a file inside the data folder. */
function toSuiteName(arg: string): string {
  const inData = relative(DATA_DIR, resolve(arg));
  return inData.startsWith('..') ? arg : inData;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} finally {
  await closeWorkers();
}

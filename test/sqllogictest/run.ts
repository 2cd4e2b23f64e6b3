// Command-line sqllogictest runner:
//   npx tsx test/sqllogictest/run.ts [--update-expectations] [files...]
// Runs the scripts (default: the whole suite), prints progress and a summary per script, and exits 1
// when the outcome differs from expected-failures.json in either direction. With --update-expectations
// it rewrites the list for the scripts it ran. A run of the whole suite rewrites FAILURES.md.

import { relative, resolve } from 'node:path';
import { checkScript, loadExpectations, replaceScript, saveExpectations, toExpectedFailure, type ExpectedFailure, type Expectations } from './expectations.ts';
import { DATA_DIR, EXPECTATIONS_PATH, FAILURES_MD_PATH, loadScript, runSuiteScript, suiteFiles } from './suite.ts';
import { writeFailuresReport, type ScriptStats, type SlowRecord } from './report.ts';
import { Progress } from './progress.ts';
import { closeWorkers } from './isolated.ts';

const SLOWEST_SHOWN = 10;
const USAGE = `usage: npx tsx test/sqllogictest/run.ts [--update-expectations] [--set NAME=VALUE]... [files...]
  files: paths relative to the data folder (e.g. select1.test evidence/in1.test) or to the current directory
  --set: run SET NAME = VALUE on each fresh database first (an engine configuration; results must not change)`;

async function main(argv: readonly string[]): Promise<number> {
  const update = argv.includes('--update-expectations');
  const setupSql: string[] = [];
  const positional: string[] = [];
  let bad = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--update-expectations') continue;
    if (arg === '--set') {
      const m = /^([A-Za-z_][\w.]*)=(.*)$/.exec(argv[++i] ?? '');
      if (m) setupSql.push(`SET ${m[1]} = '${(m[2] ?? '').replace(/'/g, "''")}'`);
      else bad = true;
    } else if (arg.startsWith('-')) {
      bad = true;
    } else {
      positional.push(arg);
    }
  }
  if (bad || argv.includes('--help')) {
    process.stderr.write(`${USAGE}\n`);
    return bad ? 2 : 0;
  }
  if (update && setupSql.length > 0) {
    process.stderr.write('--update-expectations takes no --set: the list describes the default configuration\n');
    return 2;
  }
  const named = positional.map(toSuiteName);
  const files = named.length > 0 ? named : suiteFiles();
  const scripts = files.map((file) => ({ file, records: loadScript(file) }));
  const progress = new Progress(scripts.reduce((n, s) => n + s.records.length, 0));
  let expectations = loadExpectations(EXPECTATIONS_PATH);
  const stats: ScriptStats[] = [];
  const newFailures: ExpectedFailure[] = [];
  const newPasses: ExpectedFailure[] = [];
  const allFailures: ExpectedFailure[] = [];
  let slowest: SlowRecord[] = [];

  for (const { file, records } of scripts) {
    progress.startScript(file);
    const result = await runSuiteScript(file, records, () => progress.tick(), setupSql);
    const failed = result.outcomes.filter((o) => o.failure !== undefined).length;
    stats.push({ file, applied: result.outcomes.length, failed, skipped: result.skipped, elapsedMs: result.elapsedMs });
    for (const o of result.outcomes) if (o.failure !== undefined) allFailures.push(toExpectedFailure(file, o));
    slowest = [...slowest, ...result.outcomes.map((o) => ({ file, line: o.line, sql: o.sql, elapsedMs: o.elapsedMs }))].sort((a, b) => b.elapsedMs - a.elapsedMs).slice(0, SLOWEST_SHOWN);
    const d = checkScript(file, result.outcomes, expectations);
    newFailures.push(...d.newFailures);
    newPasses.push(...d.newPasses);
    if (update) expectations = replaceScript(expectations, file, result.outcomes);
    progress.clear();
    const rate = result.outcomes.length / Math.max(result.elapsedMs / 1000, 1e-3);
    process.stdout.write(`${file}: ${result.outcomes.length - failed}/${result.outcomes.length} pass, ${failed} fail (${d.newFailures.length} new), ${d.newPasses.length} newly passing, ${result.skipped} skipped; ${(result.elapsedMs / 1000).toFixed(1)} s, ${rate.toFixed(0)} records/s${result.haltedAtLine ? `; halted at line ${result.haltedAtLine}` : ''}\n`);
  }
  progress.clear();
  printTotals(stats);
  for (const r of slowest.slice(0, 3)) process.stdout.write(`slow: ${r.elapsedMs.toFixed(0)} ms ${r.file}:${r.line}\n`);
  // The report describes this run, so it is rewritten only when the run covered the whole suite as is.
  if (named.length === 0 && setupSql.length === 0) {
    writeFailuresReport(FAILURES_MD_PATH, stats, allFailures, new Date(), slowest);
    process.stdout.write(`wrote ${relative(process.cwd(), FAILURES_MD_PATH)}\n`);
  }
  if (update) {
    saveExpectations(EXPECTATIONS_PATH, expectations);
    process.stdout.write(`wrote ${relative(process.cwd(), EXPECTATIONS_PATH)}\n`);
    return 0;
  }
  return reportDiscrepancies(newFailures, newPasses, expectations);
}

function printTotals(stats: readonly ScriptStats[]): void {
  const applied = stats.reduce((n, s) => n + s.applied, 0);
  const failed = stats.reduce((n, s) => n + s.failed, 0);
  const seconds = stats.reduce((n, s) => n + s.elapsedMs, 0) / 1000;
  const rate = applied === 0 ? 'n/a' : `${((100 * (applied - failed)) / applied).toFixed(2)}%`;
  process.stdout.write(`total: ${applied - failed}/${applied} records pass (${rate}), ${failed} fail, in ${seconds.toFixed(1)} s\n`);
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

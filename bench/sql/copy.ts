// Bulk load of TPC-H lineitem: duetdb's `COPY lineitem FROM '<file>' (FORMAT tbl)` against better-sqlite3
// reading the same file and inserting its rows in one transaction through a prepared INSERT, same run.
// Run: npx tsx bench/sql/copy.ts [--tbl FILE] [--rounds 3] [--out sql-copy]
// (a larger file: npx tsx bench/tpch/dbgen.ts, see bench/tpch/README.md)
// Writes bench/results/<out>.md and <out>.svg (default sql-copy; the SF 0.1 file's report is sql-copy-sf0.1).

import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Database } from '../../query/database.ts';
import { fmt, machineLine, median, numberOption, option, pkgVersion, progressTo, Sqlite, saveReport, sqliteVersion } from './common.ts';

const DATA_DIR = '/work/shared/data/tpch';
const tbl = resolve(option('tbl', join(DATA_DIR, 'sf0.01', 'lineitem.tbl')));
const rounds = numberOption('rounds', 3);
/** Report name under bench/results (a larger --tbl gets its own report next to the default one). */
const out = option('out', 'sql-copy');
const progress = progressTo('sql copy bench');
/** While one long statement runs, a line every this often says it is still going. */
const HEARTBEAT_MS = 5000;
/** How often the resident memory is sampled during the duetdb COPY. */
const RSS_SAMPLE_MS = 200;

/** The lineitem CREATE TABLE of the shared TPC-H schema (both engines get the same definition). */
function lineitemDdl(): string {
  const schema = readFileSync(join(DATA_DIR, 'schema.sql'), 'utf8');
  const m = /CREATE TABLE lineitem \([^;]*\);/i.exec(schema);
  if (!m) throw new Error(`no CREATE TABLE lineitem in ${DATA_DIR}/schema.sql`);
  return m[0];
}

async function withHeartbeat<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const timer = setInterval(() => progress(`  ${what}: ${((performance.now() - started) / 1000).toFixed(0)} s so far ...`), HEARTBEAT_MS);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

/** duetdb: rows/s of one COPY into a fresh database (the statement commits durably before it returns). */
async function duetLoad(dir: string, ddl: string): Promise<{ rows: number; rate: number; peakRssBytes: number }> {
  const db = await Database.open(dir, { learner: false });
  // The whole COPY is one transaction whose write set lives in memory until commit: record the peak.
  let peakRssBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())), RSS_SAMPLE_MS);
  try {
    await db.query(ddl);
    const started = performance.now();
    const r = await withHeartbeat('duetdb COPY', () => db.query(`COPY lineitem FROM '${tbl.replace(/'/g, "''")}' (FORMAT tbl)`));
    const seconds = (performance.now() - started) / 1000;
    return { rows: r.rowCount, rate: r.rowCount / seconds, peakRssBytes: Math.max(peakRssBytes, process.memoryUsage.rss()) };
  } finally {
    clearInterval(sampler);
    await db.close();
  }
}

/**
 * SQLite: the same file read line by line, split on '|', inserted in one transaction by a prepared
 * statement (WAL, synchronous=FULL: one durable commit at the end, like the COPY). Reading and splitting
 * are timed too, as COPY does both; `insertRate` counts only the time inside the transaction's inserts.
 */
async function sqliteLoad(file: string, ddl: string): Promise<{ rows: number; rate: number; insertRate: number }> {
  const db = new Sqlite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(ddl);
    const started = performance.now();
    const insert = db.prepare(`INSERT INTO lineitem VALUES (${Array.from({ length: 16 }, () => '?').join(', ')})`);
    let rows = 0;
    let insertMs = 0;
    db.exec('BEGIN');
    const lines = createInterface({ input: createReadStream(tbl, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      const fields = line.endsWith('|') ? line.slice(0, -1).split('|') : line.split('|');
      const t = performance.now();
      insert.run(...fields);
      insertMs += performance.now() - t;
      rows++;
    }
    const t = performance.now();
    db.exec('COMMIT');
    insertMs += performance.now() - t;
    const seconds = (performance.now() - started) / 1000;
    return { rows, rate: rows / seconds, insertRate: rows / (insertMs / 1000) };
  } finally {
    db.close();
  }
}

interface Round {
  readonly duet: number;
  readonly sqlite: number;
  readonly sqliteInsert: number;
  readonly duetPeakRssBytes: number;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = machineLine();
  const ddl = lineitemDdl();
  const scratch = mkdtempSync(join(tmpdir(), 'duet-bench-sql-copy-'));
  progress(`${tbl} (${(statSync(tbl).size / 2 ** 20).toFixed(1)} MiB), ${rounds} rounds; scratch ${scratch}`);
  const results: Round[] = [];
  let rowCount = 0;
  for (let round = 0; round < rounds; round++) {
    progress(`round ${round + 1}/${rounds}: SQLite ...`);
    const lite = await sqliteLoad(join(scratch, `r${round}.sqlite`), ddl);
    progress(`  SQLite: ${fmt(lite.rows)} rows, ${fmt(lite.rate)} rows/s (inserts alone ${fmt(lite.insertRate)} rows/s)`);
    progress(`round ${round + 1}/${rounds}: duetdb COPY ...`);
    const duet = await duetLoad(join(scratch, `r${round}-duet`), ddl);
    progress(`  duetdb: ${fmt(duet.rows)} rows, ${fmt(duet.rate)} rows/s (${(duet.rate / lite.rate).toFixed(2)}x)`);
    if (duet.rows !== lite.rows) throw new Error(`row counts differ: duetdb ${duet.rows}, SQLite ${lite.rows}`);
    rowCount = duet.rows;
    results.push({ duet: duet.rate, sqlite: lite.rate, sqliteInsert: lite.insertRate, duetPeakRssBytes: duet.peakRssBytes });
    rmSync(join(scratch, `r${round}-duet`), { recursive: true, force: true });
  }
  rmSync(scratch, { recursive: true, force: true });
  writeReport(startedAt, machine(), rowCount, results);
}

function writeReport(startedAt: Date, machine: string, rowCount: number, results: Round[]): void {
  const ratio = median(results.map((r) => r.duet / r.sqlite));
  const insertRatio = median(results.map((r) => r.duet / r.sqliteInsert));
  const defaultTbl = tbl === join(DATA_DIR, 'sf0.01', 'lineitem.tbl');
  const md = [
    '# SQL bulk load (COPY) vs SQLite',
    '',
    `Run ${startedAt.toISOString()} with \`npx tsx bench/sql/copy.ts${defaultTbl ? '' : ` --tbl ${tbl}`} --rounds ${rounds}${out === 'sql-copy' ? '' : ` --out ${out}`}\`.`,
    '',
    `- Machine: ${machine}.`,
    `- Versions: duetdb (classic-level ${pkgVersion('classic-level')}); better-sqlite3 ${pkgVersion('better-sqlite3')} (SQLite ${sqliteVersion()}, WAL, synchronous=FULL).`,
    `- Data: TPC-H lineitem, \`${tbl}\`, ${fmt(rowCount)} rows (${(statSync(tbl).size / 2 ** 20).toFixed(1)} MiB); the table definition of \`${DATA_DIR}/schema.sql\` in both engines (16 columns, primary key (l_orderkey, l_linenumber)).`,
    '- duetdb: `COPY lineitem FROM \'<file>\' (FORMAT tbl)` through `db.query` into a fresh database with the learner off: one statement, one transaction, committed durably. ' +
      'SQLite: the same file read line by line and split on `|` in JavaScript, rows inserted by a prepared INSERT inside one transaction (BEGIN ... COMMIT). Both timed from start of reading to commit.',
    `- ${rounds} rounds (SQLite, then duetdb, each into a fresh database); medians over rounds; ratio = median of the per-round ratios.`,
    '',
    '| loader | rows/s | ratio |',
    '|---|---:|---:|',
    `| SQLite, read + split + prepared INSERT in one transaction | ${fmt(median(results.map((r) => r.sqlite)))} | 1.00x |`,
    `| duetdb COPY (FORMAT tbl) | ${fmt(median(results.map((r) => r.duet)))} | ${ratio.toFixed(2)}x |`,
    `| (SQLite counting only the time inside its INSERTs and COMMIT) | ${fmt(median(results.map((r) => r.sqliteInsert)))} | duetdb ${insertRatio.toFixed(2)}x of it |`,
    '',
    'Per round (rows/s):',
    '',
    '| round | SQLite | duetdb COPY | ratio |',
    '|---:|---:|---:|---:|',
    ...results.map((r, i) => `| ${i + 1} | ${fmt(r.sqlite)} | ${fmt(r.duet)} | ${(r.duet / r.sqlite).toFixed(2)}x |`),
    '',
    `Peak resident memory of the process during duetdb's COPY (median over rounds): ${(median(results.map((r) => r.duetPeakRssBytes)) / 2 ** 20).toFixed(0)} MiB (${fmt(median(results.map((r) => r.duetPeakRssBytes)) / rowCount)} bytes per row: the write set of the one transaction is held until commit).`,
    '',
    `Goal: COPY at least 0.25x SQLite: ${ratio >= 0.25 ? 'met' : 'not met'} (${ratio.toFixed(3)}x; against SQLite's inserts alone ${insertRatio.toFixed(2)}x).`,
    '',
    `![chart](${out}.svg)`,
    '',
  ].join('\n');
  saveReport(out, md, 'COPY lineitem vs SQLite one-transaction load (ratio, higher is better)', [
    { label: 'vs SQLite read+insert', value: ratio },
    { label: 'vs SQLite inserts alone', value: insertRatio },
  ], progress);
}

await main();

// Point SELECT by primary key through SQL: duetdb's db.prepare (with $1) and db.query with a literal key
// (a different literal each call: the literal-template plan cache), against better-sqlite3's prepared
// statement on the same rows, in the same run.
// Run: npx tsx bench/sql/point.ts [--rows 100000] [--reads 30000] [--rounds 3]
// Writes bench/results/sql-point.md and bench/results/sql-point.svg.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../query/database.ts';
import { fmt, machineLine, median, numberOption, pkgVersion, progressTo, quantile, seededKeys, Sqlite, saveReport, sqliteVersion, type SqliteDb } from './common.ts';

const rows = numberOption('rows', 100_000);
const reads = numberOption('reads', 30_000);
const rounds = numberOption('rounds', 3);
const progress = progressTo('sql point bench');
const INSERT_BATCH_ROWS = 1000;
/** Reads timed one by one for the latency percentiles (per engine, after the throughput rounds). */
const LATENCY_READS = Math.min(reads, 20_000);

const payloadOf = (i: number): string => `payload-${i}-${'x'.repeat(60)}`;

/** One way of reading a row by key; returns the row's id (checked against the key). */
type Reader = (id: number) => Promise<number> | number;

interface Engine {
  readonly name: string;
  readonly read: Reader;
}

async function loadDuet(db: Database): Promise<void> {
  await db.query('CREATE TABLE items (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, payload TEXT)');
  for (let from = 0; from < rows; from += INSERT_BATCH_ROWS) {
    const values: string[] = [];
    for (let i = from; i < Math.min(rows, from + INSERT_BATCH_ROWS); i++) values.push(`(${i}, ${i % 1000}, '${payloadOf(i)}')`);
    await db.query(`INSERT INTO items VALUES ${values.join(',')}`);
    if ((from / INSERT_BATCH_ROWS) % 20 === 0) progress(`  duetdb: ${fmt(from)} / ${fmt(rows)} rows loaded`);
  }
}

function loadSqlite(file: string): SqliteDb {
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, payload TEXT)');
  const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(i, i % 1000, payloadOf(i));
  })();
  return db;
}

/** Reads every key in order; ops/s. Awaits only when the reader returns a promise. */
async function throughput(read: Reader, keys: Int32Array): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const r = read(keys[i]!);
    const id = typeof r === 'number' ? r : await r;
    if (id !== keys[i]) throw new Error(`read ${keys[i]} returned row ${id}`);
  }
  return keys.length / ((performance.now() - started) / 1000);
}

async function latenciesMs(read: Reader, keys: Int32Array): Promise<Float64Array> {
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const started = performance.now();
    const r = read(keys[i]!);
    if (typeof r !== 'number') await r;
    out[i] = performance.now() - started;
  }
  return out;
}

interface Measured {
  readonly name: string;
  readonly perRound: number[];
  readonly ratios: number[];
  p50Ms: number;
  p99Ms: number;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = machineLine();
  const scratch = mkdtempSync(join(tmpdir(), 'duet-bench-sql-point-'));
  progress(`scratch ${scratch}; ${fmt(rows)} rows, ${fmt(reads)} reads per engine per round, ${rounds} rounds`);
  progress('loading SQLite ...');
  const lite = loadSqlite(join(scratch, 'point.sqlite'));
  progress('loading duetdb (multi-row INSERTs of 1,000 rows) ...');
  const db = await Database.open(join(scratch, 'duet'), { learner: false });
  await loadDuet(db);

  const lookup = db.store.begin();
  const table = lookup.getTable('items')!;
  lookup.rollback();
  const select = lite.prepare('SELECT id, k, payload FROM items WHERE id = ?').raw();
  const prepared = db.prepare('SELECT id, k, payload FROM items WHERE id = $1');
  const engines: Engine[] = [
    { name: 'SQLite prepared', read: (id) => (select.get(id) as [number])[0] },
    { name: 'duetdb db.prepare + $1', read: async (id) => (await prepared.query([id])).rows[0]![0] as number },
    { name: 'duetdb db.query, literal key', read: async (id) => (await db.query(`SELECT id, k, payload FROM items WHERE id = ${id}`)).rows[0]![0] as number },
    // not SQL: one general row-store transaction per read, for scale (an autocommit point SELECT skips its
    // begin/commit: it reads through RowStore.snapshotReader)
    { name: 'duetdb row store alone: begin, txn.get, commit', read: async (id) => {
      const txn = db.store.begin();
      const row = txn.get(table, [id]);
      await txn.commit();
      return row?.[0] as number;
    } },
  ];
  progress('warm-up (JIT, caches): 5,000 reads per engine ...');
  for (const e of engines) await throughput(e.read, seededKeys(rows, 5000, 42));

  const measured: Measured[] = engines.map((e) => ({ name: e.name, perRound: [], ratios: [], p50Ms: NaN, p99Ms: NaN }));
  for (let round = 0; round < rounds; round++) {
    const keys = seededKeys(rows, reads, 1000 + round);
    const rates: number[] = [];
    for (const e of engines) rates.push(await throughput(e.read, keys));
    rates.forEach((rate, i) => {
      measured[i]!.perRound.push(rate);
      measured[i]!.ratios.push(rate / rates[0]!);
    });
    progress(`round ${round + 1}/${rounds}: ${engines.map((e, i) => `${e.name} ${fmt(rates[i]!)}/s`).join(', ')}`);
  }
  progress(`latency: ${fmt(LATENCY_READS)} reads timed one by one per engine ...`);
  const latencyKeys = seededKeys(rows, LATENCY_READS, 7);
  for (let i = 0; i < engines.length; i++) {
    const samples = await latenciesMs(engines[i]!.read, latencyKeys);
    measured[i]!.p50Ms = quantile(samples, 0.5);
    measured[i]!.p99Ms = quantile(samples, 0.99);
  }
  lite.close();
  await db.close();
  rmSync(scratch, { recursive: true, force: true });
  writeReport(startedAt, machine(), measured);
}

function writeReport(startedAt: Date, machine: string, measured: Measured[]): void {
  const [lite, prep, literal, floor] = measured as [Measured, Measured, Measured, Measured];
  const ratioOf = (m: Measured): number => median(m.ratios);
  const goals = [
    { what: 'db.prepare at least 0.5x SQLite', ratio: ratioOf(prep), goal: 0.5 },
    { what: 'db.query with literals at least 0.25x SQLite', ratio: ratioOf(literal), goal: 0.25 },
  ];
  const md = [
    '# SQL point SELECT by primary key vs SQLite',
    '',
    `Run ${startedAt.toISOString()} with \`npx tsx bench/sql/point.ts --rows ${rows} --reads ${reads} --rounds ${rounds}\`.`,
    '',
    `- Machine: ${machine}.`,
    `- Versions: duetdb (classic-level ${pkgVersion('classic-level')}, node-sql-parser ${pkgVersion('node-sql-parser')}); better-sqlite3 ${pkgVersion('better-sqlite3')} (SQLite ${sqliteVersion()}, file database, WAL).`,
    `- Data: table \`items (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, payload TEXT)\`, ${fmt(rows)} rows of about 80 bytes, the same rows in both engines.`,
    '- Query: `SELECT id, k, payload FROM items WHERE id = <key>`, random keys from a fixed seed, one statement at a time, each result checked. ' +
      'duetdb through its public library API with the learner off (row path): `db.prepare(sql).query([key])` and `db.query(sql)` with the key as a literal ' +
      '(every call a new text: the literal-template plan cache serves it); SQLite through a prepared statement (`.raw().get(key)`).',
    `- Throughput: ${rounds} interleaved rounds of ${fmt(reads)} reads per engine after a warm-up; medians over rounds; ratio = median of the per-round ratios to SQLite. ` +
      `Latency: ${fmt(LATENCY_READS)} reads timed one by one per engine.`,
    '',
    '| reader | reads/s | ratio to SQLite | p50 latency | p99 latency |',
    '|---|---:|---:|---:|---:|',
    ...measured.map((m) => `| ${m.name} | ${fmt(median(m.perRound))} | ${ratioOf(m).toFixed(2)}x | ${(m.p50Ms * 1000).toFixed(1)} µs | ${(m.p99Ms * 1000).toFixed(1)} µs |`),
    '',
    'Per round (reads/s):',
    '',
    `| round | ${measured.map((m) => m.name).join(' | ')} |`,
    `|---:|${measured.map(() => '---:').join('|')}|`,
    ...lite.perRound.map((_, r) => `| ${r + 1} | ${measured.map((m) => fmt(m.perRound[r]!)).join(' | ')} |`),
    '',
    `The last row is not SQL: one general row-store transaction per read (begin, \`txn.get\`, commit), for scale (${ratioOf(floor).toFixed(2)}x SQLite in this run); an autocommit point SELECT does without its begin and commit (one reused snapshot reader, \`RowStore.snapshotReader\`).`,
    '',
    'Goals:',
    '',
    ...goals.map((g) => `- ${g.what}: ${g.ratio >= g.goal ? 'met' : 'not met'} (${g.ratio.toFixed(3)}x).`),
    '',
    '![chart](sql-point.svg)',
    '',
  ].join('\n');
  saveReport('sql-point', md, 'SQL point SELECT vs SQLite prepared (ratio, higher is better)', [
    { label: 'db.prepare + $1', value: ratioOf(prep) },
    { label: 'db.query, literal key', value: ratioOf(literal) },
    { label: 'row store alone (no SQL)', value: ratioOf(floor) },
  ], progress);
}

await main();

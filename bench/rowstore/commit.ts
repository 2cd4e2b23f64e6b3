// Row-store benchmark: durable single-row insert transactions (1/16/64 sessions) and primary-key point
// reads through the Txn API, each against better-sqlite3 (the anchor) measured in the same run.
// Run: npx tsx bench/rowstore/commit.ts [--seconds 3] [--rows 100000]
// Writes bench/results/rowstore.md and bench/results/rowstore.svg.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types } from '../../oltp/types.ts';
import { barChartSvg } from './svg.ts';

// better-sqlite3 ships no type declarations (and @types/better-sqlite3 is not installed): the few calls used, typed here.
interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  raw(): SqliteStatement;
}
interface SqliteDb {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  transaction(fn: () => void): () => void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDb;

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seconds = arg('seconds', 3);
const readRows = arg('rows', 100_000);
const readsPerRun = arg('reads', 300_000);
const resultsDir = join(import.meta.dirname, '..', 'results');
const scratch = mkdtempSync(join(tmpdir(), 'duet-bench-rowstore-'));

function progress(msg: string): void {
  process.stderr.write(`[rowstore bench] ${msg}\n`);
}

function pkgVersion(name: string): string {
  return (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const itemsTable = {
  name: 'items',
  columns: [
    { name: 'id', type: Types.integer, notNull: true },
    { name: 'payload', type: Types.text, notNull: false },
  ],
  primaryKey: [0],
};
const payload = 'x'.repeat(100);

/** Durable single-row insert transactions from `sessions` concurrent sessions for `seconds`. */
async function duetCommits(sessions: number): Promise<number> {
  const dir = join(scratch, `commit-${sessions}`);
  const store = await RowStore.open(dir);
  const setup = store.begin();
  const t = await setup.createTable(itemsTable);
  await setup.commit();
  let next = 0;
  let done = 0;
  const endAt = performance.now() + seconds * 1000;
  const startAt = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      while (performance.now() < endAt) {
        const txn = store.begin();
        await txn.insert(t, [next++, payload]);
        await txn.commit();
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - startAt) / 1000);
  await store.close();
  return rate;
}

function sqliteDb(name: string): SqliteDb {
  const db = new Database(join(scratch, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT)');
  return db;
}

/** SQLite autocommit inserts, each commit synced (WAL, synchronous=FULL). One connection: SQLite serializes writers anyway. */
function sqliteCommits(): number {
  const db = sqliteDb('commit.sqlite');
  const insert = db.prepare('INSERT INTO items (id, payload) VALUES (?, ?)');
  let done = 0;
  const startAt = performance.now();
  const endAt = startAt + seconds * 1000;
  while (performance.now() < endAt) insert.run(done++, payload);
  const rate = done / ((performance.now() - startAt) / 1000);
  db.close();
  return rate;
}

function shuffledIds(n: number, count: number): Int32Array {
  const ids = new Int32Array(count);
  let s = 987654321;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    ids[i] = s % n;
  }
  return ids;
}

async function duetReads(): Promise<{ inTxn: number; perTxn: number }> {
  const store = await RowStore.open(join(scratch, 'reads'));
  const setup = store.begin();
  const t = await setup.createTable(itemsTable);
  for (let i = 0; i < readRows; i++) await setup.insert(t, [i, payload]);
  await setup.commit();
  const ids = shuffledIds(readRows, readsPerRun);
  // warm-up (JIT, LevelDB block cache)
  const warm = store.begin();
  for (let i = 0; i < 20_000; i++) warm.get(t, [ids[i]!]);
  warm.rollback();

  const txn = store.begin();
  let found = 0;
  let startAt = performance.now();
  for (let i = 0; i < ids.length; i++) if (txn.get(t, [ids[i]!])) found++;
  const inTxn = ids.length / ((performance.now() - startAt) / 1000);
  txn.rollback();
  if (found !== ids.length) throw new Error('point reads missed rows');

  startAt = performance.now();
  for (let i = 0; i < ids.length; i++) {
    const r = store.begin();
    r.get(t, [ids[i]!]);
    await r.commit();
  }
  const perTxn = ids.length / ((performance.now() - startAt) / 1000);
  await store.close();
  return { inTxn, perTxn };
}

function sqliteReads(): number {
  const db = sqliteDb('reads.sqlite');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare('INSERT INTO items (id, payload) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < readRows; i++) insert.run(i, payload);
  })();
  const select = db.prepare('SELECT id, payload FROM items WHERE id = ?').raw();
  const ids = shuffledIds(readRows, readsPerRun);
  for (let i = 0; i < 20_000; i++) select.get(ids[i]);
  const startAt = performance.now();
  let found = 0;
  for (let i = 0; i < ids.length; i++) if (select.get(ids[i])) found++;
  const rate = ids.length / ((performance.now() - startAt) / 1000);
  if (found !== ids.length) throw new Error('sqlite point reads missed rows');
  db.close();
  return rate;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const started = new Date();
  progress(`scratch dir ${scratch}; ${seconds}s per commit run, ${readRows} rows / ${readsPerRun} reads for point reads`);
  progress('SQLite durable commits...');
  const sqliteCommit = sqliteCommits();
  progress(`  SQLite: ${fmt(sqliteCommit)} commits/s`);
  const commitRows: { sessions: number; duet: number }[] = [];
  for (const sessions of [1, 16, 64]) {
    progress(`duetdb durable commits, ${sessions} sessions...`);
    const duet = await duetCommits(sessions);
    commitRows.push({ sessions, duet });
    progress(`  duetdb ${sessions} sessions: ${fmt(duet)} commits/s (${(duet / sqliteCommit).toFixed(2)}x SQLite)`);
  }
  progress('point reads: SQLite...');
  const sqliteRead = sqliteReads();
  progress(`  SQLite: ${fmt(sqliteRead)} reads/s`);
  progress('point reads: duetdb...');
  const duetRead = await duetReads();
  progress(`  duetdb: ${fmt(duetRead.inTxn)} reads/s in one transaction, ${fmt(duetRead.perTxn)} reads/s with a transaction per read`);

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, Node ${process.version}, ${process.platform}`;
  const versions = `duetdb row store on classic-level ${pkgVersion('classic-level')}; better-sqlite3 ${pkgVersion('better-sqlite3')} (SQLite ${(new Database(':memory:').prepare('select sqlite_version() v').get() as { v: string }).v})`;
  const commit64 = commitRows.find((r) => r.sessions === 64)!.duet;
  const md = [
    '# Row store benchmark',
    '',
    `Run ${started.toISOString()} with \`npx tsx bench/rowstore/commit.ts --seconds ${seconds} --rows ${readRows} --reads ${readsPerRun}\`.`,
    '',
    `- Machine: ${machine}`,
    `- Versions: ${versions}`,
    `- Data: rows of (integer id, 100-character text); commit runs last ${seconds} s each; point reads over ${fmt(readRows)} rows, ${fmt(readsPerRun)} random keys.`,
    '- Durability: duetdb commits return after a synced LevelDB batch (group commit); SQLite runs WAL with synchronous=FULL, autocommit, one connection (SQLite serializes writers, so more connections do not add commit throughput).',
    '',
    '## Durable single-row insert transactions',
    '',
    '| sessions | duetdb commits/s | SQLite commits/s | ratio |',
    '|---:|---:|---:|---:|',
    ...commitRows.map((r) => `| ${r.sessions} | ${fmt(r.duet)} | ${fmt(sqliteCommit)} | ${(r.duet / sqliteCommit).toFixed(2)}x |`),
    '',
    `Goal: at 64 sessions at least 10x SQLite: ${commit64 / sqliteCommit >= 10 ? 'met' : 'not met'} (${(commit64 / sqliteCommit).toFixed(1)}x).`,
    '',
    '## Point reads by primary key',
    '',
    '| reader | reads/s | ratio to SQLite |',
    '|---|---:|---:|',
    `| SQLite prepared \`SELECT ... WHERE id = ?\` | ${fmt(sqliteRead)} | 1.00x |`,
    `| duetdb \`txn.get\` inside one transaction | ${fmt(duetRead.inTxn)} | ${(duetRead.inTxn / sqliteRead).toFixed(2)}x |`,
    `| duetdb begin + \`get\` + commit per read | ${fmt(duetRead.perTxn)} | ${(duetRead.perTxn / sqliteRead).toFixed(2)}x |`,
    '',
    `Goal: at least 0.5x SQLite: ${duetRead.inTxn / sqliteRead >= 0.5 ? 'met' : 'not met'}.`,
    '',
    '![chart](rowstore.svg)',
    '',
  ].join('\n');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'rowstore.md'), md);
  writeFileSync(
    join(resultsDir, 'rowstore.svg'),
    barChartSvg('duetdb row store vs SQLite (ratio, higher is better)', [
      ...commitRows.map((r) => ({ label: `commits, ${r.sessions} sessions`, value: r.duet / sqliteCommit })),
      { label: 'point reads (in txn)', value: duetRead.inTxn / sqliteRead },
      { label: 'point reads (txn per read)', value: duetRead.perTxn / sqliteRead },
    ]),
  );
  progress(`wrote ${join(resultsDir, 'rowstore.md')} and rowstore.svg`);
  process.stdout.write(md);
  rmSync(scratch, { recursive: true, force: true });
}

await main();

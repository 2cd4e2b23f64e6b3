// CPU per TPC-B transaction in the SQL layer alone (no wire protocol): pgbench's tpcb-like statements,
// literals inlined as pgbench's simple protocol sends them, run through Session.query by N concurrent
// sessions in one process. The difference from bench/pgbench/cpu.ts is what the protocol costs.
// Usage: npx tsx bench/pgbench/sql-cpu.ts [--txns 3000] [--sessions 8] [--prof FILE.cpuprofile]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../query/database.ts';
import { arg, hasArg } from '../args.ts';

const txnsTotal = Number(arg('txns', '3000'));
const sessionsCount = Number(arg('sessions', '8'));
const prof = hasArg('prof') ? arg('prof', '') : undefined;
const accounts = 100_000;

/** Deterministic pseudo-random numbers (the workload is the same in every run). */
let seed = 12345;
const random = (lo: number, hi: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return lo + (seed % (hi - lo + 1));
};

async function load(db: Database): Promise<void> {
  const s = db.session();
  await s.query('CREATE TABLE pgbench_branches (bid INT PRIMARY KEY, bbalance INT, filler CHAR(88))');
  await s.query('CREATE TABLE pgbench_tellers (tid INT PRIMARY KEY, bid INT, tbalance INT, filler CHAR(84))');
  await s.query('CREATE TABLE pgbench_accounts (aid INT PRIMARY KEY, bid INT, abalance INT, filler CHAR(84))');
  await s.query('CREATE TABLE pgbench_history (tid INT, bid INT, aid INT, delta INT, mtime TIMESTAMP, filler CHAR(22))');
  await s.query('INSERT INTO pgbench_branches VALUES (1, 0, NULL)');
  for (let t = 1; t <= 10; t++) await s.query(`INSERT INTO pgbench_tellers VALUES (${t}, 1, 0, NULL)`);
  for (let a = 1; a <= accounts; a += 1000) {
    const rows: string[] = [];
    for (let k = a; k < a + 1000; k++) rows.push(`(${k}, 1, 0, '')`);
    await s.query(`INSERT INTO pgbench_accounts VALUES ${rows.join(',')}`);
  }
  await s.close();
}

async function transaction(s: Session): Promise<void> {
  const aid = random(1, accounts);
  const tid = random(1, 10);
  const delta = random(-5000, 5000);
  for (;;) {
    try {
      await s.query('BEGIN;');
      await s.query(`UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`);
      await s.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`);
      await s.query(`UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid};`);
      await s.query(`UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = 1;`);
      await s.query(`INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, 1, ${aid}, ${delta}, CURRENT_TIMESTAMP);`);
      await s.query('END;');
      return;
    } catch (e) {
      if (s.inTransaction) await s.query('ROLLBACK');
      if ((e as { code?: string }).code !== '40001') throw e;
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'duet-sql-cpu-'));
const db = await Database.open(dir, { learner: false });
try {
  await load(db);
  const sessions = Array.from({ length: sessionsCount }, () => db.session());
  // warm-up: caches, JIT
  await Promise.all(sessions.map(async (s) => { for (let i = 0; i < 50; i++) await transaction(s); }));
  const inspector = new Inspector();
  if (prof) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const before = process.cpuUsage();
  const startMs = performance.now();
  let left = txnsTotal;
  await Promise.all(sessions.map(async (s) => { while (left-- > 0) await transaction(s); }));
  const cpu = process.cpuUsage(before);
  const wallMs = performance.now() - startMs;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`${txnsTotal} transactions, ${sessionsCount} sessions: CPU ${cpuMs.toFixed(0)} ms = ${(cpuMs / txnsTotal).toFixed(3)} ms per transaction; wall ${(wallMs / 1000).toFixed(1)} s = ${(txnsTotal / (wallMs / 1000)).toFixed(0)} tps`);
  if (prof) {
    const { profile } = (await inspector.post('Profiler.stop')) as { profile: object };
    writeFileSync(prof, JSON.stringify(profile));
    console.log(`profile: ${prof} (summary: npx tsx bench/rowstore/profile-summary.ts ${prof})`);
    inspector.disconnect();
  }
  for (const s of sessions) await s.close();
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

// CPU ms per run and a .cpuprofile per query for several TPC-H queries in one process (an SF 1 database takes
// minutes to open, so one open serves them all); learner in-process, column path; --one-thread keeps the helper
// out (duet.parallel_min_blocks very high) so the profile sees all the work. Profiles go to --out-dir.
// Run: npx tsx bench/tpch-run/profile-many.ts --db DIR --queries 6,14,12,19 [--runs 3] [--one-thread] [--out-dir /tmp]
import { readFileSync, writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import { join } from 'node:path';
import { Database } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { TPCH_SHARED } from './data.ts';
import { arg, hasArg } from '../args.ts';

const t0 = performance.now();
const dbDir = arg('db', '');
if (dbDir === '') throw new Error('--db DIR (a loaded TPC-H database, e.g. from bench/router/tpch-cpu.ts) is required');
const db = await Database.open(dbDir, { learner: { worker: false } });
console.log('open ms', (performance.now() - t0).toFixed(0));
await learnerOf(db.store)!.caughtUp();
console.log('caughtUp ms', (performance.now() - t0).toFixed(0));
await learnerOf(db.store)!.compact();
console.log('compact ms', (performance.now() - t0).toFixed(0));
const s = db.session();
await s.query("SET duet.engine = 'column'");
if (hasArg('one-thread')) await s.query('SET duet.parallel_min_blocks = 1000000');
const inspector = new Inspector();
inspector.connect();
await inspector.post('Profiler.enable');
for (const q of arg('queries', '6').split(',').map(Number)) {
  const sql = readFileSync(join(TPCH_SHARED, 'queries', `q${String(q).padStart(2, '0')}.sql`), 'utf8');
  await s.query(sql);
  await inspector.post('Profiler.start');
  const cpu: number[] = [];
  for (let i = 0; i < Number(arg('runs', '3')); i++) { const c = process.cpuUsage(); await s.query(sql); const d = process.cpuUsage(c); cpu.push((d.user + d.system) / 1000); }
  const { profile } = await inspector.post('Profiler.stop');
  writeFileSync(join(arg('out-dir', '/tmp'), `duet-q${q}.cpuprofile`), JSON.stringify(profile));
  console.log(`Q${q} cpu ms`, cpu.map((x) => x.toFixed(0)).join(' '));
}
await s.close();
await db.close();

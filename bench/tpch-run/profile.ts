// Profiling helper: runs one TPC-H query on the column path a few times, the learner in-process so one
// CPU profile covers the learner scan and the executor. Loads SF data into --db DIR once, then reuses it.
// Run: npx tsx bench/tpch-run/profile.ts --sf 0.1 --query 17 --db /tmp/duet-prof-db [--out /tmp/q17.cpuprofile]
// The profile (inspector Profiler, open it in Chrome DevTools) covers only the query runs, not the load.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Database } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { ensureTpchData, loadDuet, log, TPCH_SHARED } from './data.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const sf = Number(arg('sf', '0.1'));
const query = Number(arg('query', '17'));
const runs = Number(arg('runs', '3'));
const dbDir = arg('db', join(tmpdir(), `duet-prof-sf${sf}`));

const db = await Database.open(dbDir, { learner: { worker: false } });
if (!existsSync(join(dbDir, 'bench-loaded.json'))) {
  const { dir } = await ensureTpchData(sf, arg('cache', join(tmpdir(), 'duet-tpch-cache')));
  await loadDuet(db, dir, sf, 100_000);
  writeFileSync(join(dbDir, 'bench-loaded.json'), '{}');
}
await learnerOf(db.store)!.caughtUp();
await learnerOf(db.store)!.compact();
const sql = readFileSync(join(TPCH_SHARED, 'queries', `q${String(query).padStart(2, '0')}.sql`), 'utf8');
const s = db.session();
await s.query("SET duet.engine = 'column'");
const inspector = new Inspector();
inspector.connect();
await inspector.post('Profiler.enable');
await inspector.post('Profiler.start');
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = await s.query(sql);
  log(`Q${query} column path: ${(performance.now() - t).toFixed(0)} ms, ${r.rows.length} rows`);
}
const { profile } = await inspector.post('Profiler.stop');
const out = arg('out', join(tmpdir(), `duet-q${query}.cpuprofile`));
writeFileSync(out, JSON.stringify(profile));
log(`profile: ${out}`);
await s.close();
await db.close();

// CPU time per TPC-H query on the column path, the learner in-process (process.cpuUsage covers the scan and
// the executor, and stays meaningful on a loaded shared machine where wall-clock times swing 3-5x).
// A/B of plan changes: run it against a snapshot of the tree without the change (`--root DIR`), alternating.
// Run: npx tsx bench/router/tpch-cpu.ts [--queries 7,17] [--runs 7] [--root DIR] [--db /tmp/duet-cpu-sf0.1] [--explain]
// The database is loaded once into --db (SF 0.1 from the bench/tpch-run cache) and reused by later runs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { TPCH_SHARED } from '../tpch-run/data.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
// dynamic imports so the same script measures another checkout of the engine (--root)
const root = resolve(arg('root', join(import.meta.dirname, '..', '..')));
const { Database } = await import(join(root, 'query/database.ts')) as typeof import('../../query/database.ts');
const { learnerOf } = await import(join(root, 'olap/learner/index.ts')) as typeof import('../../olap/learner/index.ts');
const { ensureTpchData, loadDuet } = await import(join(root, 'bench/tpch-run/data.ts')) as typeof import('../tpch-run/data.ts');

const sf = Number(arg('sf', '0.1'));
const runs = Number(arg('runs', '7'));
const queries = arg('queries', Array.from({ length: 22 }, (_, i) => i + 1).join(',')).split(',').map(Number);
const dbDir = arg('db', join(tmpdir(), `duet-cpu-sf${sf}`));

const db = await Database.open(dbDir, { learner: { worker: false } });
if (!existsSync(join(dbDir, 'bench-loaded.json'))) {
  const { dir } = await ensureTpchData(sf, join(tmpdir(), 'duet-tpch-cache'));
  await loadDuet(db, dir, sf, 100_000);
  writeFileSync(join(dbDir, 'bench-loaded.json'), '{}');
}
await learnerOf(db.store)!.caughtUp();
await learnerOf(db.store)!.compact();
const s = db.session();
await s.query("SET duet.engine = 'column'");
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const cpuLog: number[] = [];
for (const q of queries) {
  const sql = readFileSync(join(TPCH_SHARED, 'queries', `q${String(q).padStart(2, '0')}.sql`), 'utf8');
  if (args.includes('--explain')) process.stdout.write((await s.query(`EXPLAIN ${sql}`)).rows.map((r) => String(r[0])).join('\n') + '\n');
  await s.query(sql); // warm-up: JIT, plan cache
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.query(sql);
    wallMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  cpuLog.push(median(cpuMs));
  // interference from other work only ever adds CPU time (caches, frequency): the lowest is the steadiest
  process.stdout.write(`Q${q}: cpu ${median(cpuMs).toFixed(1)} ms (lowest ${Math.min(...cpuMs).toFixed(1)}), wall ${median(wallMs).toFixed(1)} ms (medians of ${runs})\n`);
}
const geo = Math.exp(cpuLog.reduce((a, x) => a + Math.log(x), 0) / cpuLog.length);
process.stdout.write(`geomean cpu ${geo.toFixed(1)} ms over ${queries.length} queries (root ${root})\n`);
await s.close();
await db.close();

// CPU per statement of the router's choice against the forced row path on the row-labelled statements (points,
// short ranges, tiny tables), where routing itself is most of auto's cost: µs of process CPU (learner thread included).
// Run: npx tsx bench/router/cpu.ts [--sf 0.01] [--iters 2000] [--rounds 3] [--only L10,L16] [--cache /tmp/duet-tpch-cache]
// (where the time goes: node --import tsx --cpu-prof bench/router/cpu.ts --only L10,L16)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { LABELLED, LABELLED_SETUP } from '../../test/router/labelled.ts';
import { ensureTpchData, loadDuet, log, TPCH_SHARED } from '../tpch-run/data.ts';
import { median } from '../tpch-run/time.ts';
import { arg } from '../args.ts';

const sf = Number(arg('sf', '0.01'));
const iters = Number(arg('iters', '2000'));
const rounds = Number(arg('rounds', '3'));
const cacheDir = arg('cache', join(tmpdir(), 'duet-tpch-cache'));
/** Labelled names to run (default: every row-labelled statement). */
const only = arg('only', '').split(',').filter((n) => n !== '');

/** µs of process CPU (and of wall time) per run of `sql` over `n` runs. */
async function perRunUs(s: Session, sql: string, n: number, wallUs: number[]): Promise<number> {
  const before = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await s.query(sql);
  wallUs.push(((performance.now() - t0) * 1000) / n);
  const d = process.cpuUsage(before);
  return (d.user + d.system) / n;
}

async function main(): Promise<void> {
  // the shared sf0.01 files need no generation
  const dataDir = sf === 0.01 ? join(TPCH_SHARED, 'sf0.01') : (await ensureTpchData(sf, cacheDir)).dir;
  const dbDir = mkdtempSync(join(tmpdir(), 'duet-bench-router-cpu-'));
  const db = await Database.open(dbDir, { learner: true });
  try {
    await loadDuet(db, dataDir, sf, 100_000);
    for (const q of LABELLED_SETUP) await db.query(q);
    const learner = learnerOf(db.store)!;
    await learner.caughtUp();
    await learner.compact();
    const auto = db.session();
    const row = db.session();
    await row.query("SET duet.engine = 'row'");
    log(`router cpu: sf ${sf}, ${iters} runs per way per round, ${rounds} rounds (medians), µs CPU per statement`);
    console.log('| | query | row µs CPU | auto µs CPU | auto / row CPU | row / auto µs wall |\n|---|---|---|---|---|---|');
    const ratios: number[] = [];
    for (const [i, [label, sql]] of LABELLED.entries()) {
      if (label !== 'row' || (only.length > 0 && !only.includes(`L${i + 1}`))) continue;
      const n = Math.max(20, Math.round(iters / (sql.includes('lineitem') && !/=\s*\d+$/.test(sql) ? 10 : 1)));
      for (const s of [auto, row]) for (let k = 0; k < 50; k++) await s.query(sql); // warm caches, plan and shape
      const rowUs: number[] = [];
      const autoUs: number[] = [];
      const rowWallUs: number[] = [];
      const autoWallUs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // alternate which way goes first: load and GC hit both alike
        if (r % 2 === 0) { rowUs.push(await perRunUs(row, sql, n, rowWallUs)); autoUs.push(await perRunUs(auto, sql, n, autoWallUs)); }
        else { autoUs.push(await perRunUs(auto, sql, n, autoWallUs)); rowUs.push(await perRunUs(row, sql, n, rowWallUs)); }
      }
      const ratio = median(autoUs) / median(rowUs);
      ratios.push(ratio);
      console.log(`| L${i + 1} | \`${sql}\` | ${median(rowUs).toFixed(0)} | ${median(autoUs).toFixed(0)} | ${ratio.toFixed(2)}x | ${median(rowWallUs).toFixed(0)} / ${median(autoWallUs).toFixed(0)} |`);
    }
    const geo = Math.exp(ratios.reduce((a, b) => a + Math.log(b), 0) / ratios.length);
    console.log(`\nauto / row CPU: geomean ${geo.toFixed(2)}x, worst ${Math.max(...ratios).toFixed(2)}x over ${ratios.length} statements`);
    await auto.close();
    await row.close();
  } finally {
    await db.close();
    rmSync(dbDir, { recursive: true, force: true });
  }
}

await main();

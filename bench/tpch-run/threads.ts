// The column path with one thread vs two (the learner plus its helper, olap/parallel) on TPC-H: the same
// database and session settings but `duet.parallel_min_blocks`, runs interleaved (1, 2, 1, 2, ...) so the
// shared machine's load hits both alike; medians of wall time; both answers must be equal.
// Run: npx tsx bench/tpch-run/threads.ts --sf 0.1 [--queries 1,6] [--rounds 7] [--db DIR] [--out tpch-sf0.1-threads]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { PARALLEL_MIN_BLOCKS_DEFAULT } from '../../olap/parallel/settings.ts';
import { ensureTpchData, loadDuet, log, TPCH_SHARED } from './data.ts';
import { geomean, median } from './time.ts';
import { arg } from '../args.ts';

const args = process.argv.slice(2);
const sf = Number(arg('sf', '0.1'));
const rounds = Number(arg('rounds', '7'));
const queries = arg('queries', Array.from({ length: 22 }, (_, i) => i + 1).join(',')).split(',').map(Number);
const keepDbDir = arg('db', '');
const outName = arg('out', `tpch-sf${sf}-threads`);
const command = `npx tsx bench/tpch-run/threads.ts ${args.join(' ')}`.trim();

async function session(db: Database, minBlocks: number): Promise<Session> {
  const s = db.session();
  await s.query("SET duet.engine = 'column'");
  await s.query(`SET duet.parallel_min_blocks = ${minBlocks}`);
  return s;
}

/** Wall time and the process's CPU time (every thread: main, learner, helper) of one run. */
async function timed(s: Session, sql: string): Promise<{ ms: number; cpuMs: number; rows: unknown[][] }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = (await s.query(sql)).rows;
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, rows };
}

/** Blocks of the scans the plan shared with the helper, and the helper's part (EXPLAIN ANALYZE's `workers=2 helper read=N`). */
async function helperShare(s: Session, sql: string): Promise<{ blocks: number; helper: number } | undefined> {
  const plan = (await s.query(`EXPLAIN ANALYZE ${sql}`)).rows.map((r) => String(r[0]));
  let blocks = 0;
  let helper = 0;
  for (const l of plan) {
    const m = /blocks read=(\d+) skipped=\d+ workers=2 helper read=(\d+)/.exec(l);
    if (!m) continue;
    blocks += Number(m[1]);
    helper += Number(m[2]);
  }
  return blocks === 0 ? undefined : { blocks, helper };
}

async function main(): Promise<void> {
  const { dir: dataDir } = await ensureTpchData(sf, join(tmpdir(), 'duet-tpch-cache'));
  const dbDir = keepDbDir || mkdtempSync(join(tmpdir(), 'duet-bench-threads-'));
  const loadedFile = join(dbDir, 'bench-loaded.json');
  const reused = keepDbDir !== '' && existsSync(loadedFile);
  if (keepDbDir) mkdirSync(keepDbDir, { recursive: true });
  const db = await Database.open(dbDir, { learner: true });
  const learner = learnerOf(db.store)!;
  if (!reused) {
    await loadDuet(db, dataDir, sf, 100_000);
    writeFileSync(loadedFile, '{}');
  }
  await learner.caughtUp();
  await learner.compact();
  // the helper thread boots a couple of seconds after the learner
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const one = await session(db, Number.MAX_SAFE_INTEGER);
  const two = await session(db, PARALLEL_MIN_BLOCKS_DEFAULT);
  const lines: string[] = [];
  const ratios: number[] = [];
  const oneAll: number[] = [];
  const twoAll: number[] = [];
  const load0 = loadavg()[0]!;
  for (const n of queries) {
    const sql = readFileSync(join(TPCH_SHARED, 'queries', `q${String(n).padStart(2, '0')}.sql`), 'utf8');
    const shared = await helperShare(two, sql);
    // a warm-up of each, then interleaved rounds
    const a0 = await timed(one, sql);
    const b0 = await timed(two, sql);
    const equal = JSON.stringify(a0.rows, big) === JSON.stringify(b0.rows, big);
    const t1: number[] = [];
    const t2: number[] = [];
    const c1: number[] = [];
    const c2: number[] = [];
    const runOne = async () => { const t = await timed(one, sql); t1.push(t.ms); c1.push(t.cpuMs); };
    const runTwo = async () => { const t = await timed(two, sql); t2.push(t.ms); c2.push(t.cpuMs); };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) { await runOne(); await runTwo(); } else { await runTwo(); await runOne(); }
    }
    const m1 = median(t1);
    const m2 = median(t2);
    oneAll.push(m1);
    twoAll.push(m2);
    ratios.push(m1 / m2);
    const share = shared ? `${shared.helper} of ${shared.blocks}` : 'not shared';
    const line = `| Q${n} | ${m1.toFixed(1)} | ${m2.toFixed(1)} | ${(m1 / m2).toFixed(2)}x | ${median(c1).toFixed(1)} | ${median(c2).toFixed(1)} | ${share} | ${equal ? 'yes' : '**NO**'} |`;
    lines.push(line);
    log(line);
  }
  const load1 = loadavg()[0]!;
  const report = [
    `# TPC-H SF ${sf}: column path on one thread vs two`, '',
    `Command: \`${command}\`. Machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}; load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end.`,
    `One thread: \`SET duet.parallel_min_blocks = ${Number.MAX_SAFE_INTEGER}\`; two: the default (${PARALLEL_MIN_BLOCKS_DEFAULT}). Wall-clock and CPU-time (whole process: main, learner and helper threads) medians of ${rounds} interleaved runs after one warm-up each; "helper read" = blocks of the split scans the helper read in one EXPLAIN ANALYZE run (the learner read the rest).`, '',
    '| query | 1 thread (ms) | 2 threads (ms) | speed-up | CPU 1 thread (ms) | CPU 2 threads (ms) | helper read (blocks) | same answer |', '|---|---|---|---|---|---|---|---|',
    ...lines, '',
    `Geometric means: 1 thread ${geomean(oneAll).toFixed(1)} ms, 2 threads ${geomean(twoAll).toFixed(1)} ms (${(geomean(oneAll) / geomean(twoAll)).toFixed(2)}x).`, '',
  ].join('\n');
  writeFileSync(join(import.meta.dirname, '..', 'results', `${outName}.md`), report);
  log(report);
  await one.close();
  await two.close();
  await db.close();
}

function big(_: string, v: unknown): unknown {
  return typeof v === 'bigint' ? String(v) : v;
}

await main();

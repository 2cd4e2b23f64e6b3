// The router against the measured faster path: every labelled query (test/router/labelled.ts) plus the 22
// TPC-H queries, timed forced row, forced column and on auto (the router's choice), on a TPC-H database.
// Run: NODE_OPTIONS=--max-old-space-size=8192 npx tsx bench/router/run.ts [--sf 0.1] [--runs 5] [--fast-ms 2000]
//      [--timeout-s 120] [--no-tpch] [--cache /tmp/duet-tpch-cache] [--out router]
// Writes bench/results/<out>.md and bench/results/<out>.svg (default router.md, router.svg).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { LABELLED, LABELLED_SETUP } from '../../test/router/labelled.ts';
import { ensureTpchData, loadDuet, log, TPCH_SHARED } from '../tpch-run/data.ts';
import { machineLine, samplesLine, startSampler } from '../tpch-run/machine.ts';
import { fmtMs, median, timeQuery, type Timing } from '../tpch-run/time.ts';
import { logBarsSvg } from '../tpch-run/svg.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const sf = Number(arg('sf', '0.1'));
const runs = Number(arg('runs', '7'));
const fastMs = Number(arg('fast-ms', '2000'));
const timeoutMs = Number(arg('timeout-s', '120')) * 1000;
/** Ways slower than fastMs but under this still run 3 interleaved rounds (the column path of a heavy query). */
const slowMs = Number(arg('slow-ms', '15000'));
const withTpch = !args.includes('--no-tpch');
const cacheDir = arg('cache', join(tmpdir(), 'duet-tpch-cache'));
const resultsDir = join(import.meta.dirname, '..', 'results');
const outName = arg('out', 'router');
const command = `npx tsx bench/router/run.ts ${args.join(' ')}`.trim();

type Path = 'row' | 'column';
interface Case { readonly name: string; readonly sql: string; readonly label: Path | undefined }
interface Measured extends Case {
  row?: Timing; column?: Timing; auto?: Timing;
  chosen: Path; rowCost: number; columnCost: number; explain: string;
  /** Median CPU ms (this process, learner thread included) per way, over the interleaved rounds. */
  cpu: Partial<Record<Path | 'auto', number>>;
  /** Median over rounds of auto / the forced run of the path auto chose, in the same round (wall and CPU). */
  pairedWall?: number; pairedCpu?: number;
}

async function once(s: Session, sql: string, cancelAfterMs: number): Promise<void> {
  const timer = setTimeout(() => s.cancel(), cancelAfterMs);
  try {
    await s.query(sql);
  } finally {
    clearTimeout(timer);
  }
}

let learnerForSettle: { status(): Promise<unknown> } | undefined;

/**
 * Untimed, before each timed run: the learner thread has answered everything sent so far and the event loop had a
 * turn. Without it the tail of a forced column run (the learner releasing its read, its answer's last messages)
 * lands in the next run's wall and CPU time; with the rotating order that was auto's run 2 rounds in 3, which on
 * sub-millisecond point reads weighed as much as the read itself.
 */
async function settle(): Promise<void> {
  await learnerForSettle?.status().catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1));
}

/** `path: column (cost 3.3e+3; row 6.0e+4)` → the path and both estimates. */
function parseExplain(line: string): { chosen: Path; rowCost: number; columnCost: number } {
  const m = /^path: (row|column) \(cost ([0-9.e+-]+|Infinity); (row|column) ([0-9.e+-]+|Infinity)\)/.exec(line);
  if (!m) throw new Error(`unexpected EXPLAIN line: ${line}`);
  const chosen = m[1] as Path;
  const own = Number(m[2]);
  const other = Number(m[4]);
  return { chosen, rowCost: chosen === 'row' ? own : other, columnCost: chosen === 'column' ? own : other };
}

/**
 * Times the three ways. Each runs once first (warm-up; a timeout or a run over `fastMs` is the result). Then
 * rounds interleave the ways (the order rotating each round): every way under `fastMs` runs `runs` rounds,
 * and auto always runs in the same rounds as the path it chose (so auto is never one noisy run against a
 * median, nor the reverse); ways under `slowMs` run at least 3 rounds. Medians of wall and CPU time; auto's
 * overhead is also taken per round against its own path's forced run (paired: load hits both alike).
 */
async function measure(sessions: Record<Path | 'auto', Session>, c: Case): Promise<Measured> {
  const { chosen, rowCost, columnCost } = parseExplain(String((await sessions.auto.query(`EXPLAIN ${c.sql}`)).rows[0]![0]));
  const m: Measured = { ...c, chosen, rowCost, columnCost, explain: '', cpu: {} };
  const engines = ['row', 'column', 'auto'] as const;
  const first = async (engine: Path | 'auto'): Promise<Timing> => (await timeQuery((ms) => once(sessions[engine], c.sql, ms), { runs: 0, fastMs, timeoutMs })).timing;
  for (const engine of engines) {
    // auto runs the path it chose: when the forced run of that path timed out, auto would too
    const same = engine === 'auto' ? m[chosen] : undefined;
    m[engine] = same?.timedOut ? same : await first(engine);
  }
  const roundsOf = (e: Path | 'auto'): number => {
    const t = m[e]!;
    if (t.timedOut) return 0;
    return t.ms < fastMs ? runs : t.ms < slowMs ? Math.min(3, runs) : 0;
  };
  const want = new Map(engines.map((e) => [e, roundsOf(e)]));
  const pair = Math.max(want.get('auto')!, want.get(chosen)!);
  if (pair > 0 && !m[chosen]!.timedOut) { want.set('auto', pair); want.set(chosen, pair); }
  const wall = new Map(engines.map((e) => [e, [] as number[]]));
  const cpu = new Map(engines.map((e) => [e, [] as number[]]));
  const pairedWall: number[] = [];
  const pairedCpu: number[] = [];
  const maxRounds = Math.max(...want.values());
  for (let round = 0; round < maxRounds; round++) {
    const here = engines.filter((e) => want.get(e)! > round);
    // rotate the order each round: a run pays for garbage the previous one left (GC), whoever that was
    for (const e of [...here.slice(round % here.length), ...here.slice(0, round % here.length)]) {
      await settle();
      const c0 = process.cpuUsage();
      const t = performance.now();
      await once(sessions[e], c.sql, timeoutMs);
      wall.get(e)!.push(performance.now() - t);
      const used = process.cpuUsage(c0);
      cpu.get(e)!.push((used.user + used.system) / 1000);
    }
    if (here.includes('auto') && here.includes(chosen)) {
      pairedWall.push(wall.get('auto')!.at(-1)! / wall.get(chosen)!.at(-1)!);
      pairedCpu.push(cpu.get('auto')!.at(-1)! / cpu.get(chosen)!.at(-1)!);
    }
  }
  for (const e of engines) {
    const n = wall.get(e)!.length;
    if (n === 0) continue;
    m[e] = { ms: median(wall.get(e)!), runs: n, timedOut: false };
    m.cpu[e] = median(cpu.get(e)!);
  }
  if (pairedWall.length > 0) { m.pairedWall = median(pairedWall); m.pairedCpu = median(pairedCpu); }
  return m;
}

async function main(): Promise<void> {
  const sampler = startSampler();
  const t0 = performance.now();
  const { dir: dataDir } = await ensureTpchData(sf, cacheDir);
  const dbDir = mkdtempSync(join(tmpdir(), 'duet-bench-router-'));
  const db = await Database.open(dbDir, { learner: true });
  await loadDuet(db, dataDir, sf, 100_000);
  for (const q of LABELLED_SETUP) await db.query(q);
  const learner = learnerOf(db.store)!;
  learnerForSettle = learner;
  await learner.caughtUp();
  await learner.compact();
  log('router bench: loaded, learner caught up and compacted');

  const sessions = { row: db.session(), column: db.session(), auto: db.session() };
  await sessions.row.query("SET duet.engine = 'row'");
  await sessions.column.query("SET duet.engine = 'column'");
  const cases: Case[] = LABELLED.map(([label, sql], i) => ({ name: `L${i + 1}`, sql, label }));
  if (withTpch) {
    for (let n = 1; n <= 22; n++) cases.push({ name: `Q${n}`, sql: readFileSync(join(TPCH_SHARED, 'queries', `q${String(n).padStart(2, '0')}.sql`), 'utf8'), label: undefined });
  }
  const out: Measured[] = [];
  for (const [k, c] of cases.entries()) {
    const m = await measure(sessions, c);
    out.push(m);
    const elapsedS = (performance.now() - t0) / 1000;
    log(`${c.name}: row ${fmtMs(m.row)}, column ${fmtMs(m.column)}, auto (${m.chosen}) ${fmtMs(m.auto)}  [${k + 1}/${cases.length}, ${elapsedS.toFixed(0)} s, ETA ${((elapsedS / (k + 1)) * (cases.length - k - 1)).toFixed(0)} s]`);
  }
  for (const s of Object.values(sessions)) await s.close();
  await db.close();
  rmSync(dbDir, { recursive: true, force: true });
  const md = report(out, samplesLine(sampler.stop()), (performance.now() - t0) / 1000);
  writeFileSync(join(resultsDir, `${outName}.md`), md);
  writeFileSync(join(resultsDir, `${outName}.svg`), logBarsSvg(`Router, TPC-H SF ${sf}: forced row, forced column, auto (log scale)`, out.map((m) => ({
    label: `${m.name} ${m.sql.replace(/\s+/g, ' ').slice(0, 34)}`,
    bars: [
      { name: 'row (forced)', ms: m.row!.ms, over: m.row!.timedOut },
      { name: 'column (forced)', ms: m.column!.ms, over: m.column!.timedOut },
      { name: 'auto (router)', ms: m.auto!.ms, over: m.auto!.timedOut },
    ],
  }))));
  process.stdout.write(md);
}

const faster = (m: Measured): Path => (m.row!.ms <= m.column!.ms ? 'row' : 'column');
const best = (m: Measured): number => Math.min(m.row!.ms, m.column!.ms);

function report(ms: readonly Measured[], samplesText: string, totalS: number): string {
  const right = ms.filter((m) => m.chosen === faster(m));
  const within = ms.filter((m) => m.auto!.ms <= 1.5 * best(m));
  const worst = [...ms].sort((a, b) => b.auto!.ms / best(b) - a.auto!.ms / best(a))[0]!;
  const chosenTime = ms.map((m) => m[m.chosen]!.ms / best(m));
  // CPU time (this process, learner thread included) is what load from other work disturbs least
  const bestCpu = (m: Measured): number | undefined => (m.cpu.row !== undefined && m.cpu.column !== undefined ? Math.min(m.cpu.row, m.cpu.column) : m.cpu[m.chosen]);
  const cpuKnown = ms.filter((m) => m.cpu.auto !== undefined && bestCpu(m) !== undefined);
  const cpuWithin = cpuKnown.filter((m) => m.cpu.auto! <= 1.5 * bestCpu(m)!);
  const paired = ms.filter((m) => m.pairedCpu !== undefined);
  const pairedWorst = [...paired].sort((a, b) => b.pairedWall! - a.pairedWall!)[0];
  const fmtX = (x: number | undefined): string => (x === undefined ? '' : `${x.toFixed(2)}x`);
  const labelled = ms.filter((m) => m.label !== undefined);
  const labelRight = labelled.filter((m) => m.label === faster(m));
  const md = (s: string): string => s.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return [
    `# Router: its choice vs the measured faster path (TPC-H SF ${sf})`,
    '',
    `Machine: ${machineLine()}. During the run: ${samplesText}. Whole run ${(totalS / 60).toFixed(1)} min.`,
    `Command: \`NODE_OPTIONS=--max-old-space-size=8192 ${command}\`. Data: our generator (bench/tpch), SF ${sf}, loaded with COPY, learner caught up and compacted; indexes ${LABELLED_SETUP.map((s) => `\`${s}\``).join(', ')}.`,
    `Queries: the ${LABELLED.length} labelled queries of test/router/labelled.ts (L1-L${LABELLED.length}, label = the path the test expects)${ms.some((m) => m.label === undefined) ? ' and the 22 TPC-H queries (Q1-Q22)' : ''}.`,
    `Timing: per query forced row (\`SET duet.engine = 'row'\`), forced column and auto, each once (warm-up), then those under ${fastMs} ms ${runs} more rounds interleaved row, column, auto, the order rotating each round, those under ${slowMs} ms 3 rounds, auto always in the same rounds as the path it chose (medians of wall and CPU time; the machine is shared, interleaving spreads its load over the three); slower ones: the single run; cancelled after ${timeoutMs / 1000} s. Estimates are EXPLAIN's first line on auto, in "rows read from the row store".`,
    '',
    '## Summary',
    '',
    `- Router chose the measured faster path: ${right.length} / ${ms.length} (${((right.length / ms.length) * 100).toFixed(0)}%; goal >= 90%: ${right.length / ms.length >= 0.9 ? 'met' : 'missed'}).`,
    `- Router's time within 1.5x of the best path: ${within.length} / ${ms.length} (goal: all; ${within.length === ms.length ? 'met' : 'missed'}); worst ${worst.name} at ${(worst.auto!.ms / best(worst)).toFixed(2)}x (auto ${fmtMs(worst.auto)} vs best ${fmtMs({ ms: best(worst), runs: 0, timedOut: false })}).`,
    `- Forced time of the chosen path vs the best (no auto noise): worst ${Math.max(...chosenTime).toFixed(2)}x; within 1.5x on ${chosenTime.filter((x) => x <= 1.5).length} / ${ms.length}.`,
    `- Router's CPU time within 1.5x of the best path's CPU time (medians; row and column both measured in rounds, or the chosen path alone when the other was too slow to repeat): ${cpuWithin.length} / ${cpuKnown.length}${cpuKnown.length > cpuWithin.length ? ` (not: ${cpuKnown.filter((m) => !cpuWithin.includes(m)).map((m) => m.name).join(', ')})` : ''}.`,
    `- Routing overhead, paired per round (auto / the forced run of the same path in the same round, median over rounds): ${paired.length} queries; wall median ${fmtX(median(paired.map((m) => m.pairedWall!)))}, CPU median ${fmtX(median(paired.map((m) => m.pairedCpu!)))}; worst wall ${pairedWorst ? `${pairedWorst.name} ${fmtX(pairedWorst.pairedWall)}` : 'n/a'}; above 1.5x (wall): ${paired.filter((m) => m.pairedWall! > 1.5).map((m) => m.name).join(', ') || 'none'}.`,
    `- The test's labels agree with the measured faster path on ${labelRight.length} / ${labelled.length} labelled queries${labelRight.length < labelled.length ? ` (not on ${labelled.filter((m) => m.label !== faster(m)).map((m) => m.name).join(', ')})` : ''}.`,
    '',
    '## Per query',
    '',
    '| | query | label | row est. | column est. | chosen | row | column | auto | faster | auto / best | CPU ms row / column / auto | auto / own path, paired (wall, CPU) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...ms.map((m) => `| ${m.name} | ${m.label === undefined ? `TPC-H Q${m.name.slice(1)}` : `\`${md(m.sql)}\``} | ${m.label ?? ''} | ${m.rowCost.toExponential(1)} | ${m.columnCost.toExponential(1)} | ${m.chosen}${m.chosen === faster(m) ? '' : ' ✗'} | ${fmtMs(m.row)} | ${fmtMs(m.column)} | ${fmtMs(m.auto)} | ${faster(m)} | ${(m.auto!.ms / best(m)).toFixed(2)}x | ${(['row', 'column', 'auto'] as const).map((e) => (m.cpu[e] === undefined ? '-' : m.cpu[e]!.toFixed(1))).join(' / ')} | ${m.pairedWall === undefined ? '' : `${fmtX(m.pairedWall)}, ${fmtX(m.pairedCpu)}`} |`),
    '',
  ].join('\n');
}

await main();

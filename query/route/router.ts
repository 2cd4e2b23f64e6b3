// The router: per SELECT, the row path or the column path. Rules first (own writes, SERIALIZABLE,
// no learner, a forced engine), then the cheaper of the two estimates (cost.ts). A run that the plan and the
// row store alone send to rows (quick.ts) asks the learner nothing; EXPLAIN always works out both estimates.
import type { Txn } from '../../oltp/api.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { learnerOf, learnerStarting, type LearnerReplica } from '../../olap/learner/index.ts';
import type { PlanNode } from '../../olap/exec/spec.ts';
import type { Value } from '../../oltp/types.ts';
import type { ScanNode } from '../../olap/exec/spec.ts';
import { rowScanSource } from '../run/scan.ts';
import { estimateCosts, lagCost, PROBE_CAP_ROWS, scansOf, type RowAccessShape } from './cost.ts';
import { parseChoice, type EngineChoice } from './hint.ts';
import { LEARNER_WAIT_MS_DEFAULT } from './wait.ts';
import { knownStats, learnerStats } from './stats.ts';
import { countRows, rowCostBelowColumn } from './quick.ts';
import { memoKey, RouteMemo } from './memo.ts';

export type Path = 'row' | 'column';

export interface RouteDecision {
  readonly path: Path;
  /** Both estimates; NaN when the decision did not need them (never for EXPLAIN, which prints them). */
  readonly rowCost: number;
  readonly columnCost: number;
  /**
   * Why: 'cost', 'forced', 'own writes', 'serializable', 'no learner', 'no scans', 'learner not answering',
   * 'learner N ms behind'.
   */
  readonly reason: string;
  readonly replica: LearnerReplica | undefined;
  /** The bound on the column path's wait for the learner (auto only; a forced column path waits as asked). */
  readonly waitMs?: number;
}

export interface RouteInput {
  readonly store: RowStore;
  readonly txn: Txn;
  readonly root: PlanNode;
  /** The hint of the statement, if any; otherwise the session setting `duet.engine`. */
  readonly hint: EngineChoice | undefined;
  readonly setting: string | undefined;
  /** The statement's parameter values (key-range bounds may be parameters). */
  readonly params: readonly Value[];
  /** `SET duet.learner_wait_ms` (wait.ts); unset: LEARNER_WAIT_MS_DEFAULT. */
  readonly learnerWaitMs?: number;
  /** EXPLAIN: work out both estimates even when a rule or the plan alone decides (its first line prints them). */
  readonly explain?: boolean;
}


/** How long a statement that reads a whole table waits for a learner that is still starting. */
const LEARNER_START_WAIT_MS = 5000;

/**
 * The running learner, or, while it is still starting (it loads its Parquet segments in the background after
 * `Database.open`), the learner once started, for a statement that could take the column path and reads a whole
 * table: without the wait the first analytical statements after an open (a `duet -c` one-shot: all of them) would
 * always scan the row store. Point reads and key ranges are row-path work; they never wait.
 */
async function currentReplica(input: RouteInput, choice: EngineChoice): Promise<LearnerReplica | undefined> {
  const ready = learnerOf(input.store);
  if (ready || choice === 'row' || input.txn.hasWrites || input.txn.isolation === 'serializable') return ready;
  const pending = learnerStarting(input.store);
  const wholeTable = scansOf(input.root).some((s) => {
    const a = s.access as RowAccessShape | undefined;
    return !a || a.full === true;
  });
  if (!pending || !wholeTable) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LEARNER_START_WAIT_MS);
  });
  try {
    return await Promise.race([pending.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function route(input: RouteInput): Promise<RouteDecision> {
  const choice = input.hint ?? (input.setting !== undefined ? parseChoice(input.setting, 'duet.engine') : 'auto');
  if (input.explain) return routeWithEstimates(input, choice);
  const counted = new Map<ScanNode, number>();
  const quick = await routeWithoutLearner(input, choice, counted);
  if (quick !== undefined) return quick;
  const decision = await routeWithEstimates(input, choice, counted);
  // only the estimates' own choice is kept: a lagging or silent learner is looked at again next time
  if (choice === 'auto' && decision.reason === 'cost') keep(input, choice, decision);
  return decision;
}

/**
 * Decisions on `auto` kept per plan and parameters (memo.ts): quick ones that counted rows or used the learner's
 * counts, and the estimates' choice (which waited for a status or counted a range up to PROBE_CAP_ROWS).
 */
const memo = new RouteMemo<RouteDecision>();

function keep(input: RouteInput, choice: EngineChoice, decision: RouteDecision): void {
  const ready = learnerOf(input.store);
  const gen = (ready === undefined ? undefined : knownStats(ready))?.gen ?? -1;
  memo.set(input.root, memoKey(choice, input.learnerWaitMs ?? LEARNER_WAIT_MS_DEFAULT, input.params), gen, input.store, decision);
}

/**
 * The row path when the statement's transaction, a forced `row` or the plan alone decide it, without asking the
 * learner anything (no status, no wait for it to start): a point read, short key range or tiny table costs less
 * on rows than the column path's fixed costs whatever the learner would say. undefined: the estimates decide.
 */
async function routeWithoutLearner(input: RouteInput, choice: EngineChoice, counted: Map<ScanNode, number>): Promise<RouteDecision | undefined> {
  const row = (reason: string, rowCost = NaN): RouteDecision => ({ path: 'row', rowCost, columnCost: NaN, reason, replica: undefined });
  if (input.txn.hasWrites) return row('own writes');
  if (input.txn.isolation === 'serializable') return row('serializable');
  if (choice === 'row') return row('forced');
  if (choice !== 'auto') return undefined;
  const ready = learnerOf(input.store);
  if (ready === undefined ? learnerStarting(input.store) === undefined : ready.failure !== undefined) return row('no learner');
  const scans = scansOf(input.root);
  if (scans.length === 0) return row('no scans');
  const known = ready === undefined ? undefined : knownStats(ready);
  const pointsOnly = scans.every((s) => (s.access as RowAccessShape | undefined)?.point === true);
  // a plan of point reads costs nothing to decide; others counted rows or used the learner's counts: keep them
  const key = pointsOnly ? '' : memoKey(choice, input.learnerWaitMs ?? LEARNER_WAIT_MS_DEFAULT, input.params);
  const gen = known?.gen ?? -1;
  const kept = pointsOnly ? undefined : memo.get(input.root, key, gen, input.store);
  // a column decision holds only for the learner it was made for, still running
  if (kept?.path === 'row') return kept;
  if (kept && kept.replica === ready && ready !== undefined && ready.failure === undefined) {
    void learnerStats(ready, 0); // the column path talks to the learner anyway: keep its stats (and generation) fresh
    return kept;
  }
  const quick = await rowCostBelowColumn(scans, input.txn, input.params, (t) => known?.rows.get(t), counted);
  if (quick === undefined) return undefined;
  // the counts of a whole table came from the learner's last status: refresh them in the background when stale
  if (ready && !pointsOnly && quick.usedCounts) void learnerStats(ready, 0);
  const decision = row('cost', quick.rowCost);
  if (!pointsOnly) keep(input, choice, decision);
  return decision;
}

/**
 * The rules and both estimates, asking the learner its row counts and lag (waiting for them at most `waitMs`);
 * `counted` holds key ranges the quick path already counted (not counted again).
 */
async function routeWithEstimates(input: RouteInput, choice: EngineChoice, counted: ReadonlyMap<ScanNode, number> = new Map()): Promise<RouteDecision> {
  const replica = await currentReplica(input, choice);
  const usable = replica !== undefined && replica.failure === undefined;
  const waitMs = input.learnerWaitMs ?? LEARNER_WAIT_MS_DEFAULT;
  const known = usable ? await learnerStats(replica, waitMs) : undefined;
  const rows = known?.stats.rows ?? new Map<string, number>();
  const ranges = usable ? await probeRanges(input, counted) : undefined;
  const estimate = estimateCosts(input.root, (t) => rows.get(t), ranges);
  // a learner behind has those entries to apply before it can answer
  const costs = { ...estimate, column: estimate.column + lagCost(known?.stats.lagEntries ?? 0) };
  const decide = (path: Path, reason: string): RouteDecision => ({ path, rowCost: costs.row, columnCost: costs.column, reason, replica: path === 'column' ? replica : undefined, ...(path === 'column' && reason !== 'forced' ? { waitMs } : {}) });
  // correctness rules: these hold whatever is forced
  if (input.txn.hasWrites) return decide('row', 'own writes');
  if (input.txn.isolation === 'serializable') return decide('row', 'serializable');
  if (!usable) return decide('row', 'no learner');
  if (costs.scans === 0) return decide('row', 'no scans');
  // a learner that does not answer: the row path answers now (a forced column path waits, as asked)
  if (choice === 'auto' && known && !known.answered) return decide('row', 'learner not answering');
  // a table the learner does not hold yet (just created) is read on the row path
  if (scansOf(input.root).some((s) => !rows.has(s.table))) {
    if (choice !== 'column') return decide('row', 'table not on learner');
  }
  if (choice !== 'auto') return decide(choice, 'forced');
  // further behind than a read would wait for: the row path answers now
  if (known && known.stats.lagMs > waitMs) return decide('row', `learner ${Math.round(known.stats.lagMs)} ms behind`);
  return decide(costs.column < costs.row ? 'column' : 'row', 'cost');
}

/**
 * Rows of each key-range scan, counted on the row store up to PROBE_CAP_ROWS (a range that ends sooner is
 * short: its count is exact; a longer one costs at most PROBE_CAP_ROWS reads, small beside reading it all).
 */
async function probeRanges(input: RouteInput, counted: ReadonlyMap<ScanNode, number>): Promise<Map<ScanNode, number>> {
  const out = new Map<ScanNode, number>(counted);
  const source = rowScanSource(input.txn, input.params);
  for (const scan of scansOf(input.root)) {
    const a = scan.access as RowAccessShape | undefined;
    if (!a || a.full || a.point || out.has(scan)) continue;
    out.set(scan, await countRows(source(scan), PROBE_CAP_ROWS));
  }
  return out;
}

/** EXPLAIN's first line, e.g. `path: column (cost 1.2e3; row 4.8e5)`. */
export function describeRoute(d: RouteDecision): string {
  const other = d.path === 'column' ? `row ${num(d.rowCost)}` : `column ${num(d.columnCost)}`;
  const own = d.path === 'column' ? d.columnCost : d.rowCost;
  return `path: ${d.path} (cost ${num(own)}; ${other})${d.reason === 'cost' ? '' : ` [${d.reason}]`}`;
}

function num(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x < 1000 ? String(Math.round(x * 10) / 10) : x.toExponential(1);
}

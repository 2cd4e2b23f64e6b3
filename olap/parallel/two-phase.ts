// A split aggregate run on two threads: the learner thread and the helper claim morsels of the split scan's
// unpruned stable blocks from one shared counter, each runs the partial aggregate over its morsels (the
// learner also over the delta; other scans, e.g. join build sides, are read whole by both), and the learner
// merges the partial rows (final aggregate + finish).
import { assert, DuetError, SqlState } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { execute } from '../exec/execute.ts';
import type { AggregateNode, Batch, ExecContext, Expr, OperatorStats, PlanNode, ScanNode } from '../exec/spec.ts';
import { preorder } from '../learner/fragment.ts';
import { allVisibleAt, type Block } from '../learner/block.ts';
import type { ColumnTable, ScanRequest } from '../learner/table.ts';
import { zoneMayMatch } from '../learner/zonemap.ts';
import type { HelperThread } from './helper-client.ts';
import type { HelperScan } from './protocol.ts';
import { abandon, claimed, MORSEL_BLOCKS, newMorselCounter, stopClaims, visibleRows } from './morsel.ts';
import { mergePartials, rewriteSplits, type AggregateSplit } from './split.ts';

export interface ParallelCounters { blocksScanned: number; blocksPruned: number; workers?: number; helperBlocks?: number }

export interface TwoPhaseEnv {
  readonly ts: number;
  readonly params: readonly Value[];
  readonly batchRowsMax?: number;
  readonly signal: AbortSignal;
  readonly stats: Map<PlanNode, OperatorStats> | undefined;
  /** The helper thread (started at the first call), or undefined when it cannot run. */
  helper(): HelperThread | undefined;
  scanTable(node: ScanNode): { table: ColumnTable | undefined; request: ScanRequest };
  countersOf(node: ScanNode): ParallelCounters;
  /** The learner's own scan, read with its usual yields to the event loop. */
  drain(it: Iterator<Batch>): AsyncIterable<Batch>;
  /** A scan read whole on the learner (the usual fragment scan). */
  scanWhole(node: ScanNode): AsyncIterable<Batch>;
}

/** The stable blocks a scan reads after zone-map pruning (the table's list as of now). */
function unpruned(table: ColumnTable, request: ScanRequest): Block[] {
  const zone = request.zone ?? [];
  return zone.length === 0 ? table.stable.slice() : table.stable.filter((b) => zoneMayMatch(b.zones, zone));
}

/**
 * Blocks the split scan must have per block of the scans both threads read whole (join build sides, subqueries
 * under them): each thread repeats that work, so it must be small next to the half of the split scan it saves.
 * Measured (bench/tpch-run/threads.ts, SF 0.1): splitting lineitem while both threads read orders or an
 * aggregate over lineitem whole (Q3, Q18, Q20, Q21) cost up to 4x the CPU and was slower.
 */
const SPLIT_BLOCKS_PER_WHOLE_BLOCK = 8;

/**
 * `plan` with every split aggregate replaced by a stand-in scan, where the splittable scan with the most
 * unpruned blocks covers at least `minBlocks` and SPLIT_BLOCKS_PER_WHOLE_BLOCK times the blocks of the
 * aggregate's other scans (minBlocks 0, for tests, skips both checks); `serve` produces a stand-in's rows.
 * Undefined when nothing qualifies.
 */
export function planTwoPhase(plan: PlanNode, minBlocks: number, env: TwoPhaseEnv): { plan: PlanNode; serve: (node: ScanNode) => AsyncIterable<Batch> | undefined; standIns: Map<ScanNode, AggregateSplit> } | undefined {
  const blocksOf = (scan: ScanNode): number | undefined => {
    const { table, request } = env.scanTable(scan);
    return table === undefined ? undefined : unpruned(table, request).length;
  };
  const { plan: rewritten, splits } = rewriteSplits(plan, (scans, node) => {
    let best: ScanNode | undefined;
    let bestBlocks = -1;
    for (const scan of scans) {
      const n = blocksOf(scan);
      if (n === undefined) return undefined;
      if (n > bestBlocks) [best, bestBlocks] = [scan, n];
    }
    if (bestBlocks < minBlocks || env.helper() === undefined) return undefined;
    if (minBlocks === 0) return best;
    if (best !== undefined && keyRangeWide(node, best, env)) return undefined;
    let whole = 0;
    for (const other of preorder(node.input)) if (other.kind === 'scan' && other !== best) whole += blocksOf(other) ?? 0;
    return whole * SPLIT_BLOCKS_PER_WHOLE_BLOCK <= bestBlocks ? best : undefined;
  });
  if (splits.size === 0) return undefined;
  return { plan: rewritten, standIns: splits, serve: (node) => {
    const split = splits.get(node);
    return split === undefined ? undefined : runSplit(split, env);
  } };
}

/**
 * Most distinct values a group key may span (by its column's zone maps) for the aggregate to split: each
 * thread then builds its own table of nearly all the groups and the merge aggregates them again, which
 * measured slower than one thread (Q18's 150,000 orders: 2x the CPU; Q17's 20,000 parts).
 */
const SPLIT_KEY_RANGE_MAX = 16_384;

/** Whether a group key is a column of the split scan whose values span more than SPLIT_KEY_RANGE_MAX. */
function keyRangeWide(node: AggregateNode, scan: ScanNode, env: TwoPhaseEnv): boolean {
  const { table, request } = env.scanTable(scan);
  if (!table) return false;
  const blocks = unpruned(table, request);
  for (const key of node.groupBy) {
    const out = scanColumnOf(node.input, key, scan);
    if (out === undefined) continue;
    const column = request.columns?.[out] ?? out;
    let min = Infinity;
    let max = -Infinity;
    for (const b of blocks) {
      const z = b.zones[column];
      if (typeof z?.min !== 'number' || typeof z.max !== 'number') continue;
      min = Math.min(min, z.min);
      max = Math.max(max, z.max);
    }
    if (max - min + 1 > SPLIT_KEY_RANGE_MAX) return true;
  }
  return false;
}

/** The split scan's output column a key reads through filters and column projections; undefined otherwise. */
function scanColumnOf(input: PlanNode, key: Expr, scan: ScanNode): number | undefined {
  let node = input;
  let expr = key;
  for (;;) {
    if (expr.kind !== 'col') return undefined;
    if (node.kind === 'scan') return node === scan ? expr.index : undefined;
    if (node.kind === 'filter') node = node.input;
    else if (node.kind === 'project') [expr, node] = [node.exprs[expr.index]!, node.input];
    else return undefined;
  }
}

interface Opened {
  readonly local: Iterator<Batch>;
  readonly scans: HelperScan[];
  /** The split scan's blocks, columns and types (to read the helper's morsels here if it falls behind). */
  readonly split: { readonly blocks: readonly Block[]; readonly columns: readonly number[]; readonly types: readonly SqlType[] };
}

/**
 * Every scan of the partial plan as the helper reads it, and the learner's own scan of the split one (its
 * claimed morsels + the delta). One synchronous step per table: a block list and the delta that goes with it
 * are the same instant's, so a compaction in between cannot move rows from one to the other.
 */
function openScans(split: AggregateSplit, env: TwoPhaseEnv, helper: HelperThread, counter: Int32Array, tally: number[]): Opened {
  let local: Iterator<Batch> | undefined;
  let splitScan: Opened['split'] | undefined;
  const scans: HelperScan[] = [];
  const seen = new Set<PlanNode>();
  preorder(split.partial).forEach((node, index) => {
    // a node object met twice (a shared subtree) is one scan: the helper maps both places to one spec
    if (node.kind !== 'scan' || seen.has(node)) return;
    seen.add(node);
    const { table, request } = env.scanTable(node);
    if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${node.table}" does not exist on the columnar replica`);
    const blocks = unpruned(table, request);
    const isSplit = node === split.scan;
    let delta: Batch[] = [];
    if (isSplit) {
      const counters = env.countersOf(node);
      local = table.scan(env.ts, { ...request, blocks: claimed(blocks, counter, MORSEL_BLOCKS, tally) }, counters);
      counters.blocksPruned += table.stable.length - blocks.length;
    } else {
      delta = [...table.scan(env.ts, { ...request, blocks: [] })];
    }
    const columns = request.columns ?? Array.from({ length: table.columnCountAt(env.ts) }, (_, i) => i);
    const types = columns.map((c) => table.types[c]!);
    if (isSplit) splitScan = { blocks, columns, types };
    scans.push({ index, blocks: helper.share(blocks, columns), columns, types, split: isSplit, delta });
  });
  assert(local !== undefined && splitScan !== undefined, 'the split scan is in the partial plan');
  return { local, scans, split: splitScan };
}

async function* runSplit(split: AggregateSplit, env: TwoPhaseEnv): AsyncGenerator<Batch> {
  const helper = env.helper();
  if (!helper) throw new DuetError(SqlState.internalError, 'the helper thread stopped');
  const counter = newMorselCounter();
  const mine: number[] = [];
  const opened = openScans(split, env, helper, counter, mine);
  const remote = helper.run({
    kind: 'run', plan: split.partial, params: env.params, ts: env.ts, scans: opened.scans, counter, morselBlocks: MORSEL_BLOCKS, analyze: env.stats !== undefined,
    ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}),
  });
  try {
    const started = performance.now();
    const partials: Batch[] = [];
    for await (const b of execute(split.partial, partialCtx(split, env, env.drain(opened.local)))) partials.push(b);
    const localMs = performance.now() - started;
    const counters = env.countersOf(split.scan);
    counters.workers = 2;
    counters.helperBlocks ??= 0;
    // All morsels are claimed now; those the learner did not claim are the helper's.
    const theirs = helperMorsels(stopClaims(counter), mine);
    if (theirs.length > 0) {
      // Wait about as long as reading the helper's morsels here would take (the learner's own pace; with other
      // scans, e.g. a join's build side, that read repeats them too), then read them here: a helper starved of
      // CPU at its low priority never holds a query up for long.
      const repeatsWhole = opened.scans.length > 1 ? 1 : 0;
      const waitMs = localMs * (repeatsWhole + theirs.length / Math.max(1, mine.length));
      const done = await Promise.race([remote, sleep(Math.max(1, waitMs))]);
      if (done === undefined) {
        abandon(counter);
        const blocks = theirs.flatMap((m) => opened.split.blocks.slice(m * MORSEL_BLOCKS, (m + 1) * MORSEL_BLOCKS));
        for await (const b of execute(split.partial, partialCtx(split, env, visibleBlocks(blocks, env.ts, opened.split)))) partials.push(b);
        counters.blocksScanned += blocks.length;
      } else {
        if (done.error) throw new DuetError(done.error.code ?? SqlState.internalError, done.error.message);
        partials.push(...done.batches);
        counters.blocksScanned += done.blocksScanned;
        counters.helperBlocks += done.blocksScanned;
        if (env.stats && done.stats) addStats(env.stats, preorder(split.partial), done.stats, split.scan);
      }
    }
    yield* mergePartials(split, partials, mergeCtx(env));
  } finally {
    // an error or a cancel on this side stops the helper's claiming too
    stopClaims(counter);
  }
}

/** The partial plan's context on the learner: the split scan from `splitRows`, every other scan read whole. */
function partialCtx(split: AggregateSplit, env: TwoPhaseEnv, splitRows: AsyncIterable<Batch>): ExecContext {
  return {
    params: env.params, signal: env.signal,
    scan: (node: ScanNode) => (node === split.scan ? splitRows : env.scanWhole(node)),
    ...(env.stats ? { stats: env.stats } : {}),
    ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}),
  };
}

/** Morsel numbers below `claimedMorsels` that are not in `mine`. */
function helperMorsels(claimedMorsels: number, mine: readonly number[]): number[] {
  const own = new Set(mine);
  const out: number[] = [];
  for (let m = 0; m < claimedMorsels; m++) if (!own.has(m)) out.push(m);
  return out;
}

async function* visibleBlocks(blocks: readonly Block[], ts: number, scan: Opened['split']): AsyncGenerator<Batch> {
  for (const b of blocks) {
    const columns = scan.columns.map((c) => b.columns[c]!);
    const batch = allVisibleAt(b, ts) ? { length: b.rows, columns, types: [...scan.types], selection: undefined } : visibleRows(b.rows, b.begin, b.end, ts, columns, [...scan.types]);
    if (batch) yield batch;
  }
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

function mergeCtx(env: TwoPhaseEnv): { params: readonly Value[]; signal: AbortSignal; batchRowsMax?: number } {
  return { params: env.params, signal: env.signal, ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}) };
}

/**
 * The helper's rows and batches added to the learner's counters of the nodes above the split scan (the parts
 * both threads read whole would count twice; time stays the learner's).
 */
function addStats(stats: Map<PlanNode, OperatorStats>, nodes: readonly PlanNode[], theirs: readonly (OperatorStats | null)[], scan: ScanNode): void {
  nodes.forEach((n, i) => {
    const mine = stats.get(n);
    const t = theirs[i];
    if (!mine || !t || !preorder(n).includes(scan)) return;
    mine.rowsOut += t.rowsOut;
    mine.batchesOut += t.batchesOut;
  });
}

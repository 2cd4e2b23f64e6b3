// A split aggregate run on two threads: the learner thread and the helper claim morsels of the split scan's
// unpruned stable blocks from one shared counter, each runs the partial aggregate over its morsels (the
// learner also over the delta; other scans, e.g. join build sides, are read whole by both), and the learner
// merges the partial rows (final aggregate + finish).
import { assert, DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import { execute } from '../exec/execute.ts';
import type { Batch, OperatorStats, PlanNode, ScanNode } from '../exec/spec.ts';
import { preorder } from '../learner/fragment.ts';
import type { Block } from '../learner/block.ts';
import type { ColumnTable, ScanRequest } from '../learner/table.ts';
import { zoneMayMatch } from '../learner/zonemap.ts';
import type { HelperThread } from './helper-client.ts';
import type { HelperScan } from './protocol.ts';
import { claimed, MORSEL_BLOCKS, newMorselCounter, stopClaims } from './morsel.ts';
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
 * `plan` with every split aggregate replaced by a stand-in scan, where the splittable scan with the most
 * unpruned blocks covers at least `minBlocks`; `serve` produces a stand-in's rows. Undefined when nothing
 * qualifies.
 */
export function planTwoPhase(plan: PlanNode, minBlocks: number, env: TwoPhaseEnv): { plan: PlanNode; serve: (node: ScanNode) => AsyncIterable<Batch> | undefined; standIns: Map<ScanNode, AggregateSplit> } | undefined {
  const { plan: rewritten, splits } = rewriteSplits(plan, (scans) => {
    let best: ScanNode | undefined;
    let bestBlocks = -1;
    for (const scan of scans) {
      const { table, request } = env.scanTable(scan);
      if (table === undefined) return undefined;
      const n = unpruned(table, request).length;
      if (n > bestBlocks) [best, bestBlocks] = [scan, n];
    }
    return bestBlocks >= minBlocks && env.helper() !== undefined ? best : undefined;
  });
  if (splits.size === 0) return undefined;
  return { plan: rewritten, standIns: splits, serve: (node) => {
    const split = splits.get(node);
    return split === undefined ? undefined : runSplit(split, env);
  } };
}

interface Opened { readonly local: Iterator<Batch>; readonly scans: HelperScan[] }

/**
 * Every scan of the partial plan as the helper reads it, and the learner's own scan of the split one (its
 * claimed morsels + the delta). One synchronous step per table: a block list and the delta that goes with it
 * are the same instant's, so a compaction in between cannot move rows from one to the other.
 */
function openScans(split: AggregateSplit, env: TwoPhaseEnv, helper: HelperThread, counter: Int32Array, tally: { morsels: number }): Opened {
  let local: Iterator<Batch> | undefined;
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
    scans.push({ index, blocks: helper.share(blocks, columns), columns, types: columns.map((c) => table.types[c]!), split: isSplit, delta });
  });
  assert(local !== undefined, 'the split scan is in the partial plan');
  return { local, scans };
}

async function* runSplit(split: AggregateSplit, env: TwoPhaseEnv): AsyncGenerator<Batch> {
  const helper = env.helper();
  if (!helper) throw new DuetError(SqlState.internalError, 'the helper thread stopped');
  const counter = newMorselCounter();
  const tally = { morsels: 0 };
  const { local, scans } = openScans(split, env, helper, counter, tally);
  const remote = helper.run({
    kind: 'run', plan: split.partial, params: env.params, ts: env.ts, scans, counter, morselBlocks: MORSEL_BLOCKS, analyze: env.stats !== undefined,
    ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}),
  });
  try {
    const partials: Batch[] = [];
    const ctx = {
      params: env.params, signal: env.signal,
      // the split scan reads the learner's morsels; every other scan is read whole, as without the helper
      scan: (node: ScanNode) => (node === split.scan ? env.drain(local) : env.scanWhole(node)),
      ...(env.stats ? { stats: env.stats } : {}),
      ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}),
    };
    for await (const b of execute(split.partial, ctx)) partials.push(b);
    // All morsels are claimed now. If the helper got none (it was slow to start, or starved of CPU at its low
    // priority, e.g. still building a join's hash table), its partial adds nothing: do not wait for it.
    const counters = env.countersOf(split.scan);
    counters.workers = 2;
    counters.helperBlocks ??= 0;
    if (stopClaims(counter) === tally.morsels) {
      yield* mergePartials(split, partials, mergeCtx(env));
      return;
    }
    const done = await remote;
    if (done.error) throw new DuetError(done.error.code ?? SqlState.internalError, done.error.message);
    partials.push(...done.batches);
    counters.blocksScanned += done.blocksScanned;
    counters.helperBlocks += done.blocksScanned;
    if (env.stats && done.stats) addStats(env.stats, preorder(split.partial), done.stats, split.scan);
    yield* mergePartials(split, partials, mergeCtx(env));
  } finally {
    // an error or a cancel on this side stops the helper's claiming too
    stopClaims(counter);
  }
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

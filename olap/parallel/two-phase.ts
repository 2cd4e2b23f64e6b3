// A split aggregate run on two threads: the learner thread and the helper claim morsels of the scan's
// unpruned stable blocks from one shared counter, each runs the partial aggregate over its morsels (the
// learner also over the delta), and the learner merges the partial rows (final aggregate + finish).
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import { execute } from '../exec/execute.ts';
import type { Batch, OperatorStats, PlanNode, ScanNode } from '../exec/spec.ts';
import { preorder } from '../learner/fragment.ts';
import type { Block } from '../learner/block.ts';
import type { ColumnTable, ScanRequest } from '../learner/table.ts';
import { zoneMayMatch } from '../learner/zonemap.ts';
import type { HelperThread } from './helper-client.ts';
import { claimed, MORSEL_BLOCKS, MORSELS_STOPPED, newMorselCounter } from './morsel.ts';
import { mergePartials, rewriteSplits, type AggregateSplit } from './split.ts';

export interface ParallelCounters { blocksScanned: number; blocksPruned: number; workers?: number }

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
}

/** The stable blocks a scan reads after zone-map pruning (the table's list as of now). */
function unpruned(table: ColumnTable, request: ScanRequest): Block[] {
  const zone = request.zone ?? [];
  return zone.length === 0 ? table.stable.slice() : table.stable.filter((b) => zoneMayMatch(b.zones, zone));
}

/**
 * `plan` with every split aggregate whose scan covers at least `minBlocks` unpruned blocks replaced by a
 * stand-in scan; `serve` produces a stand-in's rows. Undefined when nothing qualifies.
 */
export function planTwoPhase(plan: PlanNode, minBlocks: number, env: TwoPhaseEnv): { plan: PlanNode; serve: (node: ScanNode) => AsyncIterable<Batch> | undefined; standIns: Map<ScanNode, AggregateSplit> } | undefined {
  const { plan: rewritten, splits } = rewriteSplits(plan, (split) => {
    const { table, request } = env.scanTable(split.scan);
    return table !== undefined && unpruned(table, request).length >= minBlocks && env.helper() !== undefined;
  });
  if (splits.size === 0) return undefined;
  return { plan: rewritten, standIns: splits, serve: (node) => {
    const split = splits.get(node);
    return split === undefined ? undefined : runSplit(split, env);
  } };
}

async function* runSplit(split: AggregateSplit, env: TwoPhaseEnv): AsyncGenerator<Batch> {
  const helper = env.helper();
  if (!helper) throw new DuetError(SqlState.internalError, 'the helper thread stopped');
  const { table, request } = env.scanTable(split.scan);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${split.scan.table}" does not exist on the columnar replica`);
  const counters = env.countersOf(split.scan);
  const counter = newMorselCounter();
  // One synchronous step: the block list and the delta (taken by table.scan) are the same moment's.
  const all = table.stable.length;
  const blocks = unpruned(table, request);
  const local = table.scan(env.ts, { ...request, blocks: claimed(blocks, counter) }, counters);
  counters.blocksPruned += all - blocks.length;
  const columns = request.columns ?? Array.from({ length: table.columnCountAt(env.ts) }, (_, i) => i);
  const ids = helper.share(blocks, columns);
  const remote = helper.run({
    kind: 'run', plan: split.partial, scanIndex: preorder(split.partial).indexOf(split.scan), params: env.params, ts: env.ts, blocks: ids, columns,
    types: columns.map((c) => table.types[c]!), counter, morselBlocks: MORSEL_BLOCKS, analyze: env.stats !== undefined,
    ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}),
  });
  try {
    const partials: Batch[] = [];
    const ctx = {
      params: env.params, signal: env.signal,
      scan: (node: ScanNode) => {
        if (node !== split.scan) throw new Error('a partial plan reads one scan');
        return env.drain(local);
      },
      ...(env.stats ? { stats: env.stats } : {}),
      ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}),
    };
    for await (const b of execute(split.partial, ctx)) partials.push(b);
    const done = await remote;
    if (done.error) throw new DuetError(done.error.code ?? SqlState.internalError, done.error.message);
    partials.push(...done.batches);
    counters.blocksScanned += done.blocksScanned;
    counters.workers = 2;
    if (env.stats && done.stats) addStats(env.stats, preorder(split.partial), done.stats);
    yield* mergePartials(split, partials, { params: env.params, signal: env.signal, ...(env.batchRowsMax !== undefined ? { batchRowsMax: env.batchRowsMax } : {}) });
  } finally {
    // an error or a cancel on this side stops the helper's claiming too
    Atomics.store(counter, 0, MORSELS_STOPPED);
  }
}

/** The helper's rows and batches added to the learner's counters of the same nodes (time stays the learner's). */
function addStats(stats: Map<PlanNode, OperatorStats>, nodes: readonly PlanNode[], theirs: readonly (OperatorStats | null)[]): void {
  nodes.forEach((n, i) => {
    const mine = stats.get(n);
    const t = theirs[i];
    if (!mine || !t) return;
    mine.rowsOut += t.rowsOut;
    mine.batchesOut += t.batchesOut;
  });
}

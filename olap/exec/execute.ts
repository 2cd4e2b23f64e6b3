// Entry points of the executor: opens a plan tree as a pull-based stream of batches, with optional
// per-operator counters for EXPLAIN ANALYZE, and collects results into rows for the row path.

import { assert } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import { batchToRows } from './batch.ts';
import { cancelPointOf, type CancelPoint } from './cancel.ts';
import { checkExpr } from './expr/interpret.ts';
import { aggregateOp } from './ops/aggregate.ts';
import { distinctOp, setOp } from './ops/distinct.ts';
import { hashJoinOp, nestedLoopJoinOp } from './ops/join.ts';
import { filterOp, projectOp, scanOp, singleRowOp, valuesOp } from './ops/simple.ts';
import { limitOp, sortOp, topNOp } from './ops/sort.ts';
import { Runtime } from './runtime.ts';
import type { Batch, ExecContext, OperatorStats, OutputColumn, PlanNode } from './spec.ts';

/** The output columns of a plan node (names and types), as every operator documents them in spec.ts. */
export function outputColumns(node: PlanNode): OutputColumn[] {
  switch (node.kind) {
    case 'scan': case 'values': return [...node.columns];
    case 'filter': case 'sort': case 'topN': case 'limit': case 'distinct': case 'singleRow':
      return outputColumns(node.input);
    case 'project': return node.exprs.map((e, c) => ({ name: node.names[c] ?? `?column?`, type: e.type }));
    case 'aggregate': return [
      ...node.groupBy.map((e, c) => ({ name: node.names[c] ?? `group${c}`, type: e.type })),
      ...node.aggregates.map((a, c) => ({ name: node.names[node.groupBy.length + c] ?? a.fn, type: a.type })),
    ];
    case 'hashJoin': case 'nestedLoopJoin':
      if (node.joinType === 'semi' || node.joinType === 'anti') return outputColumns(node.left);
      return [...outputColumns(node.left), ...outputColumns(node.right)];
    case 'setOp': return outputColumns(node.left).map((c, i) => ({ name: node.names[i] ?? c.name, type: c.type }));
  }
}

function typesOf(node: PlanNode): OutputColumn['type'][] {
  return outputColumns(node).map((c) => c.type);
}

function open(node: PlanNode, rt: Runtime): AsyncIterable<Batch> {
  switch (node.kind) {
    case 'scan': return scanOp(node, rt);
    case 'values': return valuesOp(node, rt);
    case 'filter': return filterOp(node, rt);
    case 'project': return projectOp(node, rt);
    case 'aggregate': return aggregateOp(node, rt);
    case 'hashJoin': return hashJoinOp(node, rt, typesOf(node.left), typesOf(node.right));
    case 'nestedLoopJoin': return nestedLoopJoinOp(node, rt, typesOf(node.left), typesOf(node.right));
    case 'sort': return sortOp(node, rt, typesOf(node));
    case 'topN': return topNOp(node, rt, typesOf(node));
    case 'limit': return limitOp(node, rt);
    case 'distinct': return distinctOp(node, rt, typesOf(node));
    case 'setOp': return setOp(node, rt, typesOf(node));
    case 'singleRow': return singleRowOp(node, rt, typesOf(node));
  }
}

/** Counts rows, batches and inclusive wall time of one operator's stream. */
async function* instrument(source: AsyncIterable<Batch>, stats: OperatorStats): AsyncGenerator<Batch> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const started = performance.now();
      const r = await it.next();
      stats.timeMs += performance.now() - started;
      if (r.done === true) return;
      const batch = r.value;
      stats.batchesOut++;
      stats.rowsOut += batch.selection === undefined ? batch.length : batch.selection.length;
      yield batch;
    }
  } finally {
    await it.return?.();
  }
}

function checkPlan(node: PlanNode): void {
  const exprs = (() => {
    switch (node.kind) {
      case 'scan': return node.filter === undefined ? [] : [node.filter];
      case 'values': return node.rows.flat();
      case 'filter': return [node.predicate];
      case 'project': return node.exprs;
      case 'aggregate': return [...node.groupBy, ...node.aggregates.flatMap((a) => [a.arg, a.filter].filter((e) => e !== undefined))];
      case 'hashJoin': return [...node.leftKeys, ...node.rightKeys, ...(node.residual === undefined ? [] : [node.residual])];
      case 'nestedLoopJoin': return node.predicate === undefined ? [] : [node.predicate];
      case 'sort': case 'topN': return node.keys.map((k) => k.expr);
      default: return [];
    }
  })();
  exprs.forEach(checkExpr);
  if (node.kind === 'hashJoin') assert(node.leftKeys.length === node.rightKeys.length && node.leftKeys.length > 0, 'hash join needs matching key lists');
}

/**
 * Fails with 57014 at the first batch after the signal is aborted, and gives the event loop a turn now
 * and then (an in-memory pipeline never waits on I/O, so the cancel could not arrive otherwise).
 */
async function* cancellable(source: AsyncIterable<Batch>, point: CancelPoint): AsyncGenerator<Batch> {
  for await (const batch of source) {
    if (point.due()) await point.pause();
    yield batch;
  }
}

/** Runs a plan: a stream of batches (read each batch's live rows through its selection). */
export function execute(plan: PlanNode, ctx: ExecContext): AsyncIterable<Batch> {
  const stats = ctx.stats;
  const point = cancelPointOf(ctx);
  const rt: Runtime = new Runtime(ctx, (node) => {
    checkPlan(node);
    const opened = open(node, rt);
    const stream = point === undefined ? opened : cancellable(opened, point);
    if (stats === undefined) return stream;
    let entry = stats.get(node);
    if (entry === undefined) {
      entry = { rowsOut: 0, batchesOut: 0, timeMs: 0 };
      stats.set(node, entry);
    }
    return instrument(stream, entry);
  });
  return rt.open(plan);
}

/** Runs a plan and returns all result rows as arrays of values (oltp/types.ts representation). */
export async function collectRows(plan: PlanNode, ctx: ExecContext): Promise<Value[][]> {
  const rows: Value[][] = [];
  for await (const batch of execute(plan, ctx)) {
    for (const row of batchToRows(batch)) rows.push(row);
  }
  return rows;
}

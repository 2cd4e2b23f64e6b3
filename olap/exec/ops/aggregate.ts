// Hash aggregation: group ids per row through one Map from group key to id, columnar accumulators per
// aggregate, DISTINCT aggregates through one set of (group, value) keys each, FILTER clauses.

import type { SqlType } from '../../../oltp/types.ts';
import { gather, liveCount, VectorBuilder, sliceBatch } from '../batch.ts';
import { RowBuffer } from '../row-buffer.ts';
import type { Evaluator } from '../expr/evaluator.ts';
import { DistinctPairs } from './distinct-agg.ts';
import { GroupTable } from './groups.ts';
import type { Runtime } from '../runtime.ts';
import type { AggregateNode, Batch, Expr, Vector } from '../spec.ts';
import { makeAccumulator, sharedAccumulator, type Accumulator } from './accumulators.ts';

interface AggState {
  readonly acc: Accumulator;
  readonly arg: Evaluator | undefined;
  readonly filter: Evaluator | undefined;
  readonly distinct: DistinctPairs | undefined;
  /** Reads another aggregate's state (see sharedAccumulator): nothing to accumulate. */
  readonly shared: boolean;
}

/** One state per aggregate; sum, avg and count of one argument share the first one's accumulator. */
function aggStates(node: AggregateNode, rt: Runtime): AggState[] {
  const byArg = new Map<string, Accumulator>();
  return node.aggregates.map((spec): AggState => {
    const argKey = spec.arg === undefined || spec.filter !== undefined || spec.distinct ? undefined : exprKey(spec.arg);
    const existing = argKey === undefined ? undefined : byArg.get(argKey);
    const shared = existing === undefined ? undefined : sharedAccumulator(spec, existing);
    const acc = shared ?? makeAccumulator(spec);
    if (argKey !== undefined && existing === undefined) byArg.set(argKey, acc);
    return {
      acc,
      arg: spec.arg === undefined || shared !== undefined ? undefined : rt.evaluator(spec.arg),
      filter: spec.filter === undefined ? undefined : rt.evaluator(spec.filter),
      distinct: spec.distinct && spec.arg !== undefined ? new DistinctPairs(spec.arg.type) : undefined,
      shared: shared !== undefined,
    };
  });
}

/** A structural key of an expression (plan expressions are plain data; bigint constants as text). */
function exprKey(e: Expr): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

export async function* aggregateOp(node: AggregateNode, rt: Runtime): AsyncGenerator<Batch> {
  const keyTypes = node.groupBy.map((e) => e.type);
  const keyEvals = node.groupBy.map((e) => rt.evaluator(e));
  const aggs = aggStates(node, rt);
  const groups = new GroupTable(keyTypes);
  const groupKeys = new RowBuffer(keyTypes);
  let groupCount = 0;
  if (node.groupBy.length === 0) {
    groupCount = 1;
    for (const a of aggs) a.acc.grow(1);
  }
  let gids = new Int32Array(0);

  for await (const batch of rt.open(node.input)) {
    const n = liveCount(batch);
    if (n === 0) continue;
    if (gids.length < batch.length) gids = new Int32Array(Math.max(batch.length, 1024));
    if (node.groupBy.length > 0) {
      const keyVectors = keyEvals.map((e) => e.vector(batch));
      const fresh = groups.assign(batch, keyVectors, gids);
      if (fresh.length > 0) {
        // copied now: keeping whole key vectors of batches where many groups begin (a clustered key starts one
        // every few rows) would hold the input's key columns until the end
        const count = fresh.length;
        groupKeys.appendBatch({ length: count, columns: keyVectors.map((v, c) => gather(v, keyTypes[c]!, fresh, count)), types: keyTypes, selection: undefined });
        groupCount = groups.count;
        for (const a of aggs) a.acc.grow(groupCount);
      }
    }
    // without GROUP BY every row is in group 0: gids is only ever zero-filled (new Int32Array)
    for (const a of aggs) if (!a.shared) accumulate(a, batch, gids);
  }

  const types = [...keyTypes, ...node.aggregates.map((s) => s.type)];
  const keys = groupKeys.take();
  const out: Batch = {
    length: groupCount,
    columns: [...keys.columns, ...aggs.map((a, c) => resultsOf(a.acc, node.aggregates[c]!.type, groupCount))],
    types,
    selection: undefined,
  };
  yield* sliceBatch(out, rt.batchRowsMax);
}

function resultsOf(acc: Accumulator, type: SqlType, groupCount: number): Vector {
  const fast = acc.resultVector?.(groupCount);
  if (fast !== undefined) return fast;
  const b = new VectorBuilder(type, groupCount);
  for (let g = 0; g < groupCount; g++) b.append(acc.result(g));
  return b.build();
}

function accumulate(a: AggState, batch: Batch, gids: Int32Array): void {
  let rows = batch.selection;
  let n = liveCount(batch);
  if (a.filter !== undefined) {
    rows = a.filter.select(batch);
    n = rows.length;
  }
  const arg = a.arg === undefined ? undefined : a.arg.vector(batch);
  if (a.distinct !== undefined && arg !== undefined) {
    rows = a.distinct.firstRows(gids, arg, batch.length, rows, n);
    n = rows.length;
  }
  a.acc.update(gids, arg, rows, n);
}

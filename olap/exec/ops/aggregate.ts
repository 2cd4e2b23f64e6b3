// Hash aggregation: group ids per row through one Map from group key to id, columnar accumulators per
// aggregate, DISTINCT aggregates through one set of (group, value) keys each, FILTER clauses.

import type { SqlType } from '../../../oltp/types.ts';
import { liveCount, RowBuffer, VectorBuilder, sliceBatch } from '../batch.ts';
import type { Evaluator } from '../expr/evaluator.ts';
import { keyReader, rowKey, type Key, type KeyReader } from '../keys.ts';
import type { Runtime } from '../runtime.ts';
import type { AggregateNode, Batch, Vector } from '../spec.ts';
import { makeAccumulator, type Accumulator } from './accumulators.ts';

interface AggState {
  readonly acc: Accumulator;
  readonly arg: Evaluator | undefined;
  readonly filter: Evaluator | undefined;
  readonly distinct: Set<string> | undefined;
  readonly argType: SqlType | undefined;
}

export async function* aggregateOp(node: AggregateNode, rt: Runtime): AsyncGenerator<Batch> {
  const keyTypes = node.groupBy.map((e) => e.type);
  const keyEvals = node.groupBy.map((e) => rt.evaluator(e));
  const aggs: AggState[] = node.aggregates.map((spec) => ({
    acc: makeAccumulator(spec),
    arg: spec.arg === undefined ? undefined : rt.evaluator(spec.arg),
    filter: spec.filter === undefined ? undefined : rt.evaluator(spec.filter),
    distinct: spec.distinct ? new Set<string>() : undefined,
    argType: spec.arg?.type,
  }));
  const groups = new Map<Key, number>();
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
    const sel = batch.selection;
    if (node.groupBy.length > 0) {
      const keyVectors = keyEvals.map((e) => e.vector(batch));
      const readers: KeyReader[] = keyVectors.map((v, c) => keyReader(v, keyTypes[c]!, false));
      const before = groupCount;
      for (let k = 0; k < n; k++) {
        const i = sel === undefined ? k : sel[k]!;
        const key = rowKey(readers, i, true)!;
        let g = groups.get(key);
        if (g === undefined) {
          g = groupCount++;
          groups.set(key, g);
          for (let c = 0; c < keyVectors.length; c++) groupKeys.appendCell(c, keyVectors[c]!, i);
          groupKeys.endRow();
        }
        gids[i] = g;
      }
      if (groupCount > before) for (const a of aggs) a.acc.grow(groupCount);
    } else {
      for (let k = 0; k < n; k++) gids[sel === undefined ? k : sel[k]!] = 0;
    }
    for (const a of aggs) accumulate(a, batch, gids);
  }

  const types = [...keyTypes, ...node.aggregates.map((s) => s.type)];
  const keys = groupKeys.take();
  const builders = node.aggregates.map((s) => new VectorBuilder(s.type, groupCount));
  for (let g = 0; g < groupCount; g++) {
    for (let a = 0; a < aggs.length; a++) builders[a]!.append(aggs[a]!.acc.result(g));
  }
  const out: Batch = {
    length: groupCount,
    columns: [...keys.columns, ...builders.map((b) => b.build())],
    types,
    selection: undefined,
  };
  yield* sliceBatch(out, rt.batchRowsMax);
}

function accumulate(a: AggState, batch: Batch, gids: Int32Array): void {
  const n = liveCount(batch);
  const sel = batch.selection;
  const arg = a.arg === undefined ? undefined : a.arg.vector(batch);
  let filterSel: Uint8Array | undefined;
  if (a.filter !== undefined) {
    filterSel = new Uint8Array(batch.length);
    for (const i of a.filter.select(batch)) filterSel[i] = 1;
  }
  const valid = arg?.valid;
  const distinctReader = a.distinct !== undefined && arg !== undefined ? keyReader(arg, a.argType!, false) : undefined;
  for (let k = 0; k < n; k++) {
    const i = sel === undefined ? k : sel[k]!;
    if (filterSel !== undefined && filterSel[i] === 0) continue;
    if (arg === undefined) { a.acc.add(gids[i]!, undefined as unknown as Vector, i); continue; }
    if (valid !== undefined && valid[i] === 0) continue;
    if (distinctReader !== undefined) {
      const key = `${gids[i]}|${String(distinctReader(i))}`;
      if (a.distinct!.has(key)) continue;
      a.distinct!.add(key);
    }
    a.acc.add(gids[i]!, arg, i);
  }
}

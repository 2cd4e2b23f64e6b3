// Row-preserving operators: scan (with its pushed-down filter), values, filter, project, and the
// scalar-subquery guard. Filters only write selection vectors; projections only compute new columns.

import { DuetError, SqlState } from '../../../oltp/errors.ts';
import type { Value } from '../../../oltp/types.ts';
import { compact, liveCount, nullVector, sliceBatch } from '../batch.ts';
import { RowBuffer } from '../row-buffer.ts';
import { castValue } from '../cast.ts';
import { evalConstant } from '../expr/evaluator.ts';
import type { Runtime } from '../runtime.ts';
import type { Batch, FilterNode, ProjectNode, ScanNode, SingleRowNode, ValuesNode } from '../spec.ts';

/**
 * A filter keeping fewer than 1 in this many of a batch's physical rows hands on a compacted copy of its live
 * rows instead of a selection: every kernel downstream allocates and loops over arrays of the batch's physical
 * length, so a selective filter (TPC-H Q6 keeps 2% of lineitem) made each projection and aggregate pay for the
 * 2,048 rows it dropped; gathering the few survivors once is cheaper.
 */
const COMPACT_BELOW_ONE_IN = 8;

function filtered(batch: Batch, selection: Uint32Array): Batch {
  const kept = { ...batch, selection };
  return selection.length * COMPACT_BELOW_ONE_IN < batch.length ? compact(kept) : kept;
}

export async function* scanOp(node: ScanNode, rt: Runtime): AsyncGenerator<Batch> {
  const filter = node.filter === undefined ? undefined : rt.evaluator(node.filter);
  for await (const batch of rt.ctx.scan(node)) {
    for (const part of sliceBatch(batch, rt.batchRowsMax)) {
      if (filter === undefined) { yield part; continue; }
      const selection = filter.select(part);
      if (selection.length > 0) yield filtered(part, selection);
    }
  }
}

export async function* valuesOp(node: ValuesNode, rt: Runtime): AsyncGenerator<Batch> {
  const types = node.columns.map((c) => c.type);
  const buffer = new RowBuffer(types);
  for (const row of node.rows) {
    const values: Value[] = row.map((cell, c) => castValue(evalConstant(cell, rt.params), cell.type, types[c]!));
    buffer.appendRow(values);
    if (buffer.length >= rt.batchRowsMax) yield buffer.take();
  }
  if (buffer.length > 0) yield buffer.take();
}

export async function* filterOp(node: FilterNode, rt: Runtime): AsyncGenerator<Batch> {
  const predicate = rt.evaluator(node.predicate);
  for await (const batch of rt.open(node.input)) {
    const selection = predicate.select(batch);
    if (selection.length > 0) yield filtered(batch, selection);
  }
}

export async function* projectOp(node: ProjectNode, rt: Runtime): AsyncGenerator<Batch> {
  const exprs = node.exprs.map((e) => rt.evaluator(e));
  const types = node.exprs.map((e) => e.type);
  for await (const batch of rt.open(node.input)) {
    if (liveCount(batch) === 0) continue;
    yield { length: batch.length, columns: exprs.map((e) => e.vector(batch)), types, selection: batch.selection };
  }
}

export async function* singleRowOp(node: SingleRowNode, rt: Runtime, types: Batch['types']): AsyncGenerator<Batch> {
  const buffer = new RowBuffer(types);
  for await (const batch of rt.open(node.input)) {
    buffer.appendBatch(batch);
    if (buffer.length > 1) {
      throw new DuetError(SqlState.cardinalityViolation, 'more than one row returned by a subquery used as an expression');
    }
  }
  if (buffer.length === 1) { yield buffer.take(); return; }
  yield { length: 1, columns: types.map((t) => nullVector(t, 1)), types, selection: undefined };
}

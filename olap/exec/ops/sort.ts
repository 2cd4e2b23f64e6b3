// Sort (stable, code-point string order, PostgreSQL NULL placement), top-N with a bounded buffer, and
// LIMIT/OFFSET that stops pulling input as soon as it has its rows.

import { DuetError } from '../../../oltp/errors.ts';
import type { SqlType } from '../../../oltp/types.ts';
import { gather, liveCount } from '../batch.ts';
import { RowBuffer } from '../row-buffer.ts';
import { evalConstant } from '../expr/evaluator.ts';
import type { Runtime } from '../runtime.ts';
import type { Batch, Expr, LimitNode, SortKey, SortNode, TopNNode, Vector } from '../spec.ts';
import { compareText, trimBlanks } from '../values.ts';

type RowCompare = (i: number, j: number) => number;

function baseCompare(v: Vector, type: SqlType): RowCompare {
  switch (v.kind) {
    case 'number': case 'decimal': case 'bool': {
      const d = v.data;
      if (type.id === 'double') {
        // NaN sorts above every number (PostgreSQL)
        return (i, j) => {
          const x = d[i]!;
          const y = d[j]!;
          if (x !== x || y !== y) return x !== x ? (y !== y ? 0 : 1) : -1;
          return x < y ? -1 : x > y ? 1 : 0;
        };
      }
      return (i, j) => (d[i]! < d[j]! ? -1 : d[i]! > d[j]! ? 1 : 0);
    }
    case 'bigdecimal': {
      const d = v.data;
      return (i, j) => (d[i]! < d[j]! ? -1 : d[i]! > d[j]! ? 1 : 0);
    }
    case 'string': {
      const d = v.data;
      if (type.fixed === true) return (i, j) => compareText(trimBlanks(d[i]!), trimBlanks(d[j]!));
      return (i, j) => compareText(d[i]!, d[j]!);
    }
    case 'dict': {
      const dict = v.dict;
      const c = v.codes;
      if (type.fixed === true) return (i, j) => compareText(trimBlanks(dict[c[i]!]!), trimBlanks(dict[c[j]!]!));
      return (i, j) => compareText(dict[c[i]!]!, dict[c[j]!]!);
    }
  }
}

function keyCompare(v: Vector, key: SortKey): RowCompare {
  const base = baseCompare(v, key.expr.type);
  const nullsFirst = key.nullsFirst ?? key.descending;
  const dir = key.descending ? -1 : 1;
  const valid = v.valid;
  if (valid === undefined) return key.descending ? (i, j) => -base(i, j) : base;
  return (i, j) => {
    const ni = valid[i] === 0;
    const nj = valid[j] === 0;
    if (ni || nj) return ni === nj ? 0 : ni === nullsFirst ? -1 : 1;
    return dir * base(i, j);
  };
}

/** Row order of a compact batch by the keys, stable. */
function sortedOrder(batch: Batch, keys: readonly SortKey[], rt: Runtime): Int32Array {
  const compares = keys.map((k) => keyCompare(rt.evaluator(k.expr).vector(batch), k));
  const order: number[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) order[i] = i;
  order.sort((i, j) => {
    for (const c of compares) {
      const r = c(i, j);
      if (r !== 0) return r;
    }
    return i - j;
  });
  return Int32Array.from(order);
}

function* emitOrder(batch: Batch, order: Int32Array, from: number, to: number, batchRowsMax: number): Generator<Batch> {
  for (let start = from; start < to; start += batchRowsMax) {
    const end = Math.min(to, start + batchRowsMax);
    const idx = order.subarray(start, end);
    const count = end - start;
    yield { length: count, columns: batch.columns.map((v, c) => gather(v, batch.types[c]!, idx, count)), types: batch.types, selection: undefined };
  }
}

export async function* sortOp(node: SortNode, rt: Runtime, types: readonly SqlType[]): AsyncGenerator<Batch> {
  const buffer = new RowBuffer(types);
  for await (const batch of rt.open(node.input)) buffer.appendBatch(batch);
  const all = buffer.take();
  const order = sortedOrder(all, node.keys, rt);
  yield* emitOrder(all, order, 0, all.length, rt.batchRowsMax);
}

/** LIMIT/OFFSET count: a constant or parameter; NULL = none. */
function countOf(e: Expr | undefined, rt: Runtime, what: 'LIMIT' | 'OFFSET'): number | undefined {
  if (e === undefined) return undefined;
  const v = evalConstant(e, rt.params);
  if (v === null) return undefined;
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new DuetError(what === 'LIMIT' ? '2201W' : '2201X', `${what} must not be negative`);
  }
  return Math.floor(n);
}

export async function* topNOp(node: TopNNode, rt: Runtime, types: readonly SqlType[]): AsyncGenerator<Batch> {
  const limit = countOf(node.limit, rt, 'LIMIT');
  const offset = countOf(node.offset, rt, 'OFFSET') ?? 0;
  const keep = limit === undefined ? Infinity : limit + offset;
  if (keep === 0) return;
  // bounded memory: whenever the buffer holds enough rows, sort it and keep only the best `keep`
  const compactAt = Number.isFinite(keep) ? Math.max(2 * keep, 4 * rt.batchRowsMax) : Infinity;
  let buffer = new RowBuffer(types);
  for await (const batch of rt.open(node.input)) {
    buffer.appendBatch(batch);
    if (buffer.length >= compactAt) {
      const all = buffer.take();
      const order = sortedOrder(all, node.keys, rt);
      buffer = new RowBuffer(types);
      for (const part of emitOrder(all, order, 0, Math.min(keep, all.length), rt.batchRowsMax)) buffer.appendBatch(part);
    }
  }
  const all = buffer.take();
  const order = sortedOrder(all, node.keys, rt);
  yield* emitOrder(all, order, Math.min(offset, all.length), Math.min(keep, all.length), rt.batchRowsMax);
}

export async function* limitOp(node: LimitNode, rt: Runtime): AsyncGenerator<Batch> {
  const limit = countOf(node.limit, rt, 'LIMIT');
  let skip = countOf(node.offset, rt, 'OFFSET') ?? 0;
  let remaining = limit ?? Infinity;
  if (remaining === 0) return;
  for await (const batch of rt.open(node.input)) {
    const n = liveCount(batch);
    if (skip >= n) { skip -= n; continue; }
    const take = Math.min(n - skip, remaining);
    if (skip === 0 && take === n) yield batch;
    else {
      const idx = new Uint32Array(take);
      for (let k = 0; k < take; k++) idx[k] = batch.selection === undefined ? skip + k : batch.selection[skip + k]!;
      yield { ...batch, selection: idx };
    }
    skip = 0;
    remaining -= take;
    if (remaining <= 0) return;
  }
}

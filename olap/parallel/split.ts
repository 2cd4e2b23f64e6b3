// Two-phase aggregation as plan rewriting: an aggregate becomes a partial aggregate that each thread runs
// with one scan of its input split into morsels (every other scan read whole by each thread), and a final
// aggregate over the partial rows plus a finishing step (avg).
import { assert } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { compact, getValue, VectorBuilder } from '../exec/batch.ts';
import { rationalToType } from '../exec/cast.ts';
import { pow10 } from '../exec/decimal.ts';
import { execute, outputColumns } from '../exec/execute.ts';
import type { AggregateNode, AggregateSpec, Batch, ColumnRef, ExecContext, PlanNode, ScanNode, Vector } from '../exec/spec.ts';
import { scaleOf } from '../exec/values.ts';

/** Chooses the scan to split among an aggregate's splittable scans (undefined: run it in one phase). */
export type ScanPick = (candidates: readonly ScanNode[], node: AggregateNode) => ScanNode | undefined;

/** How one original aggregate is read off the final aggregate's output. */
type Finish =
  | { readonly kind: 'column'; readonly index: number }
  /** avg = sum / count, rounded as the one-phase accumulator rounds (exact rational to the result type). */
  | { readonly kind: 'avg'; readonly sum: number; readonly count: number; readonly argScale: number; readonly type: SqlType };

export interface AggregateSplit {
  /** The original node (its output shape is what `finish` produces). */
  readonly node: AggregateNode;
  /** The scan the threads share by morsels (each thread reads every other scan of the input whole). */
  readonly scan: ScanNode;
  /** Runs on each thread: the original input chain under an aggregate with decomposable states. */
  readonly partial: AggregateNode;
  /** Runs once on the learner over every thread's partial rows (read through `partialScan`). */
  readonly final: AggregateNode;
  readonly partialScan: ScanNode;
  readonly finish: readonly Finish[];
}

/** Exact sums only: double sums depend on the order of addition, so two phases could change the last bits. */
const EXACT_SUM_TYPES = new Set(['integer', 'bigint', 'decimal']);

/**
 * The scans of an aggregate's input that may be split into morsels: the input is then the union of its
 * results over the morsels. That holds through filters, projections, and joins on the side whose rows the
 * join keeps one by one (either side of an inner join, the left of left/semi/anti joins; their other side is
 * read whole by each thread). Not through anything that looks at its input as a whole (aggregate, sort, limit,
 * distinct, set operations, right/full joins).
 */
export function splittableScans(node: PlanNode, out: ScanNode[] = []): ScanNode[] {
  switch (node.kind) {
    case 'scan': out.push(node); break;
    case 'filter': case 'project': splittableScans(node.input, out); break;
    case 'hashJoin': case 'nestedLoopJoin':
      if (node.joinType === 'right' || node.joinType === 'full') break;
      splittableScans(node.left, out);
      if (node.joinType === 'inner') splittableScans(node.right, out);
      break;
    default: break;
  }
  return out;
}

/** Whether one aggregate splits into partial and final states that give exactly the one-phase result. */
function splittable(a: AggregateSpec): boolean {
  if (a.distinct) return false;
  const argType = a.arg?.type;
  switch (a.fn) {
    case 'count_star': case 'count': case 'bool_and': case 'bool_or': return true;
    // min/max over doubles: NaN makes the one-phase result depend on row order
    case 'min': case 'max': return argType !== undefined && argType.id !== 'double';
    case 'sum': case 'avg': return argType !== undefined && EXACT_SUM_TYPES.has(argType.id) && a.type.id !== 'double';
  }
}

/**
 * The split of an aggregate with `pick`'s choice among its splittable scans (default: the first), or
 * undefined if an aggregate does not split or no scan is picked.
 */
export function splitAggregate(node: AggregateNode, pick: ScanPick = (s) => s[0]): AggregateSplit | undefined {
  if (!node.aggregates.every(splittable)) return undefined;
  const candidates = splittableScans(node.input);
  const scan = candidates.length === 0 ? undefined : pick(candidates, node);
  if (!scan) return undefined;
  const partialAggs: AggregateSpec[] = [];
  const partialNames: string[] = node.groupBy.map((_, i) => `g${i}`);
  const add = (spec: AggregateSpec): number => {
    partialAggs.push(spec);
    partialNames.push(`p${partialAggs.length - 1}`);
    return node.groupBy.length + partialAggs.length - 1;
  };
  const shapes: ({ kind: 'direct'; col: number; fn: AggregateSpec['fn']; type: SqlType } | { kind: 'avg'; sum: number; count: number; argScale: number; type: SqlType })[] = [];
  for (const a of node.aggregates) {
    const filter = a.filter === undefined ? {} : { filter: a.filter };
    if (a.fn === 'avg') {
      const argScale = a.arg!.type.id === 'decimal' ? scaleOf(a.arg!.type) : 0;
      // the exact sum at the argument's own scale: never rounds, never overflows (decimal spills to bigint)
      const sum = add({ fn: 'sum', arg: a.arg!, distinct: false, type: { id: 'decimal', scale: argScale }, ...filter });
      const count = add({ fn: 'count', arg: a.arg!, distinct: false, type: { id: 'bigint' }, ...filter });
      shapes.push({ kind: 'avg', sum, count, argScale, type: a.type });
    } else if (a.fn === 'sum') {
      const argScale = a.arg!.type.id === 'decimal' ? scaleOf(a.arg!.type) : 0;
      shapes.push({ kind: 'direct', col: add({ ...a, type: { id: 'decimal', scale: argScale } }), fn: 'sum', type: a.type });
    } else {
      // count merges by summing; min, max, bool_and, bool_or merge with themselves
      shapes.push({ kind: 'direct', col: add(a), fn: a.fn === 'count' || a.fn === 'count_star' ? 'sum' : a.fn, type: a.type });
    }
  }
  const partial: AggregateNode = { kind: 'aggregate', input: node.input, groupBy: node.groupBy, aggregates: partialAggs, names: partialNames };
  const partialScan: ScanNode = { kind: 'scan', table: '\u0000partials', columns: outputColumns(partial) };
  const ref = (index: number): ColumnRef => ({ kind: 'col', index, type: partialScan.columns[index]!.type });
  const finalAggs: AggregateSpec[] = [];
  const finalFor = (fn: AggregateSpec['fn'], col: number, type: SqlType): number => {
    finalAggs.push({ fn, arg: ref(col), distinct: false, type });
    return node.groupBy.length + finalAggs.length - 1;
  };
  const finish: Finish[] = shapes.map((s) => {
    if (s.kind === 'direct') return { kind: 'column', index: finalFor(s.fn, s.col, s.type) };
    return { kind: 'avg', sum: finalFor('sum', s.sum, { id: 'decimal', scale: s.argScale }), count: finalFor('sum', s.count, { id: 'bigint' }), argScale: s.argScale, type: s.type };
  });
  const final: AggregateNode = {
    kind: 'aggregate', input: partialScan, groupBy: node.groupBy.map((_, i) => ref(i)), aggregates: finalAggs,
    names: [...node.groupBy.map((_, i) => `g${i}`), ...finalAggs.map((_, i) => `f${i}`)],
  };
  return { node, scan, partial, final, partialScan, finish };
}

/** A final-aggregate batch in the original aggregate's output shape (group keys, then each aggregate). */
export function finishBatch(split: AggregateSplit, sliced: Batch): Batch {
  // a slice of a large result shares its columns with the other slices: compute avg over this slice's rows only
  const batch = split.finish.some((f) => f.kind === 'avg') ? compact(sliced) : sliced;
  const keys = split.node.groupBy.length;
  const columns: Vector[] = batch.columns.slice(0, keys);
  const types: SqlType[] = batch.types.slice(0, keys);
  split.finish.forEach((f, a) => {
    const type = split.node.aggregates[a]!.type;
    types.push(type);
    if (f.kind === 'column') {
      columns.push(batch.columns[f.index]!);
      return;
    }
    columns.push(avgVector(batch, f));
  });
  return { length: batch.length, columns, types, selection: batch.selection };
}

function avgVector(batch: Batch, f: Extract<Finish, { kind: 'avg' }>): Vector {
  const sums = batch.columns[f.sum]!;
  const counts = batch.columns[f.count]!;
  const out = new VectorBuilder(f.type, batch.length);
  const unit = pow10(f.argScale);
  // physical rows, so the vector stays aligned with the batch's selection
  for (let i = 0; i < batch.length; i++) {
    const total = getValue(sums, i);
    const count = getValue(counts, i);
    if (total === null || count === null || count === 0) { out.appendNull(); continue; }
    assert(typeof total === 'bigint' && typeof count === 'number', 'avg partials are a decimal sum and a count');
    out.append(rationalToType(total, unit * BigInt(count), f.type) as Value);
  }
  return out.build();
}

/**
 * Every aggregate of `plan` that splits with the scan `pick` chooses, replaced by a scan node standing for
 * its (finished) two-phase result; the caller serves those scans. Nodes not on a replaced path are kept as
 * the same objects.
 */
export function rewriteSplits(plan: PlanNode, pick: ScanPick): { plan: PlanNode; splits: Map<ScanNode, AggregateSplit> } {
  const splits = new Map<ScanNode, AggregateSplit>();
  const walk = (node: PlanNode): PlanNode => {
    if (node.kind === 'aggregate') {
      const split = splitAggregate(node, pick);
      if (split) {
        const stand: ScanNode = { kind: 'scan', table: '\u0000two-phase', columns: outputColumns(node) };
        splits.set(stand, split);
        return stand;
      }
    }
    switch (node.kind) {
      case 'scan': case 'values': return node;
      case 'hashJoin': case 'nestedLoopJoin': case 'setOp': {
        const left = walk(node.left);
        const right = walk(node.right);
        return left === node.left && right === node.right ? node : { ...node, left, right };
      }
      default: {
        const input = walk(node.input);
        return input === node.input ? node : ({ ...node, input } as PlanNode);
      }
    }
  };
  return { plan: walk(plan), splits };
}

/** The final phase over every thread's partial rows, in the original aggregate's output shape. */
export async function* mergePartials(split: AggregateSplit, partials: readonly Batch[], ctx: Pick<ExecContext, 'params' | 'batchRowsMax' | 'signal'>): AsyncGenerator<Batch> {
  const final = execute(split.final, { ...ctx, scan: async function* () { yield* partials; } });
  for await (const batch of final) yield finishBatch(split, batch);
}

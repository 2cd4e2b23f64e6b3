// Hash join and nested-loop join (inner, left, right, full, semi, anti, null-aware anti). The right input
// is materialized (the build side); each left batch is matched in chunks of candidate (left, right) row
// pairs, a residual predicate narrows them with a selection vector, and outer rows are padded with NULLs.

import type { SqlType } from '../../../oltp/types.ts';
import { gather, liveCount, nullVector } from '../batch.ts';
import { RowBuffer } from '../row-buffer.ts';
import { cancelPointOf, type CancelPoint } from '../cancel.ts';
import type { Evaluator } from '../expr/evaluator.ts';
import type { Runtime } from '../runtime.ts';
import { buildLeftJoin, chooseBuildSide, replay, uniqueMatchBatch } from './join-inner.ts';
import { BuildTable, HashPairs } from './join-table.ts';
import { semiJoinBuildLeft } from './join-semi.ts';
import { columnsOf } from './columns.ts';
import type { Batch, Expr, HashJoinNode, JoinType, NestedLoopJoinNode, PlanNode, Vector } from '../spec.ts';

/** A vector standing in for a column nobody reads. */
const UNREAD: Vector = { kind: 'number', data: new Float64Array(0), valid: undefined };

/** Fills candidate pairs (physical left row, build row) for one left batch; returns 0 when exhausted. */
interface PairSource {
  fill(lOut: Int32Array, rOut: Int32Array, max: number): number;
}

/**
 * The build side as one batch. With `needed`, only those columns are copied (the others hold an empty
 * placeholder): a semi/anti join never outputs build columns, and copying an unread wide row (EXISTS
 * (SELECT * ...)) dominated such joins.
 */
async function materialize(source: AsyncIterable<Batch>, types: readonly SqlType[], needed?: ReadonlySet<number>): Promise<Batch> {
  if (needed === undefined) {
    const buffer = new RowBuffer(types);
    for await (const batch of source) buffer.appendBatch(batch);
    return buffer.take();
  }
  const kept = [...needed].sort((a, b) => a - b);
  const keptTypes = kept.map((c) => types[c]!);
  const buffer = new RowBuffer(keptTypes);
  for await (const batch of source) {
    buffer.appendBatch({ length: batch.length, columns: kept.map((c) => batch.columns[c]!), types: keptTypes, selection: batch.selection });
  }
  const packed = buffer.take();
  const columns = types.map(() => UNREAD);
  kept.forEach((c, j) => { columns[c] = packed.columns[j]!; });
  return { length: packed.length, columns, types, selection: undefined };
}

/** Build columns a semi/anti join reads: its right keys and the residual's right-side columns. */
function semiBuildColumns(node: HashJoinNode, leftWidth: number): Set<number> {
  const needed = new Set<number>();
  for (const k of node.rightKeys) columnsOf(k, needed);
  if (node.residual !== undefined) {
    for (const c of columnsOf(node.residual)) if (c >= leftWidth) needed.add(c - leftWidth);
  }
  return needed;
}

class Joiner {
  readonly joinType: JoinType;
  readonly build: Batch;
  readonly leftTypes: readonly SqlType[];
  readonly residual: Evaluator | undefined;
  readonly rightMatched: Uint8Array;
  readonly chunkRowsMax: number;
  private readonly lIdx: Int32Array;
  private readonly rIdx: Int32Array;

  constructor(
    joinType: JoinType,
    build: Batch,
    leftTypes: readonly SqlType[],
    residual: Evaluator | undefined,
    chunkRowsMax: number,
    private readonly cancelPoint: CancelPoint | undefined,
  ) {
    this.joinType = joinType;
    this.build = build;
    this.leftTypes = leftTypes;
    this.residual = residual;
    this.rightMatched = new Uint8Array(build.length);
    this.chunkRowsMax = chunkRowsMax;
    this.lIdx = new Int32Array(chunkRowsMax);
    this.rIdx = new Int32Array(chunkRowsMax);
    this.residualColumns = residual === undefined ? undefined : columnsOf(residual.expr);
  }

  private readonly residualColumns: ReadonlySet<number> | undefined;

  /**
   * Left row lIdx[p] next to build row rIdx[p]. With `only`, just those columns are gathered (the others
   * hold an empty placeholder that is never read): semi/anti joins only evaluate the residual on pairs.
   */
  private pairBatch(left: Batch, count: number, lIdx: Int32Array, rIdx: Int32Array, only?: ReadonlySet<number>): Batch {
    const width = left.columns.length;
    const columns = [
      ...left.columns.map((v, c) => (only === undefined || only.has(c) ? gather(v, left.types[c]!, lIdx, count) : UNREAD)),
      ...this.build.columns.map((v, c) => (only === undefined || only.has(width + c) ? gather(v, this.build.types[c]!, rIdx, count) : UNREAD)),
    ];
    return { length: count, columns, types: [...left.types, ...this.build.types], selection: undefined };
  }

  /**
   * Matches one left batch; `leftMatched` (by physical row) is filled for outer/semi/anti handling. One
   * left batch against a large build side can take seconds while yielding nothing (a selective residual),
   * so every chunk is a cancellation point.
   */
  async *probe(left: Batch, pairs: PairSource, leftMatched: Uint8Array): AsyncGenerator<Batch> {
    const emitPairs = this.joinType !== 'semi' && this.joinType !== 'anti';
    const point = this.cancelPoint;
    for (;;) {
      if (point?.due() === true) await point.pause();
      const count = pairs.fill(this.lIdx, this.rIdx, this.chunkRowsMax);
      if (count === 0) break;
      if (this.residual === undefined && !emitPairs) {
        for (let p = 0; p < count; p++) leftMatched[this.lIdx[p]!] = 1;
        continue;
      }
      const lIdx = this.lIdx.slice(0, count);
      const rIdx = this.rIdx.slice(0, count);
      const batch = this.pairBatch(left, count, lIdx, rIdx, emitPairs ? undefined : this.residualColumns);
      const selection = this.residual === undefined ? undefined : this.residual.select(batch);
      const live = selection === undefined ? count : selection.length;
      // matches only matter to outer, semi and anti joins
      if (this.joinType !== 'inner') {
        const markRight = this.joinType === 'right' || this.joinType === 'full';
        for (let k = 0; k < live; k++) {
          const p = selection === undefined ? k : selection[k]!;
          leftMatched[lIdx[p]!] = 1;
          if (markRight) this.rightMatched[rIdx[p]!] = 1;
        }
      }
      if (emitPairs && live > 0) yield { ...batch, selection };
    }
    yield* this.finishLeft(left, leftMatched);
  }

  private *finishLeft(left: Batch, leftMatched: Uint8Array): Generator<Batch> {
    const n = liveCount(left);
    const sel = left.selection;
    if (this.joinType === 'semi' || this.joinType === 'anti') {
      const want = this.joinType === 'semi' ? 1 : 0;
      const out = new Uint32Array(n);
      let m = 0;
      for (let k = 0; k < n; k++) {
        const i = sel === undefined ? k : sel[k]!;
        if (leftMatched[i] === want) out[m++] = i;
      }
      if (m > 0) yield { ...left, selection: out.subarray(0, m) };
      return;
    }
    if (this.joinType !== 'left' && this.joinType !== 'full') return;
    const lIdx = new Int32Array(n);
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = sel === undefined ? k : sel[k]!;
      if (leftMatched[i] === 0) lIdx[m++] = i;
    }
    if (m === 0) return;
    yield this.pairBatch(left, m, lIdx, new Int32Array(m).fill(-1));
  }

  /** Unmatched build rows padded with NULL left columns (right and full joins). */
  *finishRight(): Generator<Batch> {
    if (this.joinType !== 'right' && this.joinType !== 'full') return;
    const rIdx: number[] = [];
    for (let r = 0; r < this.build.length; r++) if (this.rightMatched[r] === 0) rIdx.push(r);
    for (let start = 0; start < rIdx.length; start += this.chunkRowsMax) {
      const part = Int32Array.from(rIdx.slice(start, start + this.chunkRowsMax));
      const count = part.length;
      const columns = [
        ...this.leftTypes.map((t) => nullVector(t, count)),
        ...this.build.columns.map((v, c) => gather(v, this.build.types[c]!, part, count)),
      ];
      yield { length: count, columns, types: [...this.leftTypes, ...this.build.types], selection: undefined };
    }
  }
}

class CrossPairs implements PairSource {
  private k = 0;
  private r = 0;
  constructor(private readonly sel: Uint32Array | undefined, private readonly n: number, private readonly buildRows: number) {}

  fill(lOut: Int32Array, rOut: Int32Array, max: number): number {
    let m = 0;
    if (this.buildRows === 0) return 0;
    while (m < max && this.k < this.n) {
      lOut[m] = this.sel === undefined ? this.k : this.sel[this.k]!;
      rOut[m++] = this.r++;
      if (this.r >= this.buildRows) { this.r = 0; this.k++; }
    }
    return m;
  }
}

export async function* hashJoinOp(node: HashJoinNode, rt: Runtime, leftTypes: readonly SqlType[], rightTypes: readonly SqlType[]): AsyncGenerator<Batch> {
  const semiOrAnti = node.joinType === 'semi' || node.joinType === 'anti';
  let leftSource: AsyncIterable<Batch> = rt.open(node.left);
  let rightSource: AsyncIterable<Batch> = rt.open(node.right);
  if (node.joinType === 'inner') {
    const chosen = await chooseBuildSide(node, rt);
    if (chosen.buildLeft) { yield* buildLeftJoin(node, rt, leftTypes, chosen.left, chosen.right); return; }
    if (chosen.right.rows === 0) {
      // an empty build side: nothing can match, so the left input need not be read to its end
      if (!chosen.left.done) await chosen.left.rest.return?.();
      return;
    }
    leftSource = replay(chosen.left);
    rightSource = replay(chosen.right);
  } else if (semiOrAnti && node.nullAware !== true) {
    // NOT IN needs to know whether the right side holds a NULL before any left row is decided: not here
    const chosen = await chooseBuildSide(node, rt);
    if (chosen.buildLeft) { yield* semiJoinBuildLeft(node, rt, leftTypes, rightTypes, chosen.left, chosen.right); return; }
    leftSource = replay(chosen.left);
    rightSource = replay(chosen.right);
  }
  const build = await materialize(rightSource, rightTypes, semiOrAnti ? semiBuildColumns(node, leftTypes.length) : undefined);
  const rightKeyVectors = node.rightKeys.map((e) => rt.evaluator(e).vector(build));
  const table = new BuildTable(rightKeyVectors, node.rightKeys.map((e) => e.type), node.leftKeys.map((e) => e.type), build.length);
  const residual = node.residual === undefined ? undefined : rt.evaluator(node.residual);
  const joiner = new Joiner(node.joinType, build, leftTypes, residual, rt.batchRowsMax, cancelPointOf(rt.ctx));
  const leftKeyEvals = node.leftKeys.map((e) => rt.evaluator(e));
  const nullAware = node.joinType === 'anti' && node.nullAware === true;
  if (nullAware && table.hasNullKey) return; // x NOT IN (..., NULL, ...) is never TRUE
  let heads = new Int32Array(0);
  for await (const left of leftSource) {
    const n = liveCount(left);
    if (n === 0) continue;
    const leftVectors = leftKeyEvals.map((e) => e.vector(left));
    if (heads.length < n) heads = new Int32Array(Math.max(n, 1024));
    table.probe(leftVectors, left.selection, n, heads);
    if (node.joinType === 'inner' && table.unique) {
      const out = uniqueMatchBatch(left, heads, n, build, false, residual);
      if (out !== undefined) yield out;
      continue;
    }
    const leftMatched = new Uint8Array(left.length);
    if (nullAware && build.length > 0) markNullKeys(leftVectors, left.selection, n, leftMatched);
    // without a residual, one build row with the key decides a semi/anti join: skip the rest of the chain
    const firstOnly = semiOrAnti && residual === undefined;
    yield* joiner.probe(left, new HashPairs(left.selection, n, heads, table.next, firstOnly), leftMatched);
  }
  yield* joiner.finishRight();
}

/** A NULL probe key is "unknown" against a non-empty NOT IN list: such rows count as matched (never returned). */
function markNullKeys(vectors: readonly Vector[], sel: Uint32Array | undefined, n: number, matched: Uint8Array): void {
  for (const v of vectors) {
    const valid = v.valid;
    if (valid === undefined) continue;
    for (let k = 0; k < n; k++) {
      const i = sel === undefined ? k : sel[k]!;
      if (valid[i] === 0) matched[i] = 1;
    }
  }
}

export async function* nestedLoopJoinOp(node: NestedLoopJoinNode, rt: Runtime, leftTypes: readonly SqlType[], rightTypes: readonly SqlType[]): AsyncGenerator<Batch> {
  const build = await materialize(rt.open(node.right), rightTypes);
  const predicate = node.predicate === undefined ? undefined : rt.evaluator(node.predicate);
  const joiner = new Joiner(node.joinType, build, leftTypes, predicate, rt.batchRowsMax, cancelPointOf(rt.ctx));
  for await (const left of rt.open(node.left)) {
    const n = liveCount(left);
    if (n === 0) continue;
    yield* joiner.probe(left, new CrossPairs(left.selection, n, build.length), new Uint8Array(left.length));
  }
  yield* joiner.finishRight();
}

// Hash join and nested-loop join (inner, left, right, full, semi, anti, null-aware anti). The right input
// is materialized (the build side); each left batch is matched in chunks of candidate (left, right) row
// pairs, a residual predicate narrows them with a selection vector, and outer rows are padded with NULLs.

import type { SqlType } from '../../../oltp/types.ts';
import { gather, liveCount, nullVector, RowBuffer } from '../batch.ts';
import { cancelPointOf, type CancelPoint } from '../cancel.ts';
import type { Evaluator } from '../expr/evaluator.ts';
import { keyReader, rowKey, type Key, type KeyReader } from '../keys.ts';
import type { Runtime } from '../runtime.ts';
import { chooseInnerBuild, replay } from './join-inner.ts';
import type { Batch, Expr, HashJoinNode, JoinType, NestedLoopJoinNode, PlanNode, Vector } from '../spec.ts';

/** A vector standing in for a column nobody reads. */
const UNREAD: Vector = { kind: 'number', data: new Float64Array(0), valid: undefined };

/** The input columns an expression reads. */
export function columnsOf(e: Expr, into = new Set<number>()): Set<number> {
  switch (e.kind) {
    case 'col': into.add(e.index); break;
    case 'const': case 'param': break;
    case 'call': case 'and': case 'or': e.args.forEach((a) => columnsOf(a, into)); break;
    case 'cast': case 'not': case 'isNull': columnsOf(e.arg, into); break;
    case 'case':
      if (e.operand !== undefined) columnsOf(e.operand, into);
      for (const w of e.whens) { columnsOf(w.when, into); columnsOf(w.then, into); }
      if (e.else !== undefined) columnsOf(e.else, into);
      break;
    case 'in': columnsOf(e.arg, into); e.list.forEach((a) => columnsOf(a, into)); break;
    case 'like': columnsOf(e.arg, into); columnsOf(e.pattern, into); break;
  }
  return into;
}

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

function sameKeyType(a: SqlType, b: SqlType): boolean {
  return a.id === b.id && (a.scale ?? 0) === (b.scale ?? 0) && (a.fixed === true) === (b.fixed === true);
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

/** The first build row whose key equals left row i's key, or -1. */
type ChainHead = (i: number) => number;

export class HashPairs implements PairSource {
  private k = 0;
  private chain = -1;
  constructor(
    private readonly sel: Uint32Array | undefined,
    private readonly n: number,
    private readonly headOf: ChainHead,
    private readonly next: Int32Array,
    private readonly firstOnly = false,
  ) {}

  fill(lOut: Int32Array, rOut: Int32Array, max: number): number {
    let m = 0;
    const sel = this.sel;
    const next = this.next;
    while (m < max) {
      if (this.chain >= 0) {
        lOut[m] = sel === undefined ? this.k : sel[this.k]!;
        rOut[m++] = this.chain;
        this.chain = this.firstOnly ? -1 : next[this.chain]!;
        if (this.chain < 0) this.k++;
        continue;
      }
      if (this.k >= this.n) break;
      const h = this.headOf(sel === undefined ? this.k : sel[this.k]!);
      if (h < 0) { this.k++; continue; }
      this.chain = h;
    }
    return m;
  }
}

/**
 * The build side's hash table. Integer keys over a dense range (TPC-H's keys, serial ids) go into a
 * directly indexed array; everything else into a Map from key to the first row of its chain.
 */
export class BuildTable {
  readonly next: Int32Array;
  hasNullKey = false;
  private map: Map<Key, number> | undefined;
  private direct: Int32Array | undefined;
  private min = 0;

  constructor(readers: readonly KeyReader[], vectors: readonly Vector[], rows: number) {
    this.next = new Int32Array(rows);
    const v = vectors.length === 1 ? vectors[0]! : undefined;
    if (v !== undefined && v.kind === 'number' && rows > 0 && this.tryDirect(v, rows)) return;
    const map = new Map<Key, number>();
    for (let r = rows - 1; r >= 0; r--) {
      const key = rowKey(readers, r, false);
      if (key === null) { this.hasNullKey = true; this.next[r] = -1; continue; }
      this.next[r] = map.get(key) ?? -1;
      map.set(key, r);
    }
    this.map = map;
  }

  private tryDirect(v: Extract<Vector, { kind: 'number' }>, rows: number): boolean {
    const data = v.data;
    const valid = v.valid;
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < rows; r++) {
      if (valid !== undefined && valid[r] === 0) continue;
      const x = data[r]!;
      if (!Number.isInteger(x)) return false;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (min === Infinity) return this.empty(rows, valid);
    const range = max - min + 1;
    if (!(range <= DIRECT_RANGE_MAX && range <= 4 * rows + 1024)) return false;
    const head = new Int32Array(range).fill(-1);
    for (let r = rows - 1; r >= 0; r--) {
      if (valid !== undefined && valid[r] === 0) { this.hasNullKey = true; this.next[r] = -1; continue; }
      const slot = data[r]! - min;
      this.next[r] = head[slot]!;
      head[slot] = r;
    }
    this.direct = head;
    this.min = min;
    return true;
  }

  /** Every build key is NULL. */
  private empty(rows: number, valid: Uint8Array | undefined): boolean {
    this.direct = new Int32Array(0);
    this.next.fill(-1);
    this.hasNullKey = rows > 0 && valid !== undefined;
    return true;
  }

  /** Lookup for one probe batch. */
  headOf(readers: readonly KeyReader[], vectors: readonly Vector[]): ChainHead {
    const direct = this.direct;
    const v = vectors.length === 1 ? vectors[0]! : undefined;
    if (direct !== undefined && v !== undefined && v.kind === 'number') {
      const data = v.data;
      const valid = v.valid;
      const min = this.min;
      const size = direct.length;
      return (i) => {
        if (valid !== undefined && valid[i] === 0) return -1;
        const slot = data[i]! - min;
        return slot >= 0 && slot < size && Number.isInteger(slot) ? direct[slot]! : -1;
      };
    }
    if (direct !== undefined) {
      // probe keys of another kind (canonical keys are numbers for integral values)
      const min = this.min;
      return (i) => {
        const key = rowKey(readers, i, false);
        if (typeof key !== 'number') return -1;
        const slot = key - min;
        return slot >= 0 && slot < direct.length && Number.isInteger(slot) ? direct[slot]! : -1;
      };
    }
    const map = this.map!;
    if (v !== undefined && v.kind === 'number' && readers.length === 1) {
      const read = readers[0]!;
      return (i) => {
        const key = read(i);
        return key === null ? -1 : map.get(key) ?? -1;
      };
    }
    return (i) => {
      const key = rowKey(readers, i, false);
      return key === null ? -1 : map.get(key) ?? -1;
    };
  }
}

/** Largest key range (slots) a directly indexed build table may use (4 bytes each). */
const DIRECT_RANGE_MAX = 1 << 24;

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
    const chosen = await chooseInnerBuild(node, rt, leftTypes);
    if (chosen.swapped !== undefined) { yield* chosen.swapped; return; }
    leftSource = replay(chosen.left);
    rightSource = replay(chosen.right);
  }
  const build = await materialize(rightSource, rightTypes, semiOrAnti ? semiBuildColumns(node, leftTypes.length) : undefined);
  const canonical = node.leftKeys.map((e, c) => !sameKeyType(e.type, node.rightKeys[c]!.type));
  const rightKeyVectors = node.rightKeys.map((e) => rt.evaluator(e).vector(build));
  const rightReaders = rightKeyVectors.map((v, c) => keyReader(v, node.rightKeys[c]!.type, canonical[c]!));
  const table = new BuildTable(rightReaders, rightKeyVectors, build.length);
  const buildHasNullKey = table.hasNullKey;
  const residual = node.residual === undefined ? undefined : rt.evaluator(node.residual);
  const joiner = new Joiner(node.joinType, build, leftTypes, residual, rt.batchRowsMax, cancelPointOf(rt.ctx));
  const leftKeyEvals = node.leftKeys.map((e) => rt.evaluator(e));
  const nullAware = node.joinType === 'anti' && node.nullAware === true;
  if (nullAware && buildHasNullKey) return; // x NOT IN (..., NULL, ...) is never TRUE
  for await (const left of leftSource) {
    const n = liveCount(left);
    if (n === 0) continue;
    const leftVectors = leftKeyEvals.map((e) => e.vector(left));
    const readers = leftVectors.map((v, c) => keyReader(v, node.leftKeys[c]!.type, canonical[c]!));
    const leftMatched = new Uint8Array(left.length);
    if (nullAware && build.length > 0) {
      // a NULL probe key is "unknown" against a non-empty list: never returned by NOT IN
      for (let k = 0; k < n; k++) {
        const i = left.selection === undefined ? k : left.selection[k]!;
        if (rowKey(readers, i, false) === null) leftMatched[i] = 1;
      }
    }
    // without a residual, one build row with the key decides a semi/anti join: skip the rest of the chain
    const firstOnly = semiOrAnti && residual === undefined;
    yield* joiner.probe(left, new HashPairs(left.selection, n, table.headOf(readers, leftVectors), table.next, firstOnly), leftMatched);
  }
  yield* joiner.finishRight();
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

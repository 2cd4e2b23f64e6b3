// Inner hash join with the build side chosen at run time (both inputs are read in turn until one ends:
// the one that ended first and is not larger is built, the other streams through as the probe side), and
// the output of a probe against unique build keys: the probe batch's columns pass through untouched.

import { gather, gatherAligned, liveCount } from '../batch.ts';
import { RowBuffer } from '../row-buffer.ts';
import { cancelPointOf } from '../cancel.ts';
import type { Evaluator } from '../expr/evaluator.ts';
import type { Runtime } from '../runtime.ts';
import type { SqlType } from '../../../oltp/types.ts';
import type { Batch, HashJoinNode } from '../spec.ts';
import { BuildTable, HashPairs } from './join-table.ts';

/** Batches read ahead from a stream, then the rest of it. */
export interface Peeked {
  readonly batches: Batch[];
  rows: number;
  /** true when `batches` is the whole input. */
  done: boolean;
  readonly rest: AsyncIterator<Batch>;
}

function startPeek(source: AsyncIterable<Batch>): Peeked {
  return { batches: [], rows: 0, done: false, rest: source[Symbol.asyncIterator]() };
}

async function readOne(p: Peeked): Promise<void> {
  const r = await p.rest.next();
  if (r.done === true) { p.done = true; return; }
  p.batches.push(r.value);
  p.rows += liveCount(r.value);
}

/** The peeked batches followed by the rest of the stream. */
export async function* replay(p: Peeked): AsyncGenerator<Batch> {
  try {
    yield* p.batches;
    if (p.done) return;
    for (;;) {
      const r = await p.rest.next();
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    // a consumer that stops early (LIMIT, an error) closes the source too, as a for-await over it would
    if (!p.done) await p.rest.return?.();
  }
}

/**
 * Decides the build side of an inner, semi or anti join by reading the input with fewer rows so far (the right one on
 * a tie) until one input has ended and holds no more rows than the other has shown: that one is built.
 * Memory stays within about twice the smaller input, which is materialized anyway.
 */
export async function chooseBuildSide(node: HashJoinNode, rt: Runtime): Promise<{ left: Peeked; right: Peeked; buildLeft: boolean }> {
  const left = startPeek(rt.open(node.left));
  const right = startPeek(rt.open(node.right));
  try {
    for (;;) {
      if (right.done && right.rows <= left.rows) return { left, right, buildLeft: false };
      if (left.done && left.rows <= right.rows) return { left, right, buildLeft: true };
      await readOne(!right.done && (left.done || right.rows <= left.rows) ? right : left);
    }
  } catch (error) {
    if (!left.done) await left.rest.return?.();
    if (!right.done) await right.rest.return?.();
    throw error;
  }
}

/** Below one match per this many physical probe rows, a unique-key probe gathers both sides instead. */
const SPARSE_MATCH_SHARE = 4;

/**
 * Output of one probe batch against a build table whose keys are unique: the probe's columns as they are,
 * the build's columns fetched at the same physical rows, and a selection of the rows that matched (and
 * pass the residual). `buildFirst` puts the build columns before the probe's.
 */
export function uniqueMatchBatch(probe: Batch, heads: Int32Array, n: number, build: Batch, buildFirst: boolean, residual: Evaluator | undefined): Batch | undefined {
  const sel = probe.selection;
  const idx = new Int32Array(probe.length);
  const rows = new Uint32Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const h = heads[k]!;
    if (h < 0) continue;
    const i = sel === undefined ? k : sel[k]!;
    idx[i] = h;
    rows[m++] = i;
  }
  if (m === 0) return undefined;
  if (m * SPARSE_MATCH_SHARE < probe.length) return compactMatchBatch(probe, idx, rows.subarray(0, m), build, buildFirst, residual);
  const fetched = build.columns.map((v) => gatherAligned(v, idx, rows, m, probe.length));
  const batch: Batch = buildFirst
    ? { length: probe.length, columns: [...fetched, ...probe.columns], types: [...build.types, ...probe.types], selection: rows.subarray(0, m) }
    : { length: probe.length, columns: [...probe.columns, ...fetched], types: [...probe.types, ...build.types], selection: rows.subarray(0, m) };
  if (residual === undefined) return batch;
  const selection = residual.select(batch);
  return selection.length === 0 ? undefined : { ...batch, selection };
}

/**
 * Few matches in a large probe batch: full-length build columns would be mostly unused memory, so both
 * sides are gathered into a batch of just the matching rows.
 */
function compactMatchBatch(probe: Batch, idx: Int32Array, rows: Uint32Array, build: Batch, buildFirst: boolean, residual: Evaluator | undefined): Batch | undefined {
  const m = rows.length;
  const buildRows = new Int32Array(m);
  for (let k = 0; k < m; k++) buildRows[k] = idx[rows[k]!]!;
  const fetched = build.columns.map((v, c) => gather(v, build.types[c]!, buildRows, m));
  const kept = probe.columns.map((v, c) => gather(v, probe.types[c]!, rows, m));
  const batch: Batch = buildFirst
    ? { length: m, columns: [...fetched, ...kept], types: [...build.types, ...probe.types], selection: undefined }
    : { length: m, columns: [...kept, ...fetched], types: [...probe.types, ...build.types], selection: undefined };
  if (residual === undefined) return batch;
  const selection = residual.select(batch);
  return selection.length === 0 ? undefined : { ...batch, selection };
}

/** The inner join with the left input as the build side (output columns stay left ++ right). */
export async function* buildLeftJoin(node: HashJoinNode, rt: Runtime, leftTypes: readonly SqlType[], left: Peeked, right: Peeked): AsyncGenerator<Batch> {
  if (left.rows === 0) {
    if (!right.done) await right.rest.return?.();
    return;
  }
  const leftBuffer = new RowBuffer(leftTypes);
  for (const b of left.batches) leftBuffer.appendBatch(b);
  const build = leftBuffer.take();
  const buildKeys = node.leftKeys.map((e) => rt.evaluator(e).vector(build));
  const table = new BuildTable(buildKeys, node.leftKeys.map((e) => e.type), node.rightKeys.map((e) => e.type), build.length);
  const probeKeyEvals = node.rightKeys.map((e) => rt.evaluator(e));
  const residual = node.residual === undefined ? undefined : rt.evaluator(node.residual);
  const chunkRowsMax = rt.batchRowsMax;
  const probeIdx = new Int32Array(chunkRowsMax);
  const buildIdx = new Int32Array(chunkRowsMax);
  let heads = new Int32Array(0);
  const point = cancelPointOf(rt.ctx);
  for await (const probe of replay(right)) {
    const n = liveCount(probe);
    if (n === 0) continue;
    if (heads.length < n) heads = new Int32Array(Math.max(n, 1024));
    table.probe(probeKeyEvals.map((e) => e.vector(probe)), probe.selection, n, heads);
    if (table.unique) {
      const out = uniqueMatchBatch(probe, heads, n, build, true, residual);
      if (out !== undefined) yield out;
      continue;
    }
    const pairs = new HashPairs(probe.selection, n, heads, table.next);
    for (;;) {
      if (point?.due() === true) await point.pause();
      const count = pairs.fill(probeIdx, buildIdx, chunkRowsMax);
      if (count === 0) break;
      const bIdx = buildIdx.slice(0, count);
      const pIdx = probeIdx.slice(0, count);
      const columns = [
        ...build.columns.map((v, c) => gather(v, build.types[c]!, bIdx, count)),
        ...probe.columns.map((v, c) => gather(v, probe.types[c]!, pIdx, count)),
      ];
      const batch: Batch = { length: count, columns, types: [...build.types, ...probe.types], selection: undefined };
      const selection = residual === undefined ? undefined : residual.select(batch);
      if (selection === undefined || selection.length > 0) yield { ...batch, selection };
    }
  }
}

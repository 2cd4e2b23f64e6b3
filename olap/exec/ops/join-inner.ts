// Inner hash join with the build side chosen at run time: when the left input turns out to be the
// smaller one, the hash table is built on it and the right input streams through as the probe side.

import { gather, liveCount, RowBuffer } from '../batch.ts';
import { cancelPointOf } from '../cancel.ts';
import { keyReader } from '../keys.ts';
import type { Runtime } from '../runtime.ts';
import type { SqlType } from '../../../oltp/types.ts';
import type { Batch, HashJoinNode } from '../spec.ts';
import { BuildTable, HashPairs } from './join.ts';

/** A left input larger than this is never buffered to compare sizes: it streams as the probe side. */
const LEFT_BUFFER_ROWS_MAX = 1 << 17;

/** Batches read ahead from a stream, then the rest of it. */
export interface Peeked {
  readonly batches: readonly Batch[];
  readonly rows: number;
  /** true when `batches` is the whole input. */
  readonly done: boolean;
  readonly rest: AsyncIterator<Batch>;
}

/** Reads batches from `source` until more than `rowsMax` live rows or the end. */
export async function peek(source: AsyncIterable<Batch>, rowsMax: number): Promise<Peeked> {
  const rest = source[Symbol.asyncIterator]();
  const batches: Batch[] = [];
  let rows = 0;
  while (rows <= rowsMax) {
    const r = await rest.next();
    if (r.done === true) return { batches, rows, done: true, rest };
    batches.push(r.value);
    rows += liveCount(r.value);
  }
  return { batches, rows, done: false, rest };
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
 * Decides the build side of an inner join: reads the left input first (up to LEFT_BUFFER_ROWS_MAX rows),
 * then the right one until it has more rows than the whole left. Returns undefined when the right input
 * is the smaller (the caller builds on it as usual, from `left` and `right` replayed); otherwise runs the
 * join with the left input as the build side.
 */
export async function chooseInnerBuild(node: HashJoinNode, rt: Runtime, leftTypes: readonly SqlType[]): Promise<{ left: Peeked; right: Peeked; swapped?: AsyncGenerator<Batch> }> {
  const left = await peek(rt.open(node.left), LEFT_BUFFER_ROWS_MAX);
  if (!left.done) return { left, right: { batches: [], rows: 0, done: false, rest: rt.open(node.right)[Symbol.asyncIterator]() } };
  const right = await peek(rt.open(node.right), left.rows);
  if (right.done && right.rows <= left.rows) return { left, right };
  return { left, right, swapped: buildLeftJoin(node, rt, leftTypes, left, right) };
}

async function* buildLeftJoin(node: HashJoinNode, rt: Runtime, leftTypes: readonly SqlType[], left: Peeked, right: Peeked): AsyncGenerator<Batch> {
  if (left.rows === 0) return;
  const leftBuffer = new RowBuffer(leftTypes);
  for (const b of left.batches) leftBuffer.appendBatch(b);
  const build = leftBuffer.take();
  const canonical = node.leftKeys.map((e, c) => !sameKeyType(e.type, node.rightKeys[c]!.type));
  const buildKeys = node.leftKeys.map((e) => rt.evaluator(e).vector(build));
  const table = new BuildTable(buildKeys.map((v, c) => keyReader(v, node.leftKeys[c]!.type, canonical[c]!)), buildKeys, build.length);
  const probeKeyEvals = node.rightKeys.map((e) => rt.evaluator(e));
  const residual = node.residual === undefined ? undefined : rt.evaluator(node.residual);
  const chunkRowsMax = rt.batchRowsMax;
  const probeIdx = new Int32Array(chunkRowsMax);
  const buildIdx = new Int32Array(chunkRowsMax);
  const point = cancelPointOf(rt.ctx);
  for await (const probe of replay(right)) {
    const n = liveCount(probe);
    if (n === 0) continue;
    const vectors = probeKeyEvals.map((e) => e.vector(probe));
    const readers = vectors.map((v, c) => keyReader(v, node.rightKeys[c]!.type, canonical[c]!));
    const pairs = new HashPairs(probe.selection, n, table.headOf(readers, vectors), table.next);
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

function sameKeyType(a: HashJoinNode['leftKeys'][number]['type'], b: HashJoinNode['leftKeys'][number]['type']): boolean {
  return a.id === b.id && (a.scale ?? 0) === (b.scale ?? 0) && (a.fixed === true) === (b.fixed === true);
}

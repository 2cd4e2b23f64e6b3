// Semi and anti joins whose left input turned out the smaller: the hash table is built on the left rows,
// the right input streams through marking the left rows it matches (pairs only for the residual), and the
// marked (semi) or unmarked (anti) left rows come out at the end. A semi join stops reading the right
// input once every left row that can match has matched. Not for null-aware anti joins (NOT IN).

import type { SqlType } from '../../../oltp/types.ts';
import { gather, liveCount } from '../batch.ts';
import { cancelPointOf } from '../cancel.ts';
import { RowBuffer } from '../row-buffer.ts';
import type { Runtime } from '../runtime.ts';
import type { Batch, HashJoinNode, Vector } from '../spec.ts';
import { replay, type Peeked } from './join-inner.ts';
import { BuildTable, HashPairs } from './join-table.ts';
import { columnsOf } from './columns.ts';

/** A vector standing in for a column the residual does not read. */
const UNREAD: Vector = { kind: 'number', data: new Float64Array(0), valid: undefined };

export async function* semiJoinBuildLeft(node: HashJoinNode, rt: Runtime, leftTypes: readonly SqlType[], rightTypes: readonly SqlType[], left: Peeked, right: Peeked): AsyncGenerator<Batch> {
  const buffer = new RowBuffer(leftTypes);
  for (const b of left.batches) buffer.appendBatch(b);
  const build = buffer.take();
  if (build.length === 0) {
    if (!right.done) await right.rest.return?.();
    return;
  }
  const buildKeys = node.leftKeys.map((e) => rt.evaluator(e).vector(build));
  const table = new BuildTable(buildKeys, node.leftKeys.map((e) => e.type), node.rightKeys.map((e) => e.type), build.length);
  const matched = new Uint8Array(build.length);
  const matchable = build.length - nullKeyRows(buildKeys, build.length);
  let matchedCount = 0;
  const semi = node.joinType === 'semi';
  const residual = node.residual === undefined ? undefined : rt.evaluator(node.residual);
  const residualColumns = residual === undefined ? undefined : columnsOf(residual.expr);
  const probeKeyEvals = node.rightKeys.map((e) => rt.evaluator(e));
  const chunkRowsMax = rt.batchRowsMax;
  const probeIdx = new Int32Array(chunkRowsMax);
  const buildIdx = new Int32Array(chunkRowsMax);
  const next = table.next;
  let heads = new Int32Array(0);
  const point = cancelPointOf(rt.ctx);
  for await (const probe of replay(right)) {
    if (semi && matchedCount === matchable) break;
    const n = liveCount(probe);
    if (n === 0) continue;
    if (heads.length < n) heads = new Int32Array(Math.max(n, 1024));
    table.probe(probeKeyEvals.map((e) => e.vector(probe)), probe.selection, n, heads);
    if (residual === undefined) {
      for (let k = 0; k < n; k++) {
        for (let h = heads[k]!; h >= 0; h = next[h]!) {
          if (matched[h] === 0) { matched[h] = 1; matchedCount++; }
        }
      }
      continue;
    }
    const pairs = new HashPairs(probe.selection, n, heads, next);
    for (;;) {
      if (point?.due() === true) await point.pause();
      const filled = pairs.fill(probeIdx, buildIdx, chunkRowsMax);
      if (filled === 0) break;
      // a left row that already matched needs no more residual checks
      let count = 0;
      for (let p = 0; p < filled; p++) {
        if (matched[buildIdx[p]!] === 1) continue;
        probeIdx[count] = probeIdx[p]!;
        buildIdx[count++] = buildIdx[p]!;
      }
      if (count === 0) continue;
      const bIdx = buildIdx.slice(0, count);
      const pIdx = probeIdx.slice(0, count);
      const width = build.columns.length;
      const columns = [
        ...build.columns.map((v, c) => (residualColumns!.has(c) ? gather(v, build.types[c]!, bIdx, count) : UNREAD)),
        ...probe.columns.map((v, c) => (residualColumns!.has(width + c) ? gather(v, rightTypes[c]!, pIdx, count) : UNREAD)),
      ];
      const selection: Uint32Array = residual.select({ length: count, columns, types: [...build.types, ...rightTypes], selection: undefined });
      for (let k = 0; k < selection.length; k++) {
        const h = bIdx[selection[k]!]!;
        if (matched[h] === 0) { matched[h] = 1; matchedCount++; }
      }
    }
  }
  yield* emitMarked(build, matched, semi ? 1 : 0, chunkRowsMax);
}

/** Rows of the build batch whose mark equals `want`, in batches of at most batchRowsMax live rows. */
function* emitMarked(build: Batch, matched: Uint8Array, want: number, batchRowsMax: number): Generator<Batch> {
  const rows = new Uint32Array(build.length);
  let m = 0;
  for (let i = 0; i < build.length; i++) if (matched[i] === want) rows[m++] = i;
  for (let start = 0; start < m; start += batchRowsMax) {
    yield { ...build, selection: rows.subarray(start, Math.min(m, start + batchRowsMax)) };
  }
}

/** Rows with a NULL in some key column (they never match). */
function nullKeyRows(keys: readonly Vector[], rows: number): number {
  let count = 0;
  for (let i = 0; i < rows; i++) {
    for (const v of keys) {
      if (v.valid !== undefined && v.valid[i] === 0) { count++; break; }
    }
  }
  return count;
}

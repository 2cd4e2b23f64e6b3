// DISTINCT and the set operations UNION / INTERSECT / EXCEPT [ALL]: rows are hashed on all columns with
// NULLs equal; first occurrences are kept with a selection vector, so nothing is copied.

import type { SqlType } from '../../../oltp/types.ts';
import { liveCount } from '../batch.ts';
import { keyReader, rowKey, type Key } from '../keys.ts';
import type { Runtime } from '../runtime.ts';
import type { Batch, DistinctNode, PlanNode, SetOpNode } from '../spec.ts';

function rowKeys(batch: Batch, types: readonly SqlType[]): { keys: (Key | null)[]; rows: Uint32Array } {
  const readers = batch.columns.map((v, c) => keyReader(v, types[c]!, true));
  const n = liveCount(batch);
  const rows = new Uint32Array(n);
  const keys: (Key | null)[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = batch.selection === undefined ? k : batch.selection[k]!;
    rows[k] = i;
    keys[k] = rowKey(readers, i, true);
  }
  return { keys, rows };
}

async function* distinctRows(inputs: readonly PlanNode[], types: readonly SqlType[], rt: Runtime): AsyncGenerator<Batch> {
  const seen = new Set<Key | null>();
  for (const input of inputs) {
    for await (const batch of rt.open(input)) {
      const { keys, rows } = rowKeys(batch, batch.types);
      const out = new Uint32Array(rows.length);
      let m = 0;
      for (let k = 0; k < rows.length; k++) {
        if (seen.has(keys[k]!)) continue;
        seen.add(keys[k]!);
        out[m++] = rows[k]!;
      }
      if (m > 0) yield { ...batch, types, selection: out.subarray(0, m) };
    }
  }
}

export function distinctOp(node: DistinctNode, rt: Runtime, types: readonly SqlType[]): AsyncGenerator<Batch> {
  return distinctRows([node.input], types, rt);
}

export async function* setOp(node: SetOpNode, rt: Runtime, types: readonly SqlType[]): AsyncGenerator<Batch> {
  if (node.op === 'union') {
    if (!node.all) { yield* distinctRows([node.left, node.right], types, rt); return; }
    for await (const batch of rt.open(node.left)) yield { ...batch, types };
    for await (const batch of rt.open(node.right)) yield { ...batch, types };
    return;
  }
  const counts = new Map<Key | null, number>();
  for await (const batch of rt.open(node.right)) {
    for (const key of rowKeys(batch, batch.types).keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const emitted = new Set<Key | null>();
  for await (const batch of rt.open(node.left)) {
    const { keys, rows } = rowKeys(batch, batch.types);
    const out = new Uint32Array(rows.length);
    let m = 0;
    for (let k = 0; k < rows.length; k++) {
      const key = keys[k]!;
      const inRight = counts.get(key) ?? 0;
      let keep: boolean;
      if (node.op === 'intersect') {
        if (node.all) { keep = inRight > 0; if (keep) counts.set(key, inRight - 1); }
        else keep = inRight > 0 && !emitted.has(key);
      } else if (node.all) {
        keep = inRight === 0;
        if (!keep) counts.set(key, inRight - 1);
      } else {
        keep = inRight === 0 && !emitted.has(key);
      }
      if (keep) {
        if (!node.all) emitted.add(key);
        out[m++] = rows[k]!;
      }
    }
    if (m > 0) yield { ...batch, types, selection: out.subarray(0, m) };
  }
}

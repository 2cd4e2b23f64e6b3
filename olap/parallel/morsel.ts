// Morsels: runs of stable blocks that the learner thread and the helper claim one at a time from a shared
// counter (Atomics), so whichever thread is free takes the next run; and a block's rows visible at ts.
import type { Batch, Vector } from '../exec/spec.ts';
import type { SqlType } from '../../oltp/types.ts';

/**
 * Blocks per morsel: 2 x 2048 rows, so a thread that is slow to get a core (the helper runs at low priority)
 * holds up the end of a query by at most one short morsel; claiming is one atomic add, cheap at any size.
 */
export const MORSEL_BLOCKS = 2;

/** A claim counter no thread will ever reach again: stops both threads' claiming (cancel, error). */
export const MORSELS_STOPPED = 0x3fffffff;

export function newMorselCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Items of the morsels this thread claims, in claim order; both threads together see each item once. */
export function* claimed<T>(items: readonly T[], counter: Int32Array, morselItems = MORSEL_BLOCKS): Generator<T> {
  for (;;) {
    const m = Atomics.add(counter, 0, 1);
    const first = m * morselItems;
    if (m >= MORSELS_STOPPED || first >= items.length) return;
    const last = Math.min(items.length, first + morselItems);
    for (let i = first; i < last; i++) yield items[i]!;
  }
}

/** One block as a batch of the rows visible at ts (begin <= ts < end), or undefined when none is. */
export function visibleRows(rows: number, begin: Float64Array, end: Float64Array, ts: number, columns: Vector[], types: SqlType[]): Batch | undefined {
  let sel: Uint32Array | undefined;
  let k = 0;
  for (let i = 0; i < rows; i++) {
    const visible = begin[i]! <= ts && ts < end[i]!;
    if (visible && sel === undefined) { k++; continue; }
    if (!visible && sel === undefined) {
      // the first hidden row: from here on the visible ones are listed
      sel = new Uint32Array(rows);
      for (let j = 0; j < k; j++) sel[j] = j;
    }
    if (visible) sel![k++] = i;
  }
  if (k === 0) return undefined;
  return { length: rows, columns, types, selection: sel === undefined ? undefined : sel.subarray(0, k) };
}

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

/** Slot 0: the next morsel to claim; slot 1: 1 once the learner gave up on the helper's share (see two-phase.ts). */
export function newMorselCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

export function abandon(counter: Int32Array): void {
  Atomics.store(counter, 1, 1);
}

export function abandoned(counter: Int32Array): boolean {
  return Atomics.load(counter, 1) === 1;
}

/**
 * Items of the morsels this thread claims, in claim order; both threads together see each item once. A claim
 * is one compare-and-swap that only ever moves the counter to a morsel that exists, so after `stopClaims` the
 * counter says exactly how many morsels were claimed (`tally` lists this thread's).
 */
export function* claimed<T>(items: readonly T[], counter: Int32Array, morselItems = MORSEL_BLOCKS, tally?: number[]): Generator<T> {
  const morsels = Math.ceil(items.length / morselItems);
  for (;;) {
    const m = Atomics.load(counter, 0);
    if (m >= morsels) return;
    if (Atomics.compareExchange(counter, 0, m, m + 1) !== m) continue;
    tally?.push(m);
    const last = Math.min(items.length, (m + 1) * morselItems);
    for (let i = m * morselItems; i < last; i++) yield items[i]!;
  }
}

/** Ends claiming for both threads; returns how many morsels were claimed in all. */
export function stopClaims(counter: Int32Array): number {
  const claimedMorsels = Atomics.exchange(counter, 0, MORSELS_STOPPED);
  return claimedMorsels >= MORSELS_STOPPED ? 0 : claimedMorsels;
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

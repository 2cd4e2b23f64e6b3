// The hash join's table for sparse integer keys whose combined code fits in an int32 (order keys, part and
// supplier keys): first build row per key in an open-addressing table of int32 keys, hashed by one multiply
// (Fibonacci hashing). NumberMap handles any double and costs two finalizer rounds and a double compare per
// slot; in isolation this probe took a quarter of its time.

import { assert } from '../../../oltp/errors.ts';

const EMPTY = -1;
/** Largest combined key this table holds (keys are 0..INT_KEY_MAX). */
export const INT_KEY_MAX = 0x7fffffff;

export class IntJoinMap {
  private readonly keys: Int32Array;
  /** First build row of the key in the same slot, EMPTY for a free slot. */
  private readonly heads: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(expectedKeys: number) {
    let bits = 4;
    while (1 << bits < expectedKeys * 2) bits++;
    assert(bits <= 30, 'IntJoinMap capacity fits an int32 index');
    this.keys = new Int32Array(1 << bits);
    this.heads = new Int32Array(1 << bits).fill(EMPTY);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  /** Sets key (0..INT_KEY_MAX) to row (≥ 0) and returns the row it held before, or -1. */
  put(key: number, row: number): number {
    const keys = this.keys;
    const heads = this.heads;
    let slot = Math.imul(key, -1640531535) >>> this.shift;
    for (;;) {
      const h = heads[slot]!;
      if (h === EMPTY) break;
      if (keys[slot] === key) { heads[slot] = row; return h; }
      slot = (slot + 1) & this.mask;
    }
    keys[slot] = key;
    heads[slot] = row;
    return EMPTY;
  }

  /** out[k] = the row of keys[k] when ok[k] === 1 (else, or when absent, -1), for k < n. */
  lookupAll(keys: Float64Array, ok: Uint8Array, n: number, out: Int32Array): void {
    const table = this.keys;
    const heads = this.heads;
    const mask = this.mask;
    const shift = this.shift;
    for (let k = 0; k < n; k++) {
      if (ok[k] === 0) { out[k] = EMPTY; continue; }
      const key = keys[k]! | 0;
      let slot = Math.imul(key, -1640531535) >>> shift;
      let h = heads[slot]!;
      while (h !== EMPTY && table[slot] !== key) {
        slot = (slot + 1) & mask;
        h = heads[slot]!;
      }
      out[k] = h;
    }
  }

  /** The row of one key (0..INT_KEY_MAX), or -1. */
  get(key: number): number {
    let slot = Math.imul(key, -1640531535) >>> this.shift;
    for (;;) {
      const h = this.heads[slot]!;
      if (h === EMPTY || this.keys[slot] === key) return h;
      slot = (slot + 1) & this.mask;
    }
  }
}

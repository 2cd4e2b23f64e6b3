// A hash map from numbers (doubles: integers, scaled decimals, combined key codes) to non-negative int32
// values, open addressing over typed arrays: no object and no boxed number per entry, unlike a Map,
// whose per-key cost dominated grouping and join builds over 100k+ distinct keys.

import { assert } from '../../oltp/errors.ts';

const EMPTY = -1;

// Reading a non-integer double's two 32-bit halves needs one shared scratch slot.
const scratch = new Float64Array(1);
const halves = new Uint32Array(scratch.buffer);

/** MurmurHash3's finalizer: every input bit affects every output bit (the table masks the low bits). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hashOf(x: number): number {
  // integers (ids, dates, scaled decimals, combined codes) hash by value: a double's low mantissa word
  // is zero for every small integer, so hashing the raw bits would collide
  if (x === Math.floor(x) && x <= 9007199254740991 && x >= -9007199254740991) {
    return fmix32((x >>> 0) ^ fmix32(((x / 4294967296) | 0) ^ 0x9e3779b9));
  }
  scratch[0] = x;
  return fmix32(halves[0]! ^ fmix32(halves[1]! ^ 0x7f4a7c15));
}

export class NumberMap {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  private nanValue = EMPTY;
  /** Number of keys held. */
  size = 0;

  constructor(expectedKeys = 16) {
    let cap = 16;
    while (cap < expectedKeys * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  /** The value of key x, or -1. -0 and 0 are one key; NaN is a key equal to itself. */
  get(x: number): number {
    if (x !== x) return this.nanValue;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let slot = hashOf(x + 0) & mask;
    for (;;) {
      const v = values[slot]!;
      if (v === EMPTY || keys[slot] === x) return v;
      slot = (slot + 1) & mask;
    }
  }

  /** The value of key x; when absent, x is inserted with `value` (≥ 0), which is returned. */
  intern(x: number, value: number): number {
    if (x !== x) {
      if (this.nanValue === EMPTY) { this.nanValue = value; this.size++; }
      return this.nanValue;
    }
    const key = x + 0;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let slot = hashOf(key) & mask;
    for (;;) {
      const v = values[slot]!;
      if (v === EMPTY) break;
      if (keys[slot] === key) return v;
      slot = (slot + 1) & mask;
    }
    assert(value >= 0, 'NumberMap values are non-negative');
    keys[slot] = key;
    values[slot] = value;
    if (++this.size * 2 > mask) this.rehash();
    return value;
  }

  /** Sets key x to `value` (≥ 0) and returns the previous value or -1. */
  put(x: number, value: number): number {
    if (x !== x) {
      const before = this.nanValue;
      if (before === EMPTY) this.size++;
      this.nanValue = value;
      return before;
    }
    const key = x + 0;
    const mask = this.mask;
    let slot = hashOf(key) & mask;
    for (;;) {
      const v = this.values[slot]!;
      if (v === EMPTY) break;
      if (this.keys[slot] === key) { this.values[slot] = value; return v; }
      slot = (slot + 1) & mask;
    }
    this.keys[slot] = key;
    this.values[slot] = value;
    if (++this.size * 2 > mask) this.rehash();
    return EMPTY;
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const cap = oldValues.length * 2;
    const keys = new Float64Array(cap);
    const values = new Int32Array(cap).fill(EMPTY);
    const mask = cap - 1;
    for (let s = 0; s < oldValues.length; s++) {
      const v = oldValues[s]!;
      if (v === EMPTY) continue;
      const key = oldKeys[s]!;
      let slot = hashOf(key) & mask;
      while (values[slot] !== EMPTY) slot = (slot + 1) & mask;
      keys[slot] = key;
      values[slot] = v;
    }
    this.keys = keys;
    this.values = values;
    this.mask = mask;
  }
}

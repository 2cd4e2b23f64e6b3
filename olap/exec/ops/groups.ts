// Group ids for hash aggregation: each key column maps its values to small integer codes (dictionary
// columns through their codes, without touching the strings), and the codes of all key columns combine
// into one number (or, when they no longer fit, a short string) that maps to the group id.

import type { SqlType } from '../../../oltp/types.ts';
import { assert } from '../../../oltp/errors.ts';
import { NumberMap } from '../number-map.ts';
import { trimBlanks } from '../values.ts';
import type { Batch, Vector } from '../spec.ts';

/** Bounds of the directly indexed codes: up to this many slots per code assigned (plus a minimum). */
const DIRECT_SLOTS_PER_CODE = 8;
const DIRECT_SLOTS_MIN = 8192;
/** Bits of the directly indexed table for several key columns whose codes are all small. */
const SMALL_KEY_BITS = 12;

/** Small integer codes for the values of one key column (NULL is a value of its own here). */
export class ColumnCodes {
  // one column has one type, so keys never mix kinds and need no type prefix; numbers (the common case:
  // integer ids, dates, scaled decimals) go into a typed-array hash map, strings into a Map
  private readonly numbers = new NumberMap();
  private direct = new Int32Array(0);
  private readonly strings = new Map<string, number>();
  private nullCode = -1;
  private dict: readonly string[] | undefined;
  private dictCodes = new Int32Array(0);
  private readonly fixed: boolean;
  constructor(type: SqlType) { this.fixed = type.fixed === true; }

  /** Writes the code of each live row into out[i]. */
  encode(v: Vector, rows: Uint32Array | undefined, n: number, out: Int32Array): void {
    const valid = v.valid;
    switch (v.kind) {
      case 'dict': {
        if (v.dict !== this.dict || this.dictCodes.length !== v.dict.length) {
          // a new dictionary, or one that grew in place: codes are re-resolved lazily
          this.dict = v.dict;
          this.dictCodes = new Int32Array(v.dict.length).fill(-1);
        }
        const remap = this.dictCodes;
        const codes = v.codes;
        for (let k = 0; k < n; k++) {
          const i = rows === undefined ? k : rows[k]!;
          if (valid !== undefined && valid[i] === 0) { out[i] = this.nullOf(); continue; }
          let c = remap[codes[i]!]!;
          if (c < 0) {
            c = this.stringCode(this.text(v.dict[codes[i]!]!));
            remap[codes[i]!] = c;
          }
          out[i] = c;
        }
        return;
      }
      case 'string': {
        const data = v.data;
        for (let k = 0; k < n; k++) {
          const i = rows === undefined ? k : rows[k]!;
          out[i] = valid !== undefined && valid[i] === 0 ? this.nullOf() : this.stringCode(this.text(data[i]!));
        }
        return;
      }
      case 'number': case 'decimal': case 'bool': {
        const data = v.data;
        // a run of equal keys (input clustered by the key, as lineitem is by l_orderkey) reuses the last
        // code; NaN never equals itself, so it always takes the lookup
        let last = NaN;
        let lastCode = -1;
        for (let k = 0; k < n; k++) {
          const i = rows === undefined ? k : rows[k]!;
          if (valid !== undefined && valid[i] === 0) { out[i] = this.nullOf(); continue; }
          const x = data[i]!;
          if (x !== last) { last = x; lastCode = this.numberCode(x); }
          out[i] = lastCode;
        }
        return;
      }
      case 'bigdecimal': {
        const data = v.data;
        for (let k = 0; k < n; k++) {
          const i = rows === undefined ? k : rows[k]!;
          if (valid !== undefined && valid[i] === 0) { out[i] = this.nullOf(); continue; }
          const x = data[i]!;
          // equal to what a 'decimal' vector of the same column gives for values that fit
          out[i] = x <= 9007199254740991n && x >= -9007199254740991n ? this.numberCode(Number(x)) : this.stringCode(x.toString());
        }
        return;
      }
    }
  }

  private text(s: string): string {
    return this.fixed ? trimBlanks(s) : s;
  }

  private nullOf(): number {
    if (this.nullCode < 0) this.nullCode = this.next++;
    return this.nullCode;
  }

  private next = 0;
  /** Number of distinct values (codes 0..size-1) seen so far. */
  get size(): number { return this.next; }

  /**
   * Small non-negative integers (ids, often scanned in key order) are looked up in a directly indexed
   * array, grown while it stays within DIRECT_SLOTS_PER_CODE slots per code so far; other numbers in the
   * hash map. A value that went to the map before the array covered it is found there and then cached
   * in its slot, so every value keeps one code.
   */
  private numberCode(x: number): number {
    if ((x | 0) === x && x >= 0) {
      if (x >= this.direct.length && x < (this.next + DIRECT_SLOTS_MIN) * DIRECT_SLOTS_PER_CODE) this.growDirect(x);
      const direct = this.direct;
      if (x < direct.length) {
        // slots hold code + 1, so a new array's zeros mean "no code yet" without a fill pass
        const slot = direct[x]!;
        if (slot > 0) return slot - 1;
        let c = this.numbers.size > 0 ? this.numbers.get(x) : -1;
        if (c < 0) c = this.next++;
        direct[x] = c + 1;
        return c;
      }
    }
    const c = this.numbers.intern(x, this.next);
    if (c === this.next) this.next++;
    return c;
  }

  private growDirect(x: number): void {
    const grown = new Int32Array(Math.max(x + 1, this.direct.length * 2, 1024));
    grown.set(this.direct);
    this.direct = grown;
  }

  // a bigdecimal column's out-of-range values are strings here too, but only strings of digits, and a
  // string column never holds numbers: the two maps never see one value twice
  private stringCode(key: string): number {
    let c = this.strings.get(key);
    if (c === undefined) {
      c = this.next++;
      this.strings.set(key, c);
    }
    return c;
  }
}

export class GroupTable {
  private readonly columns: ColumnCodes[];
  private readonly combined = new NumberMap();
  private readonly combinedStrings = new Map<string, number>();
  private codes: Int32Array[] = [];
  private fresh = new Uint32Array(0);
  // a combination of codes all below 2^(SMALL_KEY_BITS / columns) always goes here, any other never does,
  // so each group has one home
  private readonly small = new Int32Array(2 ** SMALL_KEY_BITS).fill(-1);
  /** Number of groups so far; ids are 0..count-1 in first-seen order. */
  count = 0;

  constructor(types: readonly SqlType[]) {
    this.columns = types.map((t) => new ColumnCodes(t));
  }

  /**
   * Fills gids[i] for the live rows and returns the rows that started a new group, in order (reused by the
   * next call), so the caller can record the groups' key values with one gather per batch.
   */
  assign(batch: Batch, vectors: readonly Vector[], gids: Int32Array): Uint32Array {
    const rows = batch.selection;
    const n = rows === undefined ? batch.length : rows.length;
    if (this.fresh.length < n) this.fresh = new Uint32Array(Math.max(n, 1024));
    const fresh = this.fresh;
    let m = 0;
    if (vectors.length === 1) {
      // one column's codes are handed out in first-seen order, as group ids are: the code is the group id,
      // and a row whose code equals the count so far starts the next group
      this.columns[0]!.encode(vectors[0]!, rows, n, gids);
      let count = this.count;
      for (let k = 0; k < n; k++) {
        const i = rows === undefined ? k : rows[k]!;
        if (gids[i] === count) { count++; fresh[m++] = i; }
      }
      assert(count === this.columns[0]!.size, 'group ids out of step with the key codes');
      this.count = count;
      return fresh.subarray(0, m);
    }
    while (this.codes.length < vectors.length) this.codes.push(new Int32Array(0));
    for (let c = 0; c < vectors.length; c++) {
      if (this.codes[c]!.length < batch.length) this.codes[c] = new Int32Array(Math.max(batch.length, 1024));
      this.columns[c]!.encode(vectors[c]!, rows, n, this.codes[c]!);
    }
    const bits = Math.floor(52 / vectors.length);
    const radix = 2 ** bits;
    const width = vectors.length;
    const smallBits = Math.floor(SMALL_KEY_BITS / width);
    const small = this.small;
    for (let k = 0; k < n; k++) {
      const i = rows === undefined ? k : rows[k]!;
      // few distinct values per column (TPC-H Q1's flags): the combined code indexes a small array directly
      let smallKey = 0;
      for (let c = 0; c < width; c++) {
        const code = this.codes[c]![i]!;
        if (code >>> smallBits !== 0) { smallKey = -1; break; }
        smallKey = (smallKey << smallBits) | code;
      }
      if (smallKey >= 0) {
        let g = small[smallKey]!;
        if (g < 0) { g = this.count++; small[smallKey] = g; fresh[m++] = i; }
        gids[i] = g;
        continue;
      }
      let key = 0;
      let fits = true;
      for (let c = 0; c < width; c++) {
        const code = this.codes[c]![i]!;
        if (code >= radix) { fits = false; break; }
        key = key * radix + code;
      }
      let g: number;
      if (fits) {
        g = this.combined.intern(key, this.count);
      } else {
        const text = this.stringKey(i);
        g = this.combinedStrings.get(text) ?? this.count;
        if (g === this.count) this.combinedStrings.set(text, g);
      }
      if (g === this.count) { this.count++; fresh[m++] = i; }
      gids[i] = g;
    }
    return fresh.subarray(0, m);
  }

  private stringKey(i: number): string {
    let s = '';
    for (let c = 0; c < this.columns.length; c++) s += this.codes[c]![i] + ',';
    return s;
  }
}

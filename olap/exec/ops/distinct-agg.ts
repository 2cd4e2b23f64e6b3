// DISTINCT aggregates (count(DISTINCT x) per group): keeps the first row of each (group, value) pair. Values
// become small integer codes as group keys do, and a pair becomes one number in a typed-array hash map, so no
// string is built per row.

import type { SqlType } from '../../../oltp/types.ts';
import { NumberMap } from '../number-map.ts';
import type { Vector } from '../spec.ts';
import { ColumnCodes } from './groups.ts';

/** Codes below 2^CODE_BITS and group ids below 2^(53 - CODE_BITS) pack into one exact double. */
const CODE_BITS = 26;
const CODE_RADIX = 2 ** CODE_BITS;
const GROUP_MAX = 2 ** (53 - CODE_BITS);

export class DistinctPairs {
  private readonly values: ColumnCodes;
  private readonly pairs = new NumberMap();
  private readonly widePairs = new Set<string>();
  private codes = new Int32Array(0);
  private kept = new Uint32Array(0);

  constructor(type: SqlType) { this.values = new ColumnCodes(type); }

  /**
   * The rows among `rows[0..n)` (physical indexes; undefined = 0..n-1) whose (gids[row], value) pair was
   * not seen before, NULL values left out; the returned array is reused by the next call.
   */
  firstRows(gids: Int32Array, v: Vector, length: number, rows: Uint32Array | undefined, n: number): Uint32Array {
    if (this.codes.length < length) this.codes = new Int32Array(Math.max(length, 1024));
    if (this.kept.length < n) this.kept = new Uint32Array(Math.max(n, 1024));
    const codes = this.codes;
    const kept = this.kept;
    this.values.encode(v, rows, n, codes);
    const valid = v.valid;
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = rows === undefined ? k : rows[k]!;
      if (valid !== undefined && valid[i] === 0) continue;
      const g = gids[i]!;
      const code = codes[i]!;
      if (code < CODE_RADIX && g < GROUP_MAX) {
        const before = this.pairs.size;
        this.pairs.intern(g * CODE_RADIX + code, 0);
        if (this.pairs.size === before) continue;
      } else {
        const key = `${g}|${code}`;
        if (this.widePairs.has(key)) continue;
        this.widePairs.add(key);
      }
      kept[m++] = i;
    }
    return kept.subarray(0, m);
  }
}

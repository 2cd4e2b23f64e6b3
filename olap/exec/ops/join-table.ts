// The hash join's build-side table: for each probe row, the first build row with an equal key (the rest
// of the chain through `next`). Integer keys (one column or several combined into one number) go into a
// directly indexed array when dense, else a typed-array hash map (int32 keys when the combined code fits);
// other keys into a Map of key values.

import type { SqlType } from '../../../oltp/types.ts';
import { keyReader, rowKey, type Key, type KeyReader } from '../keys.ts';
import { NumberMap } from '../number-map.ts';
import { INT_KEY_MAX, IntJoinMap } from './join-int-map.ts';
import type { Vector } from '../spec.ts';

/** Largest key range (slots) a directly indexed build table may use (4 bytes each). */
const DIRECT_RANGE_MAX = 1 << 24;

/** Key types that are always 'number' vectors holding integers, so equal keys are equal doubles. */
function isIntegerKeyType(t: SqlType): boolean {
  return t.id === 'integer' || t.id === 'bigint' || t.id === 'date';
}

/** Per key column: the smallest build value and the stride of the column in the combined key. */
interface Combiner { readonly min: Float64Array; readonly max: Float64Array; readonly stride: Float64Array }

export class BuildTable {
  readonly next: Int32Array;
  hasNullKey = false;
  /** Every non-NULL build key occurs once (a probe row matches at most one build row). */
  unique = true;
  private map: Map<Key, number> | undefined;
  private numbers: NumberMap | undefined;
  private ints: IntJoinMap | undefined;
  private direct: Int32Array | undefined;
  private combiner: Combiner | undefined;
  private directMin = 0;
  private readonly canonical: readonly boolean[];
  private readonly types: readonly SqlType[];
  private readonly probeTypes: readonly SqlType[];
  private probeKeys = new Float64Array(0);
  private probeOk = new Uint8Array(0);

  /**
   * `types` are the build keys' types, `probeTypes` the probe keys'; a pair of different types is
   * compared by value (canonical keys), which only the general Map path does.
   */
  constructor(vectors: readonly Vector[], types: readonly SqlType[], probeTypes: readonly SqlType[], rows: number) {
    this.next = new Int32Array(rows);
    this.types = types;
    this.probeTypes = probeTypes;
    this.canonical = types.map((t, c) => !sameKeyType(t, probeTypes[c]!));
    const numeric = vectors.every((v, c) => v.kind === 'number' && isIntegerKeyType(types[c]!) && !this.canonical[c]!);
    if (numeric && rows > 0 && this.tryNumeric(vectors as readonly Extract<Vector, { kind: 'number' }>[], rows)) return;
    const readers = this.readers(vectors, types);
    const map = new Map<Key, number>();
    for (let r = rows - 1; r >= 0; r--) {
      const key = rowKey(readers, r, false);
      if (key === null) { this.hasNullKey = true; this.next[r] = -1; continue; }
      const head = map.get(key) ?? -1;
      if (head >= 0) this.unique = false;
      this.next[r] = head;
      map.set(key, r);
    }
    this.map = map;
  }

  private readers(vectors: readonly Vector[], types: readonly SqlType[]): KeyReader[] {
    return vectors.map((v, c) => keyReader(v, types[c]!, this.canonical[c]!));
  }

  /** Integer keys: min/max per column, then one combined number per row. False when they do not fit. */
  private tryNumeric(vectors: readonly Extract<Vector, { kind: 'number' }>[], rows: number): boolean {
    const width = vectors.length;
    const min = new Float64Array(width).fill(Infinity);
    const max = new Float64Array(width).fill(-Infinity);
    const stride = new Float64Array(width);
    for (let c = 0; c < width; c++) {
      const { data, valid } = vectors[c]!;
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < rows; r++) {
        if (valid !== undefined && valid[r] === 0) continue;
        const x = data[r]!;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      min[c] = lo;
      max[c] = hi;
    }
    if (min.some((x) => x === Infinity)) {
      // some key column is NULL in every row: no build row can match
      this.direct = new Int32Array(0);
      this.combiner = { min, max, stride };
      this.next.fill(-1);
      this.hasNullKey = true;
      return true;
    }
    let span = 1;
    for (let c = width - 1; c >= 0; c--) {
      stride[c] = span;
      span *= max[c]! - min[c]! + 1;
    }
    if (!(span <= Number.MAX_SAFE_INTEGER)) return false;
    const combiner = { min, max, stride };
    const keys = new Float64Array(rows);
    const keyValid = new Uint8Array(rows);
    combineKeys(vectors, combiner, undefined, rows, keys, keyValid);
    if (span <= DIRECT_RANGE_MAX && span <= 4 * rows + 1024) {
      const head = new Int32Array(span).fill(-1);
      for (let r = rows - 1; r >= 0; r--) {
        if (keyValid[r] === 0) { this.hasNullKey = true; this.next[r] = -1; continue; }
        const slot = keys[r]!;
        const h = head[slot]!;
        if (h >= 0) this.unique = false;
        this.next[r] = h;
        head[slot] = r;
      }
      this.direct = head;
    } else if (span - 1 <= INT_KEY_MAX) {
      this.ints = new IntJoinMap(rows);
      this.chain(this.ints, keys, keyValid, rows);
    } else {
      this.numbers = new NumberMap(rows);
      this.chain(this.numbers, keys, keyValid, rows);
    }
    this.combiner = combiner;
    return true;
  }

  /** Rows into a hash table by combined key, each row's `next` the following row with its key. */
  private chain(map: { put(key: number, row: number): number }, keys: Float64Array, keyValid: Uint8Array, rows: number): void {
    for (let r = rows - 1; r >= 0; r--) {
      if (keyValid[r] === 0) { this.hasNullKey = true; this.next[r] = -1; continue; }
      const h = map.put(keys[r]!, r);
      if (h >= 0) this.unique = false;
      this.next[r] = h;
    }
  }

  /**
   * heads[k] = the first build row matching the k-th live probe row (rows[k], or k without a selection),
   * or -1 (no match, or a NULL in the key).
   */
  probe(vectors: readonly Vector[], rows: Uint32Array | undefined, n: number, heads: Int32Array): void {
    const combiner = this.combiner;
    if (combiner !== undefined && vectors.every((v) => v.kind === 'number')) {
      if (this.probeKeys.length < n) {
        this.probeKeys = new Float64Array(Math.max(n, 1024));
        this.probeOk = new Uint8Array(this.probeKeys.length);
      }
      const keys = this.probeKeys;
      const ok = this.probeOk;
      keys.fill(0, 0, n);
      combineKeys(vectors as readonly Extract<Vector, { kind: 'number' }>[], combiner, rows, n, keys, ok);
      const direct = this.direct;
      if (direct !== undefined) {
        for (let k = 0; k < n; k++) heads[k] = ok[k] === 1 ? direct[keys[k]!]! : -1;
      } else if (this.ints !== undefined) {
        this.ints.lookupAll(keys, ok, n, heads);
      } else {
        const map = this.numbers!;
        for (let k = 0; k < n; k++) heads[k] = ok[k] === 1 ? map.get(keys[k]!) : -1;
      }
      return;
    }
    if (combiner !== undefined) {
      // the probe keys arrived in another vector kind (integer-valued DECIMALs are numbers here too)
      const readers = this.readers(vectors, this.probeTypes);
      for (let k = 0; k < n; k++) heads[k] = this.numericLookup(readers, rows === undefined ? k : rows[k]!);
      return;
    }
    const map = this.map!;
    const readers = this.readers(vectors, this.probeTypes);
    for (let k = 0; k < n; k++) {
      const key = rowKey(readers, rows === undefined ? k : rows[k]!, false);
      heads[k] = key === null ? -1 : map.get(key) ?? -1;
    }
  }

  private numericLookup(readers: readonly KeyReader[], i: number): number {
    const { min, max, stride } = this.combiner!;
    let key = 0;
    for (let c = 0; c < readers.length; c++) {
      const x = readers[c]!(i);
      if (typeof x !== 'number' || !(x >= min[c]! && x <= max[c]!) || !Number.isInteger(x)) return -1;
      key += (x - min[c]!) * stride[c]!;
    }
    if (this.direct !== undefined) return this.direct[key]!;
    if (this.ints !== undefined) return this.ints.get(key);
    return this.numbers!.get(key);
  }
}

/**
 * Combined key of rows (build rows, or probe rows checked against the build's ranges); ok[k] = 0 when a
 * part is NULL, outside the build range, or fractional. `keys` must hold zeros.
 */
function combineKeys(vectors: readonly Extract<Vector, { kind: 'number' }>[], cb: Combiner, rows: Uint32Array | undefined, n: number, keys: Float64Array, ok: Uint8Array): void {
  ok.fill(1, 0, n);
  for (let c = 0; c < vectors.length; c++) {
    const { data, valid } = vectors[c]!;
    const lo = cb.min[c]!;
    const hi = cb.max[c]!;
    const stride = cb.stride[c]!;
    for (let k = 0; k < n; k++) {
      const i = rows === undefined ? k : rows[k]!;
      const x = data[i]!;
      if ((valid !== undefined && valid[i] === 0) || !(x >= lo && x <= hi) || x !== Math.floor(x)) { ok[k] = 0; continue; }
      keys[k] = keys[k]! + (x - lo) * stride;
    }
  }
}

export function sameKeyType(a: SqlType, b: SqlType): boolean {
  return a.id === b.id && (a.scale ?? 0) === (b.scale ?? 0) && (a.fixed === true) === (b.fixed === true);
}

/** Candidate (probe row, build row) pairs from the heads of one probe batch, in chunks. */
export class HashPairs {
  private k = 0;
  private chain = -1;
  constructor(
    private readonly sel: Uint32Array | undefined,
    private readonly n: number,
    private readonly heads: Int32Array,
    private readonly next: Int32Array,
    private readonly firstOnly = false,
  ) {}

  fill(lOut: Int32Array, rOut: Int32Array, max: number): number {
    let m = 0;
    const sel = this.sel;
    const next = this.next;
    const heads = this.heads;
    while (m < max) {
      if (this.chain >= 0) {
        lOut[m] = sel === undefined ? this.k : sel[this.k]!;
        rOut[m++] = this.chain;
        this.chain = this.firstOnly ? -1 : next[this.chain]!;
        if (this.chain < 0) this.k++;
        continue;
      }
      if (this.k >= this.n) break;
      const h = heads[this.k]!;
      if (h < 0) { this.k++; continue; }
      this.chain = h;
    }
    return m;
  }
}

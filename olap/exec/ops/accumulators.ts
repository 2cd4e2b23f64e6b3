// Per-group aggregate state in columnar arrays indexed by group id (no object per group): exact sums that
// stay in doubles while below 2^53 and spill into bigints beyond, counts, min/max, bool_and/or.

import { assert } from '../../../oltp/errors.ts';
import type { SqlType, Value } from '../../../oltp/types.ts';
import { getValue } from '../batch.ts';
import { castValue, rationalToType } from '../cast.ts';
import { pow10 } from '../decimal.ts';
import type { AggregateSpec, Vector } from '../spec.ts';
import { compareValues, scaleOf } from '../values.ts';

export interface Accumulator {
  /** Adds row i of v to group g (v is NULL-checked by the caller for all but count_star). */
  add(g: number, v: Vector, i: number): void;
  /**
   * Adds rows `rows[0..n)` (physical indexes; undefined = 0..n-1) of v to groups gids[row], skipping NULLs:
   * one monomorphic loop per accumulator class instead of a call per row.
   */
  update(gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void;
  /** Makes room for groups [0, groupCount). */
  grow(groupCount: number): void;
  result(g: number): Value;
  /**
   * Results of groups [0, groupCount) as one vector when that is cheap and exact (sums that never left
   * the double range, counts); undefined otherwise (the caller then appends result(g) one by one).
   */
  resultVector?(groupCount: number): Vector | undefined;
}

function growF64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

class CountAcc implements Accumulator {
  private counts = new Float64Array(16);
  add(g: number): void { this.counts[g]!++; }
  update(gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void {
    const counts = this.counts;
    const valid = v?.valid;
    for (let k = 0; k < n; k++) {
      const i = rows === undefined ? k : rows[k]!;
      if (valid !== undefined && valid[i] === 0) continue;
      counts[gids[i]!]!++;
    }
  }
  grow(n: number): void { this.counts = growF64(this.counts, n); }
  result(g: number): Value { return this.counts[g]!; }
  resultVector(groupCount: number): Vector { return { kind: 'number', data: this.counts.slice(0, groupCount), valid: undefined }; }
}

/**
 * Exact sum of integers or scaled decimals: `lo` holds the running sum while it is a safe integer; on
 * the step that would leave that range, the sum moves into `hi` (bigint) and `lo` restarts at 0.
 */
class ExactSumAcc implements Accumulator {
  private lo = new Float64Array(16);
  private counts = new Float64Array(16);
  private hi: (bigint | undefined)[] = [];
  private readonly argScale: number;
  private readonly type: SqlType;
  private readonly avg: boolean;

  constructor(argType: SqlType, type: SqlType, avg: boolean) {
    this.argScale = argType.id === 'decimal' ? scaleOf(argType) : 0;
    this.type = type;
    this.avg = avg;
  }

  /** Whether a sum or avg of an argument of argType, typed `type`, can read this state (same scale). */
  accepts(argType: SqlType, type: SqlType): boolean {
    if (argType.id === 'double' || type.id === 'double') return false;
    return (argType.id === 'decimal' ? scaleOf(argType) : 0) === this.argScale;
  }

  grow(n: number): void {
    this.lo = growF64(this.lo, n);
    this.counts = growF64(this.counts, n);
  }

  add(g: number, v: Vector, i: number): void {
    this.counts[g]!++;
    if (v.kind === 'bigdecimal') { this.hi[g] = (this.hi[g] ?? 0n) + v.data[i]!; return; }
    assert(v.kind === 'number' || v.kind === 'decimal', 'sum over a non-numeric vector');
    const x = v.data[i]!;
    const s = this.lo[g]! + x;
    if (Number.isSafeInteger(s)) { this.lo[g] = s; return; }
    this.hi[g] = (this.hi[g] ?? 0n) + BigInt(this.lo[g]!) + BigInt(x);
    this.lo[g] = 0;
  }

  update(gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void {
    assert(v !== undefined, 'sum without an argument');
    if (v.kind !== 'number' && v.kind !== 'decimal') {
      for (let k = 0; k < n; k++) {
        const i = rows === undefined ? k : rows[k]!;
        if (v.valid === undefined || v.valid[i] === 1) this.add(gids[i]!, v, i);
      }
      return;
    }
    const data = v.data;
    const valid = v.valid;
    const lo = this.lo;
    const counts = this.counts;
    for (let k = 0; k < n; k++) {
      const i = rows === undefined ? k : rows[k]!;
      if (valid !== undefined && valid[i] === 0) continue;
      const g = gids[i]!;
      counts[g]!++;
      const x = data[i]!;
      const sum = lo[g]! + x;
      if (sum <= 9007199254740991 && sum >= -9007199254740991) { lo[g] = sum; continue; }
      this.hi[g] = (this.hi[g] ?? 0n) + BigInt(lo[g]!) + BigInt(x);
      lo[g] = 0;
    }
  }

  /**
   * A plain sum whose result has the argument's scale (as the binder types SUM) is `lo` itself while no
   * group spilled into bigints; precision below 16 digits would need a check, so it takes the slow path.
   */
  resultVector(groupCount: number): Vector | undefined { return this.resultVectorAs(groupCount, this.avg, this.type); }

  result(g: number): Value { return this.resultAs(g, this.avg, this.type); }

  resultVectorAs(groupCount: number, avg: boolean, t: SqlType): Vector | undefined {
    if (avg || this.hi.length > 0 || (t.precision !== undefined && t.precision < 16)) return undefined;
    const sameScale = t.id === 'decimal' ? scaleOf(t) === this.argScale : t.id === 'bigint' && this.argScale === 0;
    if (!sameScale) return undefined;
    const counts = this.counts;
    let valid: Uint8Array | undefined;
    for (let g = 0; g < groupCount; g++) {
      if (counts[g] !== 0) continue;
      valid ??= new Uint8Array(groupCount).fill(1);
      valid[g] = 0;
    }
    const data = this.lo.slice(0, groupCount);
    return t.id === 'decimal' ? { kind: 'decimal', scale: this.argScale, data, valid } : { kind: 'number', data, valid };
  }

  resultAs(g: number, avg: boolean, type: SqlType): Value {
    const count = this.counts[g]!;
    if (count === 0) return null;
    const total = (this.hi[g] ?? 0n) + BigInt(this.lo[g]!);
    const unit = pow10(this.argScale);
    return rationalToType(total, avg ? unit * BigInt(count) : unit, type);
  }

  /** Counts of non-NULL inputs per group, as count(arg) returns them. */
  countVector(groupCount: number): Vector { return { kind: 'number', data: this.counts.slice(0, groupCount), valid: undefined }; }
  countOf(g: number): number { return this.counts[g]!; }
}

/**
 * Another aggregate over the same argument as an exact sum (sum and avg of one column, as TPC-H Q1 asks,
 * or count of it): it reads the sum's state, so the argument is evaluated and added up once.
 */
class SharedSumView implements Accumulator {
  private readonly source: ExactSumAcc;
  private readonly fn: 'sum' | 'avg' | 'count';
  private readonly type: SqlType;
  constructor(source: ExactSumAcc, fn: 'sum' | 'avg' | 'count', type: SqlType) {
    this.source = source;
    this.fn = fn;
    this.type = type;
  }
  add(): void {}
  update(): void {}
  grow(): void {}
  result(g: number): Value { return this.fn === 'count' ? this.source.countOf(g) : this.source.resultAs(g, this.fn === 'avg', this.type); }
  resultVector(groupCount: number): Vector | undefined {
    return this.fn === 'count' ? this.source.countVector(groupCount) : this.source.resultVectorAs(groupCount, this.fn === 'avg', this.type);
  }
}

/**
 * An accumulator for `spec` that reads the state of `existing` (an aggregate over the same argument, with
 * neither FILTER nor DISTINCT on either), or undefined when they cannot share; a shared one needs no
 * updates of its own.
 */
export function sharedAccumulator(spec: AggregateSpec, existing: Accumulator): Accumulator | undefined {
  if (!(existing instanceof ExactSumAcc) || spec.distinct || spec.filter !== undefined || spec.arg === undefined) return undefined;
  if (spec.fn === 'count') return new SharedSumView(existing, 'count', spec.type);
  if ((spec.fn === 'sum' || spec.fn === 'avg') && existing.accepts(spec.arg.type, spec.type)) return new SharedSumView(existing, spec.fn, spec.type);
  return undefined;
}

/** The per-row fallback loop for accumulators without a specialised one. */
function updateEach(acc: Accumulator, gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void {
  assert(v !== undefined, 'aggregate without an argument');
  const valid = v.valid;
  for (let k = 0; k < n; k++) {
    const i = rows === undefined ? k : rows[k]!;
    if (valid === undefined || valid[i] === 1) acc.add(gids[i]!, v, i);
  }
}

class DoubleSumAcc implements Accumulator {
  private sums = new Float64Array(16);
  private counts = new Float64Array(16);
  private readonly type: SqlType;
  private readonly avg: boolean;

  constructor(type: SqlType, avg: boolean) {
    this.type = type;
    this.avg = avg;
  }

  grow(n: number): void {
    this.sums = growF64(this.sums, n);
    this.counts = growF64(this.counts, n);
  }

  update(gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void { updateEach(this, gids, v, rows, n); }

  add(g: number, v: Vector, i: number): void {
    this.counts[g]!++;
    this.sums[g]! += v.kind === 'number' ? v.data[i]! : Number(getValue(v, i));
  }

  result(g: number): Value {
    const count = this.counts[g]!;
    if (count === 0) return null;
    const s = this.sums[g]!;
    return castValue(this.avg ? s / count : s, { id: 'double' }, this.type);
  }
}

class MinMaxAcc implements Accumulator {
  private values: Value[] = [];
  private readonly argType: SqlType;
  private readonly type: SqlType;
  private readonly sign: number;

  constructor(argType: SqlType, type: SqlType, max: boolean) {
    this.argType = argType;
    this.type = type;
    this.sign = max ? 1 : -1;
  }

  grow(): void {}

  update(gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void { updateEach(this, gids, v, rows, n); }

  add(g: number, v: Vector, i: number): void {
    const cur = this.values[g];
    if (v.kind === 'number') {
      const x = v.data[i]!;
      if (cur === undefined || cur === null || this.sign * (x - (cur as number)) > 0) this.values[g] = x;
      return;
    }
    const x = getValue(v, i);
    if (cur === undefined || cur === null || this.sign * compareValues(x, this.argType, cur, this.argType) > 0) this.values[g] = x;
  }

  result(g: number): Value {
    const v = this.values[g];
    return v === undefined ? null : castValue(v, this.argType, this.type);
  }
}

class BoolAcc implements Accumulator {
  private state = new Float64Array(16); // 0 = no input, 1 = false, 2 = true
  private readonly isAnd: boolean;
  constructor(isAnd: boolean) { this.isAnd = isAnd; }
  grow(n: number): void { this.state = growF64(this.state, n); }
  update(gids: Int32Array, v: Vector | undefined, rows: Uint32Array | undefined, n: number): void { updateEach(this, gids, v, rows, n); }

  add(g: number, v: Vector, i: number): void {
    const b = getValue(v, i) === true;
    const cur = this.state[g]!;
    if (cur === 0) this.state[g] = b ? 2 : 1;
    else if (this.isAnd && !b) this.state[g] = 1;
    else if (!this.isAnd && b) this.state[g] = 2;
  }
  result(g: number): Value {
    const s = this.state[g]!;
    return s === 0 ? null : s === 2;
  }
}

export function makeAccumulator(spec: AggregateSpec): Accumulator {
  const argType = spec.arg?.type;
  switch (spec.fn) {
    case 'count_star': case 'count': return new CountAcc();
    case 'sum': case 'avg': {
      assert(argType !== undefined, `${spec.fn} needs an argument`);
      const avg = spec.fn === 'avg';
      if (argType.id === 'double' || spec.type.id === 'double') return new DoubleSumAcc(spec.type, avg);
      return new ExactSumAcc(argType, spec.type, avg);
    }
    case 'min': case 'max':
      assert(argType !== undefined, `${spec.fn} needs an argument`);
      return new MinMaxAcc(argType, spec.type, spec.fn === 'max');
    case 'bool_and': case 'bool_or': return new BoolAcc(spec.fn === 'bool_and');
  }
}

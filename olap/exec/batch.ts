// Building, reading and reshaping batches: the only place that knows how each SqlType is laid out in a
// Vector (see spec.ts). Operators use these helpers instead of touching typed arrays directly.

import { assert } from '../../oltp/errors.ts';
import type { Row, SqlType, Value } from '../../oltp/types.ts';
import type { Batch, Vector } from './spec.ts';

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

export type VectorKind = 'number' | 'decimal' | 'string' | 'bool';

/** The Vector kind a SqlType is stored in (decimals may widen to 'bigdecimal' per vector). */
export function vectorKindOf(type: SqlType): VectorKind {
  switch (type.id) {
    case 'decimal': return 'decimal';
    case 'varchar': return 'string';
    case 'boolean': return 'bool';
    default: return 'number';
  }
}

export function isNullAt(v: Vector, i: number): boolean {
  return v.valid !== undefined && v.valid[i] === 0;
}

/** One value in the oltp/types.ts representation (DECIMAL as scaled bigint). */
export function getValue(v: Vector, i: number): Value {
  if (v.valid !== undefined && v.valid[i] === 0) return null;
  switch (v.kind) {
    case 'number': return v.data[i]!;
    case 'decimal': return BigInt(v.data[i]!);
    case 'bigdecimal': return v.data[i]!;
    case 'string': return v.data[i]!;
    case 'dict': return v.dict[v.codes[i]!]!;
    case 'bool': return v.data[i] === 1;
  }
}

/** Appends values of one SqlType and produces a Vector; grows geometrically. */
export class VectorBuilder {
  readonly type: SqlType;
  private readonly kind: VectorKind;
  private readonly scale: number;
  private numbers: Float64Array;
  private bools: Uint8Array;
  private strings: string[] = [];
  private bigs: bigint[] | undefined;
  private valid: Uint8Array;
  private hasNull = false;
  length = 0;

  constructor(type: SqlType, capacity = 64) {
    this.type = type;
    this.kind = vectorKindOf(type);
    this.scale = type.scale ?? 0;
    const cap = Math.max(capacity, 8);
    this.numbers = this.kind === 'number' || this.kind === 'decimal' ? new Float64Array(cap) : new Float64Array(0);
    this.bools = this.kind === 'bool' ? new Uint8Array(cap) : new Uint8Array(0);
    this.valid = new Uint8Array(cap);
  }

  private grow(): void {
    const cap = this.valid.length * 2;
    const valid = new Uint8Array(cap);
    valid.set(this.valid);
    this.valid = valid;
    if (this.numbers.length > 0) {
      const numbers = new Float64Array(cap);
      numbers.set(this.numbers);
      this.numbers = numbers;
    }
    if (this.bools.length > 0) {
      const bools = new Uint8Array(cap);
      bools.set(this.bools);
      this.bools = bools;
    }
  }

  appendNull(): void {
    if (this.length === this.valid.length) this.grow();
    const i = this.length++;
    this.valid[i] = 0;
    this.hasNull = true;
    if (this.kind === 'string') this.strings.push('');
    else if (this.bigs !== undefined) this.bigs.push(0n);
    else if (this.kind === 'number' || this.kind === 'decimal') this.numbers[i] = 0;
  }

  append(value: Value): void {
    if (value === null) { this.appendNull(); return; }
    if (this.length === this.valid.length) this.grow();
    const i = this.length++;
    this.valid[i] = 1;
    switch (this.kind) {
      case 'number':
        assert(typeof value === 'number', `expected a number for ${this.type.id}, got ${typeof value}`);
        this.numbers[i] = value;
        return;
      case 'bool':
        assert(typeof value === 'boolean', `expected a boolean, got ${typeof value}`);
        this.bools[i] = value ? 1 : 0;
        return;
      case 'string':
        assert(typeof value === 'string', `expected a string, got ${typeof value}`);
        this.strings.push(value);
        return;
      case 'decimal': {
        assert(typeof value === 'bigint', `expected a bigint decimal, got ${typeof value}`);
        if (this.bigs !== undefined) { this.bigs.push(value); return; }
        if (value <= BigInt(SAFE_MAX) && value >= -BigInt(SAFE_MAX)) { this.numbers[i] = Number(value); return; }
        this.bigs = [];
        for (let j = 0; j < i; j++) this.bigs.push(BigInt(this.numbers[j]!));
        this.bigs.push(value);
        return;
      }
    }
  }

  /** Appends row i of v (of this builder's type) without boxing where possible. */
  appendFrom(v: Vector, i: number): void {
    if (v.valid !== undefined && v.valid[i] === 0) { this.appendNull(); return; }
    if (v.kind === 'number' && this.kind === 'number') {
      if (this.length === this.valid.length) this.grow();
      const j = this.length++;
      this.valid[j] = 1;
      this.numbers[j] = v.data[i]!;
      return;
    }
    if (v.kind === 'decimal' && this.kind === 'decimal' && this.bigs === undefined) {
      if (this.length === this.valid.length) this.grow();
      const j = this.length++;
      this.valid[j] = 1;
      this.numbers[j] = v.data[i]!;
      return;
    }
    this.append(getValue(v, i));
  }

  /** Appends the rows `rows[0..n)` of v (all of 0..n-1 when rows is undefined) with one loop per kind. */
  appendVector(v: Vector, rows: Uint32Array | undefined, n: number): void {
    const fast = (v.kind === 'number' && this.kind === 'number') || (v.kind === 'decimal' && this.kind === 'decimal' && this.bigs === undefined)
      || (v.kind === 'bool' && this.kind === 'bool');
    if (!fast && !(this.kind === 'string' && (v.kind === 'string' || v.kind === 'dict'))) {
      for (let k = 0; k < n; k++) this.appendFrom(v, rows === undefined ? k : rows[k]!);
      return;
    }
    while (this.length + n > this.valid.length) this.grow();
    const base = this.length;
    const srcValid = v.valid;
    const valid = this.valid;
    for (let k = 0; k < n; k++) {
      const i = rows === undefined ? k : rows[k]!;
      const ok = srcValid === undefined || srcValid[i] === 1;
      valid[base + k] = ok ? 1 : 0;
      if (!ok) this.hasNull = true;
    }
    if (v.kind === 'number' || v.kind === 'decimal') {
      const src = v.data;
      const dst = this.numbers;
      for (let k = 0; k < n; k++) dst[base + k] = src[rows === undefined ? k : rows[k]!]!;
    } else if (v.kind === 'bool') {
      const src = v.data;
      const dst = this.bools;
      for (let k = 0; k < n; k++) dst[base + k] = src[rows === undefined ? k : rows[k]!]!;
    } else if (v.kind === 'string') {
      const src = v.data;
      for (let k = 0; k < n; k++) this.strings.push(src[rows === undefined ? k : rows[k]!]!);
    } else if (v.kind === 'dict') {
      const dict = v.dict;
      const codes = v.codes;
      for (let k = 0; k < n; k++) {
        const i = rows === undefined ? k : rows[k]!;
        this.strings.push(srcValid !== undefined && srcValid[i] === 0 ? '' : dict[codes[i]!]!);
      }
    }
    this.length += n;
  }

  build(): Vector {
    const n = this.length;
    const valid = this.hasNull ? this.valid.slice(0, n) : undefined;
    switch (this.kind) {
      case 'number': return { kind: 'number', data: this.numbers.slice(0, n), valid };
      case 'bool': return { kind: 'bool', data: this.bools.slice(0, n), valid };
      case 'string': return { kind: 'string', data: this.strings.slice(0, n), valid };
      case 'decimal':
        if (this.bigs !== undefined) return { kind: 'bigdecimal', scale: this.scale, data: this.bigs.slice(0, n), valid };
        return { kind: 'decimal', scale: this.scale, data: this.numbers.slice(0, n), valid };
    }
  }
}

/** A batch of one column per type from rows of values (the row path's entry point). */
export function rowsToBatch(rows: readonly Row[], types: readonly SqlType[]): Batch {
  const columns = types.map((t, c) => columnFromRows(rows, c, t));
  return { length: rows.length, columns, types, selection: undefined };
}

/** One column straight into its typed array (a tight loop per kind; the row path's hottest conversion). */
function columnFromRows(rows: readonly Row[], c: number, type: SqlType): Vector {
  const n = rows.length;
  let valid: Uint8Array | undefined;
  const markNull = (r: number) => {
    if (valid === undefined) valid = new Uint8Array(n).fill(1);
    valid[r] = 0;
  };
  switch (vectorKindOf(type)) {
    case 'number': {
      const data = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const v = rows[r]![c];
        if (v === null || v === undefined) markNull(r);
        else data[r] = v as number;
      }
      return { kind: 'number', data, valid };
    }
    case 'string': {
      const data: string[] = new Array(n);
      for (let r = 0; r < n; r++) {
        const v = rows[r]![c];
        if (v === null || v === undefined) { markNull(r); data[r] = ''; } else data[r] = v as string;
      }
      return { kind: 'string', data, valid };
    }
    case 'bool': {
      const data = new Uint8Array(n);
      for (let r = 0; r < n; r++) {
        const v = rows[r]![c];
        if (v === null || v === undefined) markNull(r);
        else data[r] = v === true ? 1 : 0;
      }
      return { kind: 'bool', data, valid };
    }
    case 'decimal': {
      const data = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const v = rows[r]![c];
        if (v === null || v === undefined) { markNull(r); continue; }
        const x = Number(v as bigint);
        if (!Number.isSafeInteger(x)) return decimalColumnSlow(rows, c, type);
        data[r] = x;
      }
      return { kind: 'decimal', scale: type.scale ?? 0, data, valid };
    }
  }
}

function decimalColumnSlow(rows: readonly Row[], c: number, type: SqlType): Vector {
  const b = new VectorBuilder(type, rows.length);
  for (const row of rows) b.append(row[c] ?? null);
  return b.build();
}

/** Number of live rows (after the selection). */
export function liveCount(batch: Batch): number {
  return batch.selection === undefined ? batch.length : batch.selection.length;
}

/** The live rows of a batch as arrays of values. */
export function batchToRows(batch: Batch): Value[][] {
  const rows: Value[][] = [];
  const n = liveCount(batch);
  for (let k = 0; k < n; k++) {
    const i = batch.selection === undefined ? k : batch.selection[k]!;
    const row: Value[] = new Array(batch.columns.length);
    for (let c = 0; c < batch.columns.length; c++) row[c] = getValue(batch.columns[c]!, i);
    rows.push(row);
  }
  return rows;
}

/** Rows of `v` at `indexes` (an index of -1 gives NULL, used by outer joins). */
export function gather(v: Vector, _type: SqlType, indexes: Int32Array | Uint32Array, count: number): Vector {
  let anyNull = false;
  for (let k = 0; k < count; k++) {
    const i = indexes[k]!;
    if (i < 0 || (v.valid !== undefined && v.valid[i] === 0)) { anyNull = true; break; }
  }
  const valid = anyNull ? new Uint8Array(count) : undefined;
  if (valid !== undefined) {
    for (let k = 0; k < count; k++) {
      const i = indexes[k]!;
      valid[k] = i < 0 || (v.valid !== undefined && v.valid[i] === 0) ? 0 : 1;
    }
  }
  switch (v.kind) {
    case 'number':
    case 'decimal': {
      const data = new Float64Array(count);
      const src = v.data;
      for (let k = 0; k < count; k++) { const i = indexes[k]!; data[k] = i < 0 ? 0 : src[i]!; }
      return v.kind === 'number' ? { kind: 'number', data, valid } : { kind: 'decimal', scale: v.scale, data, valid };
    }
    case 'bool': {
      const data = new Uint8Array(count);
      for (let k = 0; k < count; k++) { const i = indexes[k]!; data[k] = i < 0 ? 0 : v.data[i]!; }
      return { kind: 'bool', data, valid };
    }
    case 'dict': {
      const codes = new Int32Array(count);
      for (let k = 0; k < count; k++) { const i = indexes[k]!; codes[k] = i < 0 ? 0 : v.codes[i]!; }
      return { kind: 'dict', dict: v.dict.length === 0 ? [''] : v.dict, codes, valid };
    }
    case 'string': {
      const data: string[] = new Array(count);
      for (let k = 0; k < count; k++) { const i = indexes[k]!; data[k] = i < 0 ? '' : v.data[i]!; }
      return { kind: 'string', data, valid };
    }
    case 'bigdecimal': {
      const data: bigint[] = new Array(count);
      for (let k = 0; k < count; k++) { const i = indexes[k]!; data[k] = i < 0 ? 0n : v.data[i]!; }
      return { kind: 'bigdecimal', scale: v.scale, data, valid };
    }
  }
}

/**
 * A vector of `length` physical rows whose row rows[k] holds row indexes[rows[k]] of v (k < n); other
 * rows are left unset. Lets a join keep the probe batch's columns and selection as they are and fetch
 * only the build side's columns next to them.
 */
export function gatherAligned(v: Vector, indexes: Int32Array, rows: Uint32Array, n: number, length: number): Vector {
  let valid: Uint8Array | undefined;
  const srcValid = v.valid;
  if (srcValid !== undefined) {
    for (let k = 0; k < n; k++) {
      const i = rows[k]!;
      if (srcValid[indexes[i]!] === 0) { valid = new Uint8Array(length); break; }
    }
    if (valid !== undefined) for (let k = 0; k < n; k++) { const i = rows[k]!; valid[i] = srcValid[indexes[i]!]!; }
  }
  switch (v.kind) {
    case 'number':
    case 'decimal': {
      const data = new Float64Array(length);
      const src = v.data;
      for (let k = 0; k < n; k++) { const i = rows[k]!; data[i] = src[indexes[i]!]!; }
      return v.kind === 'number' ? { kind: 'number', data, valid } : { kind: 'decimal', scale: v.scale, data, valid };
    }
    case 'bool': {
      const data = new Uint8Array(length);
      const src = v.data;
      for (let k = 0; k < n; k++) { const i = rows[k]!; data[i] = src[indexes[i]!]!; }
      return { kind: 'bool', data, valid };
    }
    case 'dict': {
      const codes = new Int32Array(length);
      const src = v.codes;
      for (let k = 0; k < n; k++) { const i = rows[k]!; codes[i] = src[indexes[i]!]!; }
      return { kind: 'dict', dict: v.dict.length === 0 ? [''] : v.dict, codes, valid };
    }
    case 'string': {
      const data: string[] = new Array<string>(length).fill('');
      const src = v.data;
      for (let k = 0; k < n; k++) { const i = rows[k]!; data[i] = src[indexes[i]!]!; }
      return { kind: 'string', data, valid };
    }
    case 'bigdecimal': {
      const data: bigint[] = new Array<bigint>(length).fill(0n);
      const src = v.data;
      for (let k = 0; k < n; k++) { const i = rows[k]!; data[i] = src[indexes[i]!]!; }
      return { kind: 'bigdecimal', scale: v.scale, data, valid };
    }
  }
}

/** The same rows without a selection vector (copies only when there is a selection). */
export function compact(batch: Batch): Batch {
  if (batch.selection === undefined) return batch;
  const sel = batch.selection;
  const columns = batch.columns.map((v, c) => gather(v, batch.types[c]!, sel, sel.length));
  return { length: sel.length, columns, types: batch.types, selection: undefined };
}

/** A vector of `count` NULLs of a type. */
export function nullVector(type: SqlType, count: number): Vector {
  const b = new VectorBuilder(type, count);
  for (let i = 0; i < count; i++) b.appendNull();
  return b.build();
}

/** A vector holding one value repeated `count` times. */
export function constantVector(type: SqlType, value: Value, count: number): Vector {
  const b = new VectorBuilder(type, count);
  for (let i = 0; i < count; i++) b.append(value);
  return b.build();
}

/** Splits a (compacted or not) batch into batches of at most batchRowsMax live rows. */
export function* sliceBatch(batch: Batch, batchRowsMax: number): Generator<Batch> {
  const n = liveCount(batch);
  if (n <= batchRowsMax) { if (n > 0) yield batch; return; }
  for (let start = 0; start < n; start += batchRowsMax) {
    const count = Math.min(batchRowsMax, n - start);
    const idx = new Uint32Array(count);
    for (let k = 0; k < count; k++) idx[k] = batch.selection === undefined ? start + k : batch.selection[start + k]!;
    yield { length: batch.length, columns: batch.columns, types: batch.types, selection: idx };
  }
}

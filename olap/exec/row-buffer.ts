// Accumulates rows of a fixed schema across batches (sort, join build sides, top-N, group keys) and
// hands them back as one batch. Batches are kept by reference and copied once, into arrays of the exact
// final size, when the rows are taken: growing builders copied every row two or three times, and their
// garbage was a tenth of a join-heavy query's profile.

import { assert } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { gather, liveCount, VectorBuilder, vectorKindOf } from './batch.ts';
import type { Batch, Vector } from './spec.ts';

/** Rows `rows[0..n)` of some vectors (all of 0..n-1 without `rows`). */
interface Chunk {
  readonly columns: readonly Vector[];
  readonly rows: Uint32Array | undefined;
  readonly n: number;
}

/** A batch whose live rows are fewer than this share of its physical rows is compacted when appended. */
const SPARSE_SHARE = 4;

export class RowBuffer {
  readonly types: readonly SqlType[];
  private chunks: Chunk[] = [];
  private builders: VectorBuilder[] | undefined;
  private builderRows = 0;
  length = 0;

  constructor(types: readonly SqlType[]) {
    this.types = types;
  }

  appendBatch(batch: Batch): void {
    const n = liveCount(batch);
    if (n === 0) return;
    this.seal();
    let columns = batch.columns;
    let rows = batch.selection;
    if (rows !== undefined && rows.length * SPARSE_SHARE < batch.length) {
      // keeping a few rows of a large batch by reference would hold all of its memory until take()
      const sel = rows;
      columns = columns.map((v, c) => gather(v, this.types[c]!, sel, n));
      rows = undefined;
    }
    this.chunks.push({ columns, rows, n });
    this.length += n;
  }

  /** Appends row i of v to one column; call endRow() once every column got its cell. */
  appendCell(column: number, v: Vector, i: number): void {
    this.open()[column]!.appendFrom(v, i);
  }

  endRow(): void {
    this.length++;
    this.builderRows++;
  }

  appendRow(row: readonly Value[]): void {
    const builders = this.open();
    for (let c = 0; c < builders.length; c++) builders[c]!.append(row[c]!);
    this.endRow();
  }

  /** The accumulated rows as one batch; the buffer starts empty again. */
  take(): Batch {
    this.seal();
    const chunks = this.chunks;
    const columns = this.types.map((t, c) => concatColumn(t, chunks, c, this.length));
    const batch: Batch = { length: this.length, columns, types: this.types, selection: undefined };
    this.chunks = [];
    this.length = 0;
    return batch;
  }

  private open(): VectorBuilder[] {
    this.builders ??= this.types.map((t) => new VectorBuilder(t));
    return this.builders;
  }

  /** Rows appended cell by cell become one chunk, so chunks stay in append order. */
  private seal(): void {
    if (this.builders === undefined) return;
    if (this.builderRows > 0) this.chunks.push({ columns: this.builders.map((b) => b.build()), rows: undefined, n: this.builderRows });
    this.builders = undefined;
    this.builderRows = 0;
  }
}

/** Column c of all chunks in one vector of `total` rows. */
function concatColumn(type: SqlType, chunks: readonly Chunk[], c: number, total: number): Vector {
  const valid = concatValid(chunks, c, total);
  const kinds = new Set(chunks.map((ch) => ch.columns[c]!.kind));
  switch (vectorKindOf(type)) {
    case 'number':
      if (kinds.size === 1 && kinds.has('number')) return { kind: 'number', data: concatNumbers(chunks, c, total), valid };
      break;
    case 'decimal':
      if (kinds.size === 1 && kinds.has('decimal')) return { kind: 'decimal', scale: type.scale ?? 0, data: concatNumbers(chunks, c, total), valid };
      break;
    case 'bool':
      if (kinds.size === 1 && kinds.has('bool')) {
        const data = new Uint8Array(total);
        let base = 0;
        for (const { columns, rows, n } of chunks) {
          const src = (columns[c] as Extract<Vector, { kind: 'bool' }>).data;
          for (let k = 0; k < n; k++) data[base + k] = src[rows === undefined ? k : rows[k]!]!;
          base += n;
        }
        return { kind: 'bool', data, valid };
      }
      break;
    case 'string':
      if (!kinds.has('bigdecimal') && !kinds.has('number') && !kinds.has('decimal') && !kinds.has('bool')) return concatStrings(chunks, c, total, valid);
      break;
  }
  // mixed representations (a DECIMAL column arriving both double- and bigint-backed): value by value
  const b = new VectorBuilder(type, total);
  for (const { columns, rows, n } of chunks) b.appendVector(columns[c]!, rows, n);
  return b.build();
}

function concatNumbers(chunks: readonly Chunk[], c: number, total: number): Float64Array {
  const data = new Float64Array(total);
  let base = 0;
  for (const { columns, rows, n } of chunks) {
    const src = (columns[c] as Extract<Vector, { kind: 'number' | 'decimal' }>).data;
    if (rows === undefined) data.set(n === src.length ? src : src.subarray(0, n), base);
    else for (let k = 0; k < n; k++) data[base + k] = src[rows[k]!]!;
    base += n;
  }
  return data;
}

/** Strings stay dictionary codes when every chunk shares one dictionary, else become plain strings. */
function concatStrings(chunks: readonly Chunk[], c: number, total: number, valid: Uint8Array | undefined): Vector {
  const first = chunks[0]?.columns[c];
  const dict = first?.kind === 'dict' ? first.dict : undefined;
  if (dict !== undefined && dict.length > 0 && chunks.every((ch) => { const v = ch.columns[c]!; return v.kind === 'dict' && v.dict === dict; })) {
    const codes = new Int32Array(total);
    let base = 0;
    for (const { columns, rows, n } of chunks) {
      const src = (columns[c] as Extract<Vector, { kind: 'dict' }>).codes;
      for (let k = 0; k < n; k++) codes[base + k] = src[rows === undefined ? k : rows[k]!]!;
      base += n;
    }
    return { kind: 'dict', dict, codes, valid };
  }
  const data: string[] = new Array<string>(total);
  let base = 0;
  for (const { columns, rows, n } of chunks) {
    const v = columns[c]!;
    if (v.kind === 'string') {
      const src = v.data;
      for (let k = 0; k < n; k++) data[base + k] = src[rows === undefined ? k : rows[k]!] ?? '';
    } else {
      assert(v.kind === 'dict', `a string column arrived as a ${v.kind} vector`);
      const d = v.dict;
      const codes = v.codes;
      for (let k = 0; k < n; k++) data[base + k] = d[codes[rows === undefined ? k : rows[k]!]!] ?? '';
    }
    base += n;
  }
  return { kind: 'string', data, valid };
}

/** One validity array for column c, or undefined when no appended row is NULL. */
function concatValid(chunks: readonly Chunk[], c: number, total: number): Uint8Array | undefined {
  let anyNull = false;
  for (const { columns, rows, n } of chunks) {
    const src = columns[c]!.valid;
    if (src === undefined) continue;
    for (let k = 0; k < n && !anyNull; k++) if (src[rows === undefined ? k : rows[k]!] === 0) anyNull = true;
    if (anyNull) break;
  }
  if (!anyNull) return undefined;
  const valid = new Uint8Array(total);
  let base = 0;
  for (const { columns, rows, n } of chunks) {
    const src = columns[c]!.valid;
    if (src === undefined) valid.fill(1, base, base + n);
    else for (let k = 0; k < n; k++) valid[base + k] = src[rows === undefined ? k : rows[k]!]!;
    base += n;
  }
  return valid;
}

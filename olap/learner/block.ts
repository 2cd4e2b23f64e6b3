// Stable blocks: at most BLOCK_ROWS versions sorted by (primary key, begin), one exec Vector per column
// (read by scans without copying), begin/end timestamps, encoded keys and a zone map per column.
import type { SqlType, Value } from '../../oltp/types.ts';
import { VectorBuilder } from '../exec/batch.ts';
import { BATCH_ROWS_MAX, type Vector } from '../exec/spec.ts';
import { KeyColumnBuilder, type KeyColumn } from './keys.ts';
import { zoneOf, type ZoneMap } from './zonemap.ts';

/** Versions per block = the executor's batch size, so a block is a batch. */
export const BLOCK_ROWS = BATCH_ROWS_MAX;

/** A version's end timestamp while it is the live one. */
export const TS_LIVE = Infinity;

/** Consecutive stable blocks per Parquet file: a change rewrites only the files of the blocks it touched. */
export const SEGMENT_BLOCKS = 8;

export interface Block {
  readonly rows: number;
  /** One vector per table column; ADD COLUMN appends a constant vector (the only change to a block's data). */
  readonly columns: Vector[];
  readonly zones: ZoneMap[];
  readonly keys: KeyColumn;
  readonly begin: Float64Array;
  /**
   * Mutable: an update or delete applied after compaction ends a stable version in place (a delete vector
   * with timestamps). Only ever lowered from TS_LIVE to a commit timestamp above every applied read point.
   */
  readonly end: Float64Array;
  /** Times `end` was changed in place since the block was built: persistence rewrites a segment when it moves. */
  endChanges: number;
}

/**
 * Whether every version in the block is visible at ts (latest begin <= ts < earliest end): a scan then hands
 * the block out without checking its rows one by one. The bounds are cached per block and recomputed when
 * `endChanges` moves (`begin` never changes; `end` only through the counted in-place updates).
 */
export function allVisibleAt(b: Block, ts: number): boolean {
  let bounds = visibilityBounds.get(b);
  if (bounds === undefined || bounds.endChanges !== b.endChanges) {
    let beginMax = -Infinity;
    let endMin = Infinity;
    for (let i = 0; i < b.rows; i++) {
      const begin = b.begin[i]!;
      const end = b.end[i]!;
      if (begin > beginMax) beginMax = begin;
      if (end < endMin) endMin = end;
    }
    bounds = { endChanges: b.endChanges, beginMax, endMin };
    visibilityBounds.set(b, bounds);
  }
  return bounds.beginMax <= ts && ts < bounds.endMin;
}

const visibilityBounds = new WeakMap<Block, { endChanges: number; beginMax: number; endMin: number }>();

/** Distinct values at most this fraction of the rows: the block stores the column dictionary-encoded. */
const DICT_RATIO_MAX = 0.5;

export class BlockBuilder {
  private readonly builders: VectorBuilder[];
  private readonly keys = new KeyColumnBuilder(BLOCK_ROWS);
  private readonly begin = new Float64Array(BLOCK_ROWS);
  private readonly end = new Float64Array(BLOCK_ROWS);
  rows = 0;

  constructor(private readonly types: readonly SqlType[]) {
    this.builders = types.map((t) => new VectorBuilder(t, BLOCK_ROWS));
  }

  get full(): boolean {
    return this.rows === BLOCK_ROWS;
  }

  /** Appends row i of `columns` (vectors of this table's types). */
  appendFrom(columns: readonly Vector[], i: number, key: Uint8Array, begin: number, end: number): void {
    for (let c = 0; c < this.builders.length; c++) this.builders[c]!.appendFrom(columns[c]!, i);
    this.push(key, begin, end);
  }

  appendRow(row: readonly Value[], key: Uint8Array, begin: number, end: number): void {
    for (let c = 0; c < this.builders.length; c++) this.builders[c]!.append(row[c] ?? null);
    this.push(key, begin, end);
  }

  private push(key: Uint8Array, begin: number, end: number): void {
    this.keys.append(key);
    this.begin[this.rows] = begin;
    this.end[this.rows] = end;
    this.rows++;
  }

  finish(): Block {
    const n = this.rows;
    const columns = this.builders.map((b) => dictEncode(b.build(), n));
    return { rows: n, columns, zones: columns.map((v) => zoneOf(v, n)), keys: this.keys.build(), begin: this.begin.slice(0, n), end: this.end.slice(0, n), endChanges: 0 };
  }
}

/** Dictionary-encodes a string vector with few distinct values; other vectors are returned as they are. */
export function dictEncode(v: Vector, n: number): Vector {
  if (v.kind !== 'string' || n === 0) return v;
  const codesByValue = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Int32Array(n);
  const limit = Math.max(1, Math.floor(n * DICT_RATIO_MAX));
  for (let i = 0; i < n; i++) {
    const s = v.data[i]!;
    let code = codesByValue.get(s);
    if (code === undefined) {
      if (dict.length >= limit) return v;
      code = dict.length;
      dict.push(s);
      codesByValue.set(s, code);
    }
    codes[i] = code;
  }
  return { kind: 'dict', dict, codes, valid: v.valid };
}

/** Bytes a block holds in memory (typed arrays exactly, strings estimated at 2 bytes per character). */
export function blockBytes(b: Block): number {
  // cached: status (asked for by the router before column-path statements) would otherwise walk every
  // string of every block each time, on the thread that runs the fragments; only ADD COLUMN changes it
  const cached = blockBytesCache.get(b);
  if (cached !== undefined && cached.columns === b.columns.length) return cached.bytes;
  let bytes = b.keys.bytes.byteLength + b.keys.offsets.byteLength + b.begin.byteLength + b.end.byteLength;
  for (const v of b.columns) bytes += vectorBytes(v);
  blockBytesCache.set(b, { columns: b.columns.length, bytes });
  return bytes;
}

const blockBytesCache = new WeakMap<Block, { columns: number; bytes: number }>();

export function vectorBytes(v: Vector): number {
  let bytes = v.valid?.byteLength ?? 0;
  switch (v.kind) {
    case 'number':
    case 'decimal':
    case 'bool':
      return bytes + v.data.byteLength;
    case 'bigdecimal':
      return bytes + v.data.length * 16;
    case 'string':
      for (const s of v.data) bytes += 16 + s.length * 2;
      return bytes;
    case 'dict':
      bytes += v.codes.byteLength;
      for (const s of v.dict) bytes += 16 + s.length * 2;
      return bytes;
  }
}

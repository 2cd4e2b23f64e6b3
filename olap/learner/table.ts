// One table on the learner: a stable layer of sorted immutable blocks and an in-memory delta of recent
// versions; MVCC by begin/end timestamps (an update ends the old version and appends the new one).
import type { StoredTableDef } from '../../oltp/catalog.ts';
import { assert, DuetError, SqlState } from '../../oltp/errors.ts';
import type { Row, SqlType, Value } from '../../oltp/types.ts';
import { VectorBuilder, constantVector } from '../exec/batch.ts';
import type { Batch, Vector } from '../exec/spec.ts';
import { BLOCK_ROWS, BlockBuilder, TS_LIVE, allVisibleAt, blockBytes, vectorBytes, type Block } from './block.ts';
import { KeyColumnBuilder, compareBytes, compareKeyTo, compareKeys, keyAt, type KeyColumn } from './keys.ts';
import { zoneMayMatch, type ZonePredicate, zoneOf } from './zonemap.ts';

export interface ScanRequest {
  /** Table column ordinals to return, in this order (default: every column visible at ts). */
  readonly columns?: readonly number[];
  /** Conjuncts checked against zone maps: blocks that cannot match are skipped (rows are not filtered). */
  readonly zone?: readonly ZonePredicate[];
  /**
   * Stable blocks to read instead of the table's own (olap/parallel: the morsels this thread claims, taken
   * lazily); the delta is read after them as usual.
   */
  readonly blocks?: Iterable<Block>;
}

export interface ScanCounters { blocksScanned: number; blocksPruned: number }

/** Column count per schema version: ADD COLUMN only appends, so a read at ts sees a prefix of the columns. */
export interface ColumnsAt { readonly ts: number; readonly count: number }

export class ColumnTable {
  def: StoredTableDef;
  types: SqlType[];
  stable: Block[] = [];
  /** Versions in the stable layer (every block but the last holds BLOCK_ROWS). */
  stableRows = 0;
  readonly columnsAt: ColumnsAt[];
  // ---- delta: append-only columns, mutable end timestamps ----
  private delta: VectorBuilder[];
  private deltaKeys = new KeyColumnBuilder();
  private deltaBegin = new Float64Array(64);
  private deltaEnd = new Float64Array(64);
  deltaRows = 0;
  /**
   * The run: delta rows (runRows[0..runLength), in append order) whose keys increase strictly, each appended
   * above every key before it (inserts in key order, the common case, also when concurrent commits interleave
   * a little). A key among them is found by binary search, so they need no map entry, and compaction only
   * sorts the other rows and merges.
   */
  private runRows = new Uint32Array(64);
  private runLength = 0;
  /** The key of the run's last row (the largest key the delta has held). */
  private runLastKey: Uint8Array | undefined;
  /**
   * Live delta version per key (latin1 of the key bytes) for rows outside the run (every key of which was at
   * or below the run's last key when appended); always newer than a run version of the same key. Bounded by
   * the delta's own bound.
   */
  private deltaLive = new Map<string, number>();
  private deltaCache: { rows: number; columns: Vector[] } | undefined;

  constructor(def: StoredTableDef, readonly createdTs: number, columnsAt?: ColumnsAt[]) {
    this.def = def;
    this.types = def.columns.map((c) => c.type);
    this.columnsAt = columnsAt ?? [{ ts: createdTs, count: def.columns.length }];
    this.delta = this.types.map((t) => new VectorBuilder(t));
  }

  // ---- applying changes ----

  /** Applies one row change at commitTs: ends the live version of `key` (if any) and appends `row` (if any). */
  applyChange(key: Uint8Array, row: Row | null, commitTs: number): void {
    // Above every key the delta holds (the run's last is the largest): only the stable layer can hold it
    // (findLiveStable answers an append after one comparison), and no key string is built.
    const aboveRun = this.runLastKey === undefined || compareBytes(key, this.runLastKey) > 0;
    let ks: string | undefined;
    let d: number | undefined;
    if (!aboveRun && this.deltaLive.size > 0) {
      ks = latin1(key);
      d = this.deltaLive.get(ks);
      if (d !== undefined) this.deltaLive.delete(ks);
    }
    if (d === undefined && !aboveRun) d = this.findLiveInRun(key);
    if (d !== undefined) this.deltaEnd[d] = commitTs;
    else {
      const s = this.findLiveStable(key);
      if (s >= 0) {
        const b = this.stable[s >> BLOCK_SHIFT]!;
        b.end[s & BLOCK_MASK] = commitTs;
        b.endChanges++;
      }
    }
    if (row === null) return;
    this.growDelta();
    const i = this.deltaRows++;
    for (let c = 0; c < this.delta.length; c++) this.delta[c]!.append(row[c] ?? null);
    this.deltaKeys.append(key);
    this.deltaBegin[i] = commitTs;
    this.deltaEnd[i] = TS_LIVE;
    if (aboveRun) {
      this.runRows[this.runLength++] = i;
      this.runLastKey = key;
    } else this.deltaLive.set(ks ?? latin1(key), i);
    this.deltaCache = undefined;
  }

  /** Delta row of the live version of `key` in the run, or undefined. */
  private findLiveInRun(key: Uint8Array): number | undefined {
    if (this.runLength === 0) return undefined;
    const keys = this.deltaKeys.view();
    const run = this.runRows;
    let lo = 0;
    let hi = this.runLength;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeyTo(keys, run[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.runLength) return undefined;
    const row = run[lo]!;
    return compareKeyTo(keys, row, key) === 0 && this.deltaEnd[row] === TS_LIVE ? row : undefined;
  }

  /** ADD COLUMN: every existing version reads the fill value. */
  addColumns(def: StoredTableDef, ts: number): void {
    assert(def.columns.length >= this.types.length, 'columns are only ever added');
    for (let c = this.types.length; c < def.columns.length; c++) {
      const type = def.columns[c]!.type;
      const fill: Value = def.fills[c] ?? null;
      for (const b of this.stable) {
        const v = constantVector(type, fill, b.rows);
        b.columns.push(v);
        b.zones.push(zoneOf(v, b.rows));
      }
      const builder = new VectorBuilder(type, Math.max(this.deltaRows, 8));
      for (let i = 0; i < this.deltaRows; i++) builder.append(fill);
      this.delta.push(builder);
    }
    if (def.columns.length > this.types.length) this.columnsAt.push({ ts, count: def.columns.length });
    this.def = def;
    this.types = def.columns.map((c) => c.type);
    this.deltaCache = undefined;
  }

  private growDelta(): void {
    if (this.deltaRows < this.deltaBegin.length) return;
    const begin = new Float64Array(this.deltaBegin.length * 2);
    begin.set(this.deltaBegin);
    this.deltaBegin = begin;
    const end = new Float64Array(this.deltaEnd.length * 2);
    end.set(this.deltaEnd);
    this.deltaEnd = end;
    const run = new Uint32Array(this.runRows.length * 2);
    run.set(this.runRows);
    this.runRows = run;
  }

  /** Global stable position of the live version of `key`, or -1. Versions of a key are adjacent, oldest first. */
  private findLiveStable(key: Uint8Array): number {
    let lo = 0;
    let hi = this.stableRows;
    if (hi === 0) return -1;
    // Appends (a key above every stable key, the common insert) answer after one comparison, not log2(rows).
    const top = hi - 1;
    if (compareKeyTo(this.stable[top >> BLOCK_SHIFT]!.keys, top & BLOCK_MASK, key) < 0) return -1;
    // upper bound: first position whose key is greater than `key`
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeyTo(this.stable[mid >> BLOCK_SHIFT]!.keys, mid & BLOCK_MASK, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const last = lo - 1;
    if (last < 0 || compareKeyTo(this.stable[last >> BLOCK_SHIFT]!.keys, last & BLOCK_MASK, key) !== 0) return -1;
    return this.stable[last >> BLOCK_SHIFT]!.end[last & BLOCK_MASK] === TS_LIVE ? last : -1;
  }

  // ---- reading ----

  /** Column count a read at ts sees; DuetError 42P01 when the table did not exist yet at ts. */
  columnCountAt(ts: number): number {
    let count = -1;
    for (const c of this.columnsAt) if (c.ts <= ts) count = c.count;
    if (count < 0) throw new DuetError(SqlState.undefinedTable, `relation "${this.def.name}" does not exist at timestamp ${ts}`);
    return count;
  }

  /**
   * The versions visible at ts (begin <= ts < end) as batches of at most BLOCK_ROWS rows: stable blocks are
   * handed out as they are (columns by reference) with a selection vector when some rows are not visible.
   */
  scan(ts: number, req: ScanRequest = {}, counters?: ScanCounters): Generator<Batch> {
    const count = this.columnCountAt(ts);
    const cols = req.columns ?? Array.from({ length: count }, (_, i) => i);
    for (const c of cols) if (c >= count) throw new DuetError(SqlState.undefinedColumn, `column ${c} of "${this.def.name}" does not exist at timestamp ${ts}`);
    const types = cols.map((c) => this.types[c]!);
    // Taken now, not when iteration starts: a compaction between batches replaces these arrays (it never
    // changes them), so a scan read in several steps still sees every version exactly once.
    const stable = req.blocks ?? this.stable;
    const deltaRows = this.deltaRows;
    const delta = deltaRows > 0 ? { columns: cols.map((c) => this.deltaVectors()[c]!), begin: this.deltaBegin, end: this.deltaEnd } : undefined;
    return scanLayers(stable, delta, deltaRows, ts, cols, types, req.zone ?? [], counters);
  }

  private deltaVectors(): Vector[] {
    if (this.deltaCache?.rows !== this.deltaRows) this.deltaCache = { rows: this.deltaRows, columns: this.delta.map((b) => b.build()) };
    return this.deltaCache.columns;
  }

  // ---- compaction ----

  /**
   * Merges the delta into a new stable layer sorted by (key, begin), dropping versions that ended at or
   * below horizonTs (no read at or above the horizon can see them). Returns versions dropped.
   */
  compact(horizonTs: number): number {
    const delta = this.deltaVectors();
    const keys = this.deltaKeys.view();
    const begin = this.deltaBegin;
    const order = this.deltaOrder(keys, begin);
    const out: Block[] = [];
    let builder = new BlockBuilder(this.types);
    let dropped = 0;
    const emit = (columns: readonly Vector[], i: number, key: Uint8Array, b: number, e: number): void => {
      if (e <= horizonTs) { dropped++; return; }
      builder.appendFrom(columns, i, key, b, e);
      if (builder.full) {
        out.push(builder.finish());
        builder = new BlockBuilder(this.types);
      }
    };
    let s = 0;
    let d = 0;
    while (s < this.stableRows || d < order.length) {
      const di = d < order.length ? order[d]! : -1;
      const blk = s < this.stableRows ? this.stable[s >> BLOCK_SHIFT]! : undefined;
      const i = s & BLOCK_MASK;
      // A whole stable block that no delta key falls into and that holds no dead version is kept as it is
      // (same object): appends and updates of recent keys cost O(delta), not O(table).
      if (blk !== undefined && i === 0 && builder.rows === 0 && blk.rows === BLOCK_ROWS && (di < 0 || compareKeys(blk.keys, BLOCK_ROWS - 1, keys, di) < 0) && allLiveAfter(blk.end, horizonTs)) {
        out.push(blk);
        s += BLOCK_ROWS;
        continue;
      }
      // on equal keys the stable versions are older (they were compacted before these delta versions began)
      if (blk !== undefined && (di < 0 || compareKeys(blk.keys, i, keys, di) <= 0)) {
        emit(blk.columns, i, keyAt(blk.keys, i), blk.begin[i]!, blk.end[i]!);
        s++;
      } else {
        emit(delta, di, keyAt(keys, di), begin[di]!, this.deltaEnd[di]!);
        d++;
      }
    }
    if (builder.rows > 0) out.push(builder.finish());
    this.stable = out;
    this.stableRows = out.reduce((n, b) => n + b.rows, 0);
    this.resetDelta();
    return dropped;
  }

  /**
   * Delta rows in (key, begin) order: the run is in that order already, so only the other rows are sorted and
   * the two merged. On equal keys the run's row goes first: it is the key's oldest delta version (a row joins
   * the run only above every key appended before it).
   */
  private deltaOrder(keys: KeyColumn, begin: Float64Array): Uint32Array {
    const n = this.deltaRows;
    const run = this.runRows.subarray(0, this.runLength);
    if (run.length === n) return run.slice();
    const inRun = new Uint8Array(n);
    for (let r = 0; r < run.length; r++) inRun[run[r]!] = 1;
    const others = new Uint32Array(n - run.length);
    for (let i = 0, k = 0; i < n; i++) if (inRun[i] === 0) others[k++] = i;
    others.sort((a, b) => compareKeys(keys, a, keys, b) || begin[a]! - begin[b]!);
    const order = new Uint32Array(n);
    let r = 0;
    let o = 0;
    for (let j = 0; j < n; j++) {
      if (o === others.length || (r < run.length && compareKeys(keys, run[r]!, keys, others[o]!) <= 0)) order[j] = run[r++]!;
      else order[j] = others[o++]!;
    }
    return order;
  }

  /** Replaces the stable layer (restart from Parquet, or a snapshot load); the delta must be empty. */
  setStable(blocks: Block[]): void {
    assert(this.deltaRows === 0, 'stable layer replaced under a non-empty delta');
    for (let i = 0; i + 1 < blocks.length; i++) assert(blocks[i]!.rows === BLOCK_ROWS, 'only the last stable block may be short');
    this.stable = blocks;
    this.stableRows = blocks.reduce((n, b) => n + b.rows, 0);
  }

  private resetDelta(): void {
    this.delta = this.types.map((t) => new VectorBuilder(t));
    this.deltaKeys = new KeyColumnBuilder();
    this.deltaBegin = new Float64Array(64);
    this.deltaEnd = new Float64Array(64);
    this.deltaRows = 0;
    this.runRows = new Uint32Array(64);
    this.runLength = 0;
    this.runLastKey = undefined;
    this.deltaLive = new Map();
    this.deltaCache = undefined;
  }

  // ---- observability ----

  memoryBytes(): number {
    let bytes = 0;
    for (const b of this.stable) bytes += blockBytes(b);
    if (this.deltaRows > 0) {
      for (const v of this.deltaVectors()) bytes += vectorBytes(v);
      bytes += this.deltaKeys.bytesUsed + this.deltaBegin.byteLength + this.deltaEnd.byteLength + this.runRows.byteLength + this.deltaLive.size * 64;
    }
    return bytes;
  }
}

/** The key bytes as a string (a Map key). */
function latin1(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

const BLOCK_SHIFT = Math.log2(BLOCK_ROWS);
const BLOCK_MASK = BLOCK_ROWS - 1;
assert(Number.isInteger(BLOCK_SHIFT), 'BLOCK_ROWS must be a power of two');

function* scanLayers(
  stable: Iterable<Block>, delta: { columns: Vector[]; begin: Float64Array; end: Float64Array } | undefined, deltaRows: number,
  ts: number, cols: readonly number[], types: SqlType[], zone: readonly ZonePredicate[], counters: ScanCounters | undefined,
): Generator<Batch> {
  for (const b of stable) {
    if (zone.length > 0 && !zoneMayMatch(b.zones, zone)) {
      if (counters) counters.blocksPruned++;
      continue;
    }
    if (counters) counters.blocksScanned++;
    const columns = cols.map((c) => b.columns[c]!);
    // a block wholly visible at ts (the usual case after compaction) is handed out without a row-by-row check
    if (allVisibleAt(b, ts)) { yield { length: b.rows, columns, types, selection: undefined }; continue; }
    const batch = visibleBatch(b.rows, b.begin, b.end, ts, columns, types, 0, b.rows);
    if (batch) yield batch;
  }
  if (!delta) return;
  for (let start = 0; start < deltaRows; start += BLOCK_ROWS) {
    const batch = visibleBatch(deltaRows, delta.begin, delta.end, ts, delta.columns, types, start, Math.min(deltaRows, start + BLOCK_ROWS));
    if (batch) yield batch;
  }
}

function allLiveAfter(end: Float64Array, horizonTs: number): boolean {
  for (let i = 0; i < end.length; i++) if (end[i]! <= horizonTs) return false;
  return true;
}

/** Rows [from, to) visible at ts as one batch (selection vector unless all are visible); undefined if none. */
function visibleBatch(n: number, begin: Float64Array, end: Float64Array, ts: number, columns: Vector[], types: SqlType[], from: number, to: number): Batch | undefined {
  let visible = 0;
  for (let i = from; i < to; i++) if (begin[i]! <= ts && ts < end[i]!) visible++;
  if (visible === 0) return undefined;
  if (visible === n && from === 0 && to === n) return { length: n, columns, types, selection: undefined };
  const sel = new Uint32Array(visible);
  let k = 0;
  for (let i = from; i < to; i++) if (begin[i]! <= ts && ts < end[i]!) sel[k++] = i;
  return { length: n, columns, types, selection: sel };
}

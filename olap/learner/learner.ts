// The columnar learner's state machine: applies committed log entries in index order to per-table column
// stores, answers scans at a timestamp, compacts deltas into stable blocks. No I/O here except through the
// optional persistence hook (persist.ts), so the same object runs in a worker, a process or a test.
import { decodeLogEntry } from '../../oltp/commitlog.ts';
import type { StoredTableDef } from '../../oltp/catalog.ts';
import { assert, DuetError, SqlState } from '../../oltp/errors.ts';
import type { Row } from '../../oltp/types.ts';
import { completeRow } from '../../cdc/events.ts';
import { SchemaTracker } from '../../cdc/schema.ts';
import type { Batch } from '../exec/spec.ts';
import { ColumnTable, type ColumnsAt, type ScanCounters, type ScanRequest } from './table.ts';
import { SEGMENT_BLOCKS, type Block } from './block.ts';

export interface LearnerOptions {
  /** Most delta versions (all tables) before the learner compacts; bounds the delta's memory. Default 65536. */
  deltaRowsMax?: number;
}

export interface TableStatus {
  readonly name: string;
  readonly id: number;
  readonly deltaRows: number;
  readonly stableRows: number;
  readonly stableBlocks: number;
  /** Parquet segment files the stable blocks make (SEGMENT_BLOCKS blocks each) once saved. */
  readonly stableSegments: number;
  readonly memoryBytes: number;
}

/** SQLSTATE 72000 (snapshot too old): versions a read at this timestamp needs were compacted away. */
export const SNAPSHOT_TOO_OLD = '72000';

export class Learner {
  appliedIndex = 0;
  appliedTs = 0;
  /** Reads below this timestamp are refused: compaction dropped versions they could see. */
  horizonTs = 0;
  compactions = 0;
  private schema = new SchemaTracker();
  private readonly tables = new Map<number, ColumnTable>();
  /** Timestamps of reads in progress (and pinned by callers): compaction keeps what they can see. */
  private readonly pins = new Map<number, number>();
  readonly deltaRowsMax: number;

  constructor(options: LearnerOptions = {}) {
    this.deltaRowsMax = options.deltaRowsMax ?? 65_536;
  }

  // ---- applying the log ----

  /**
   * Applies encoded log entries in index order. An entry at or below the applied index is skipped (a
   * re-delivery); a gap is a bug in the feeder. Compacts whenever the delta reaches its bound.
   */
  applyEntries(entries: readonly Uint8Array[]): void {
    for (const bytes of entries) {
      const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const entry = decodeLogEntry(buf);
      if (entry.index <= this.appliedIndex) continue;
      assert(entry.index === this.appliedIndex + 1, `learner log gap: applied ${this.appliedIndex}, got ${entry.index}`);
      for (const change of this.schema.apply(entry.writes)) {
        if (change.kind === 'dropTable') this.tables.delete(change.tableId);
        else if (change.kind === 'createTable') this.tables.set(change.tableId, new ColumnTable(change.def!, entry.commitTs));
        else this.tables.get(change.tableId)?.addColumns(change.def!, entry.commitTs);
      }
      for (const w of entry.writes) {
        if (w.kind !== 'row') continue;
        const def = this.schema.table(w.tableId);
        const table = this.tables.get(w.tableId);
        if (!def || !table) continue;
        table.applyChange(w.key, w.row === null ? null : completeRow(def, w.row), entry.commitTs);
      }
      this.appliedIndex = entry.index;
      this.appliedTs = entry.commitTs;
      if (this.deltaRows() >= this.deltaRowsMax) this.compact();
    }
  }

  // ---- snapshot load (a rebuild when the log no longer reaches back far enough) ----

  /** Starts from a row-store snapshot taken at (index, ts): every table empty, rows follow via loadRows. */
  beginSnapshot(index: number, ts: number, defs: readonly StoredTableDef[]): void {
    this.schema = SchemaTracker.fromDefs(defs);
    this.tables.clear();
    for (const d of defs) this.tables.set(d.id, new ColumnTable(d, ts));
    this.appliedIndex = index;
    this.appliedTs = ts;
    // the snapshot holds no history: reads before it cannot be answered
    this.horizonTs = ts;
  }

  loadRows(tableId: number, rows: readonly { key: Uint8Array; row: Row }[]): void {
    const t = this.tables.get(tableId);
    assert(t !== undefined, 'snapshot rows for an unknown table');
    for (const r of rows) t.applyChange(r.key, r.row, this.appliedTs);
    if (this.deltaRows() >= this.deltaRowsMax) this.compact();
  }

  /** Restart from persisted state (persist.ts). */
  restore(state: RestoredState): void {
    this.schema = SchemaTracker.fromDefs(state.tables.map((t) => t.def));
    this.tables.clear();
    for (const t of state.tables) {
      const table = new ColumnTable(t.def, t.createdTs, [...t.columnsAt]);
      table.setStable(t.blocks);
      this.tables.set(t.def.id, table);
    }
    this.appliedIndex = state.appliedIndex;
    this.appliedTs = state.appliedTs;
    this.horizonTs = state.horizonTs;
  }

  // ---- reading ----

  tableByName(name: string): ColumnTable | undefined {
    for (const t of this.tables.values()) if (t.def.name === name) return t;
    return undefined;
  }

  tableList(): ColumnTable[] {
    return [...this.tables.values()];
  }

  /** Batches of `table` visible at ts. The caller waited until the learner applied what ts needs. */
  scan(table: string, ts: number, req: ScanRequest = {}, counters?: ScanCounters): Batch[] {
    return [...this.openScan(table, ts, req, counters)];
  }

  /** The same as scan, read batch by batch; the versions it sees are fixed when it is opened. */
  openScan(table: string, ts: number, req: ScanRequest = {}, counters?: ScanCounters): Generator<Batch> {
    if (ts < this.horizonTs) throw new DuetError(SNAPSHOT_TOO_OLD, `snapshot too old: the columnar replica keeps versions from timestamp ${this.horizonTs}, the read is at ${ts}`);
    const t = this.tableByName(table);
    if (!t) throw new DuetError(SqlState.undefinedTable, `relation "${table}" does not exist on the columnar replica`);
    return t.scan(ts, req, counters);
  }

  /** Keeps versions visible at ts through compactions until unpin. */
  pin(ts: number): void {
    this.pins.set(ts, (this.pins.get(ts) ?? 0) + 1);
  }

  unpin(ts: number): void {
    const n = this.pins.get(ts) ?? 0;
    if (n <= 1) this.pins.delete(ts);
    else this.pins.set(ts, n - 1);
  }

  // ---- compaction ----

  /** Merges every delta into stable below the oldest pinned read; returns dead versions dropped. */
  compact(): number {
    let horizon = this.appliedTs;
    for (const ts of this.pins.keys()) horizon = Math.min(horizon, ts);
    horizon = Math.max(horizon, this.horizonTs);
    let dropped = 0;
    for (const t of this.tables.values()) dropped += t.compact(horizon);
    this.horizonTs = horizon;
    this.compactions++;
    return dropped;
  }

  deltaRows(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.deltaRows;
    return n;
  }

  status(): TableStatus[] {
    return this.tableList().map((t) => ({ name: t.def.name, id: t.def.id, deltaRows: t.deltaRows, stableRows: t.stableRows, stableBlocks: t.stable.length, stableSegments: Math.ceil(t.stable.length / SEGMENT_BLOCKS), memoryBytes: t.memoryBytes() }));
  }
}

export interface RestoredTable {
  readonly def: StoredTableDef;
  readonly createdTs: number;
  readonly columnsAt: readonly ColumnsAt[];
  readonly blocks: Block[];
}

export interface RestoredState {
  readonly appliedIndex: number;
  readonly appliedTs: number;
  readonly horizonTs: number;
  readonly tables: readonly RestoredTable[];
}

// The row store's contract with the layers above it (query/, cdc/, olap/). The implementation lives
// in oltp/ (RowStore); query/ builds SQL on these calls only. Keep this file the single source of truth.

import type { Row, SqlType, Value } from './types.ts';

/** PostgreSQL's levels: 'snapshot' is REPEATABLE READ; 'read committed' takes a new snapshot per statement. */
export type Isolation = 'read committed' | 'snapshot' | 'serializable';

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  /** DEFAULT expression as SQL text (bound and evaluated by query/); undefined = NULL. */
  readonly defaultSql?: string;
}

export interface IndexDef {
  readonly id: number;
  readonly name: string;
  /** Column ordinals (positions in TableDef.columns), in index key order. */
  readonly columns: readonly number[];
  readonly unique: boolean;
}

export interface TableDef {
  readonly id: number;
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  /**
   * Column ordinals of the primary key. A table declared without one gets a hidden BIGINT row id:
   * then `hiddenRowId` is true and the row store assigns the key (rows still carry only the user columns).
   */
  readonly primaryKey: readonly number[];
  readonly hiddenRowId: boolean;
  readonly indexes: readonly IndexDef[];
  /** Increments on every change of this table's definition (ADD COLUMN, CREATE/DROP INDEX). */
  readonly schemaVersion: number;
}

export interface ViewDef {
  readonly name: string;
  /** The view's SELECT as SQL text; query/ binds it at use. */
  readonly sql: string;
  readonly columnNames?: readonly string[];
}

export interface NewTable {
  name: string;
  columns: ColumnDef[];
  primaryKey: number[];
  /** UNIQUE constraints declared with the table become unique indexes. */
  uniques?: { name?: string; columns: number[] }[];
}

/** A key range over a prefix of the primary key (or of an index's columns). */
export interface KeyRange {
  lower?: Value[];
  lowerInclusive?: boolean; // default true
  upper?: Value[];
  upperInclusive?: boolean; // default true
}

export interface ScanOptions extends KeyRange {
  /** Rows per yielded batch; default 1024. */
  batchRows?: number;
  /**
   * Tables with a hidden row id only: append the row id as one extra trailing value to every row, so
   * the caller can address the row in update()/delete() (primaryKeyOf() then returns [rowId]).
   */
  withRowId?: boolean;
  reverse?: boolean;
}

/**
 * One transaction. All reads see the snapshot at `readTs` merged with this transaction's own writes.
 * Writes lock rows (PostgreSQL-style): a second writer of the same row waits until the first commits
 * or rolls back; then under 'read committed' it proceeds on the newest version, under 'snapshot' and
 * 'serializable' it fails with 40001 if the row changed after its snapshot. Deadlocks raise 40P01.
 * After any DuetError thrown by a write or by commit(), the transaction is aborted: only rollback() is allowed.
 */
export interface Txn {
  readonly id: number;
  readonly isolation: Isolation;
  /** Snapshot timestamp reads use. */
  readonly readTs: number;
  readonly state: 'active' | 'committed' | 'aborted';
  /** True once this transaction wrote anything (rows or catalog). */
  readonly hasWrites: boolean;

  /** 'read committed': start a new statement with a fresh snapshot (no-op at other levels). */
  beginStatement(): void;

  // ---- catalog (versioned like rows; DDL is transactional) ----
  getTable(name: string): TableDef | undefined;
  getTableById(id: number): TableDef | undefined;
  listTables(): TableDef[];
  getView(name: string): ViewDef | undefined;
  listViews(): ViewDef[];
  createTable(def: NewTable): Promise<TableDef>; // 42P07 if the name is taken (table or view)
  dropTable(name: string): Promise<void>; // 42P01 if missing
  /** Builds the index over existing rows; unique violation among them raises 23505. */
  createIndex(table: string, def: { name: string; columns: number[]; unique: boolean }): Promise<IndexDef>;
  dropIndex(name: string): Promise<void>;
  /** Appends a column; existing rows read it as `fill` (the evaluated DEFAULT, or null). */
  addColumn(table: string, column: ColumnDef, fill: Value): Promise<TableDef>;
  createView(def: ViewDef): Promise<void>;
  dropView(name: string): Promise<void>;

  // ---- rows (Row = values in column order of the table definition) ----
  /** The visible row with this primary key, or undefined. Synchronous fast path for point reads. */
  get(table: TableDef, pk: Value[]): Row | undefined;
  /** Rows in primary-key order within the range (a prefix of the key may be given), in batches. */
  scan(table: TableDef, options?: ScanOptions): AsyncIterable<Row[]>;
  /** Rows whose index columns fall in the range (prefix allowed), in index order, in batches. */
  indexScan(table: TableDef, index: IndexDef, options?: ScanOptions): AsyncIterable<Row[]>;
  /** Checks NOT NULL (23502), PRIMARY KEY and UNIQUE (23505) and VARCHAR length (22001). */
  insert(table: TableDef, row: Row): Promise<void>;
  /**
   * Locks the row for update and returns the version to update: under 'read committed' the newest
   * committed version (undefined if deleted meanwhile), otherwise the snapshot version (40001 if a
   * newer committed version exists).
   */
  lockForUpdate(table: TableDef, pk: Value[]): Promise<Row | undefined>;
  /**
   * Replaces the row with primary key `pk` by `row` (which may change the key). Locks as lockForUpdate.
   * Under 'read committed', update() and delete() of a row whose newest committed version is newer than the
   * statement's snapshot fail with 40001 unless lockForUpdate() handed out that newest version first: the
   * caller must compute the new row from it (PostgreSQL re-evaluates on the new version); otherwise a
   * concurrent update would be lost.
   */
  update(table: TableDef, pk: Value[], row: Row): Promise<void>;
  delete(table: TableDef, pk: Value[]): Promise<void>;

  /** Durable when it resolves (the commit record is synced). */
  commit(): Promise<{ commitTs: number }>;
  rollback(): void;
}

export interface RowStoreOptions {
  /** Group commit: longest time a commit waits for others to share its fsync. Default 0 (next tick). */
  groupCommitWaitMs?: number;
}

export interface RowStoreApi {
  begin(options?: { isolation?: Isolation }): Txn;
  /** Primary key of a row: the key columns' values, or [rowId] for a hidden-row-id table row read withRowId. */
  primaryKeyOf(table: TableDef, row: Row): Value[];
  close(): Promise<void>;
}

// One transaction: snapshot reads merged with its own buffered writes, row locks, constraint checks,
// and the hand-over of its write set to the commit queue (rowstore.ts). DDL lives in ddl.ts, scans in scan.ts.
import type { IndexDef, Isolation, NewTable, ScanOptions, TableDef, Txn, ViewDef } from './api.ts';
import { Catalog, indexTypes, keyTypes, tableEntry, viewEntry, type CatalogValue, type StoredTableDef } from './catalog.ts';
import type { LogWrite } from './commitlog.ts';
import { checkRow, uniqueViolation } from './constraints.ts';
import * as ddl from './ddl.ts';
import { DuetError, SqlState, assert } from './errors.ts';
import { encodeKey, KeyWriter, writeKeyValue } from './keycodec.ts';
import { latestKey, idPrefix, KS_INDEX, KS_LATEST, prefixEnd } from './keys.ts';
import type { LockManager } from './locks.ts';
import { visibleRow, type VersionSource } from './mvcc.ts';
import { indexScan, tableScan } from './scan.ts';
import type { Row, SqlType, Value } from './types.ts';
import { isTombstone, versionRow, versionTs } from './version.ts';
import type { ClassicLevel } from 'classic-level';

/** What a transaction needs from the row store that owns it. */
export interface TxnHost extends VersionSource {
  readonly catalog: Catalog;
  readonly locks: LockManager;
  readonly db: ClassicLevel<Buffer, Buffer>;
  /** Commit timestamp of the last applied commit: the snapshot a new statement reads. */
  appliedTs(): number;
  /** getSync of a latest/version key; versions are checked against their CRC. */
  readLatest(key: Buffer): Buffer | undefined;
  /** Throws XX001 when a version read by an iterator fails its CRC. */
  checkVersion(key: Buffer, value: Buffer): void;
  allocateObjectId(): number;
  allocateRowId(tableId: number): Promise<number>;
  /**
   * Queues the commit of `txn.commitWrites` (validate, append, apply) and settles it with `txn.committed(commitTs)`
   * once durable or `txn.commitFailed(error)`; throws only when the store cannot take commits at all. One promise
   * per commit (made by commit()) instead of a chain of them: every commit allocates it, and the scavenger pays.
   */
  submitCommit(txn: Transaction): void;
  /**
   * Changes whenever latest keys may have been written by something other than a commit of a transaction that
   * holds their locks (a GC pass, the replica apply path): a version read under a row lock stays the newest one
   * until the lock holder commits only while this has not changed.
   */
  readonly latestGeneration: number;
  txnEnded(txn: Transaction): void;
}

/** A buffered row write. `row` null = delete; `existed` = a committed version existed before this transaction touched it. */
export interface RowWrite {
  readonly tableId: number;
  readonly pk: Buffer;
  row: Row | null;
  existed: boolean;
  /** The latest key `03 | tableId | pk` and its latin1 string (the key of `Transaction.writes`). */
  readonly key: Buffer;
  readonly keyStr: string;
  /** The newest committed version read under this transaction's lock (undefined: none) and host.latestGeneration then. */
  readonly prev: Buffer | undefined;
  readonly prevGeneration: number;
}

/** The newest committed version of a row read under its lock: what a commit replaces (see RowWrite.prev). */
interface LockedLatest {
  readonly keyStr: string;
  readonly value: Buffer | undefined;
  readonly generation: number;
}

export class Transaction implements Txn {
  readonly id: number;
  readonly isolation: Isolation;
  readTs: number;
  state: 'active' | 'committed' | 'aborted' = 'active';
  /** Row writes by table id, keyed by the latin1 string of the latest key (string order = byte order). */
  readonly writes = new Map<number, Map<string, RowWrite>>();
  // Collections most transactions never fill (a one-row insert needs only `writes` and `tableDefTs`) are made on
  // first use: a transaction is allocated per commit, and their allocation showed up as garbage-collector time.
  private catalogWritesMap: Map<string, CatalogValue | null> | undefined;
  private pendingIndexMap: Map<number, Map<string, Buffer>> | undefined;
  private readKeySet: Set<string> | undefined;
  private readRangeList: { lo: string; hi: string }[] | undefined;
  private ddlTableMap: Map<number, number> | undefined;
  /** For each table this transaction wrote rows to: the catalog version of the definition it used (-1: its own). */
  readonly tableDefTs = new Map<number, number>();
  /** Unique-index values this transaction wrote: `indexId:latin1(values)` -> latin1 latest key of the row. */
  private ownUniqueMap: Map<string, string> | undefined;
  /** Read committed: rows whose newest version lockForUpdate handed out (writes to them are based on it). */
  private lockedNewestSet: Set<string> | undefined;
  private wrote = false;
  /** Whether anything read at readTs yet (after that, snapshot levels keep readTs for good). */
  private snapshotUsed = false;
  private resolved: { id: number; readTs: number; catalogVersion: number; def: StoredTableDef } | undefined;
  /** Counts this transaction's catalog writes (invalidates `resolved`). */
  private catalogVersion = 0;
  private committing = false;
  /** The version lockExisting last read under a lock, for the recordWrite that follows it. */
  private lockedLatest: LockedLatest | undefined;
  /**
   * Set by commit() for the commit queue: the log writes, and for each row write the buffered write behind it
   * (its latest key and the version read under the lock, so the commit need not build or read them again).
   */
  commitWrites: LogWrite[] = NO_WRITES;
  commitSources: (RowWrite | undefined)[] | undefined;
  private settleCommit: { resolve: (r: { commitTs: number }) => void; reject: (e: unknown) => void } | undefined;

  constructor(
    readonly host: TxnHost,
    id: number,
    isolation: Isolation,
  ) {
    this.id = id;
    this.isolation = isolation;
    this.readTs = host.appliedTs();
  }

  /** Catalog entries this transaction wrote (null: dropped). */
  get catalogWrites(): ReadonlyMap<string, CatalogValue | null> {
    return this.catalogWritesMap ?? EMPTY_MAP;
  }

  /** Index entries of indexes created in this transaction (the backfill), by index id. */
  get pendingIndex(): ReadonlyMap<number, ReadonlyMap<string, Buffer>> {
    return this.pendingIndexMap ?? EMPTY_MAP;
  }

  /** Serializable only: point reads (latin1 latest keys) and scanned ranges [lo, hi) as latin1 strings. */
  get readKeys(): ReadonlySet<string> {
    return this.readKeySet ?? EMPTY_SET;
  }

  get readRanges(): readonly { lo: string; hi: string }[] {
    return this.readRangeList ?? EMPTY_LIST;
  }

  /** For each table whose definition this transaction changed: the snapshot it checked for concurrent row writes. */
  get ddlTables(): ReadonlyMap<number, number> {
    return this.ddlTableMap ?? EMPTY_MAP;
  }

  /** Serializable: records a scanned key range [lo, hi) (latin1 strings) for commit-time validation. */
  addReadRange(lo: string, hi: string): void {
    (this.readRangeList ??= []).push({ lo, hi });
  }

  /** ddl.ts: this transaction changes the definition of `tableId`, having checked row writes up to `sinceTs`. */
  noteDdlTable(tableId: number, sinceTs: number): void {
    const m = (this.ddlTableMap ??= new Map());
    if (!m.has(tableId)) m.set(tableId, sinceTs);
  }

  private noteReadKey(keyStr: string): void {
    (this.readKeySet ??= new Set()).add(keyStr);
  }

  /** @internal RowStore.snapshotReader: active again, reading at the newest applied snapshot. */
  rearm(): void {
    assert(!this.wrote && this.catalogWrites.size === 0 && this.readKeys.size === 0, 'a reused snapshot reader wrote or recorded reads');
    this.state = 'active';
    this.committing = false;
    this.snapshotUsed = false;
    this.readTs = this.host.appliedTs();
  }

  get hasWrites(): boolean {
    return this.wrote;
  }

  get serializable(): boolean {
    return this.isolation === 'serializable';
  }

  /**
   * Read committed: a new snapshot per statement. Snapshot/serializable: like PostgreSQL, the snapshot is taken
   * when the first statement starts (not at BEGIN), unless the transaction already read or wrote something.
   */
  beginStatement(): void {
    if (this.state !== 'active') return;
    if (this.isolation === 'read committed' || !this.snapshotUsed) this.readTs = this.host.appliedTs();
    this.snapshotUsed = true;
  }

  // ---- catalog ----

  lookupCatalog(name: string): CatalogValue | null {
    this.snapshotUsed = true;
    if (this.catalogWrites.has(name)) return this.catalogWrites.get(name) ?? null;
    return this.host.catalog.visible(name, this.readTs)?.value ?? null;
  }

  getTable(name: string): StoredTableDef | undefined {
    const v = this.lookupCatalog(tableEntry(name));
    return v?.kind === 'table' ? v.def : undefined;
  }

  getTableById(id: number): StoredTableDef | undefined {
    const name = this.host.catalog.tableNameById(id) ?? this.ownTableNameById(id);
    if (name === undefined) return undefined;
    const def = this.getTable(name);
    return def?.id === id ? def : undefined;
  }

  private ownTableNameById(id: number): string | undefined {
    for (const v of this.catalogWrites.values()) if (v?.kind === 'table' && v.def.id === id) return v.def.name;
    return undefined;
  }

  listTables(): TableDef[] {
    return this.listEntries('t/').flatMap((v) => (v.kind === 'table' ? [v.def] : []));
  }

  getView(name: string): ViewDef | undefined {
    const v = this.lookupCatalog(viewEntry(name));
    return v?.kind === 'view' ? v.def : undefined;
  }

  listViews(): ViewDef[] {
    return this.listEntries('v/').flatMap((v) => (v.kind === 'view' ? [v.def] : []));
  }

  private listEntries(prefix: string): CatalogValue[] {
    const names = new Set<string>();
    for (const n of this.host.catalog.names()) if (n.startsWith(prefix)) names.add(n);
    for (const n of this.catalogWrites.keys()) if (n.startsWith(prefix)) names.add(n);
    const out: CatalogValue[] = [];
    for (const n of [...names].sort()) {
      const v = this.lookupCatalog(n);
      if (v) out.push(v);
    }
    return out;
  }

  createTable(def: NewTable): Promise<TableDef> {
    return this.guard(() => ddl.createTable(this, def));
  }
  dropTable(name: string): Promise<void> {
    return this.guard(() => ddl.dropTable(this, name));
  }
  createIndex(table: string, def: { name: string; columns: number[]; unique: boolean }): Promise<IndexDef> {
    return this.guard(() => ddl.createIndex(this, table, def));
  }
  dropIndex(name: string): Promise<void> {
    return this.guard(() => ddl.dropIndex(this, name));
  }
  addColumn(table: string, column: TableDef['columns'][number], fill: Value): Promise<TableDef> {
    return this.guard(() => ddl.addColumn(this, table, column, fill));
  }
  createView(def: ViewDef): Promise<void> {
    return this.guard(() => ddl.createView(this, def));
  }
  dropView(name: string): Promise<void> {
    return this.guard(() => ddl.dropView(this, name));
  }

  /** Locks a catalog entry for a DDL change; fails with 40001 when it changed after this snapshot. */
  async lockCatalog(name: string): Promise<void> {
    const wait = this.lockKey(`\u0006${name}`);
    if (wait) await wait;
    if (this.host.catalog.latestTs(name) > this.readTs) {
      // Read committed: continue on the newest catalog (a concurrent CREATE of the same name then reports 42P07).
      if (this.isolation === 'read committed' && !this.catalogWrites.has(name)) this.readTs = this.host.appliedTs();
      else throw serializationFailure('could not serialize access due to concurrent DDL');
    }
  }

  /** Records a catalog change (ddl.ts calls this after taking the lock). */
  writeCatalog(name: string, value: CatalogValue | null): void {
    (this.catalogWritesMap ??= new Map()).set(name, value);
    this.catalogVersion++;
    this.wrote = true;
  }

  // ---- rows ----

  /** The transaction's current definition of a table (42P01 when it was dropped). */
  resolveTable(table: TableDef): StoredTableDef {
    // Point reads resolve the table on every call: remember the answer until the snapshot or the catalog changes.
    const cached = this.resolved;
    if (cached !== undefined && cached.id === table.id && cached.readTs === this.readTs && cached.catalogVersion === this.catalogVersion) return cached.def;
    const def = this.getTableById(table.id);
    if (!def) throw new DuetError(SqlState.undefinedTable, `relation "${table.name}" does not exist`);
    this.resolved = { id: table.id, readTs: this.readTs, catalogVersion: this.catalogVersion, def };
    return def;
  }

  encodePk(def: TableDef, pk: readonly Value[]): Buffer {
    const types = keyTypesOf(def);
    assert(pk.length === types.length, `primary key of "${def.name}" needs ${types.length} values, got ${pk.length}`);
    return encodeKey(pk, types);
  }

  /** The row as this transaction sees it (own writes first), completed with ADD COLUMN fills. */
  readRow(def: StoredTableDef, pk: Buffer): Row | null {
    return this.readLatestRow(def, latestKey(def.id, pk));
  }

  /** readRow by the row's latest key (`03 | tableId | pk`). */
  private readLatestRow(def: StoredTableDef, key: Buffer): Row | null {
    const own = this.writes.get(def.id)?.get(key.toString('latin1'));
    if (own) return own.row === null ? null : complete(def, own.row);
    if (this.serializable) this.noteReadKey(key.toString('latin1'));
    const row = visibleRow(this.host, def.id, key.subarray(LATEST_PREFIX_BYTES), this.host.readLatest(key), this.readTs);
    return row === null ? null : complete(def, row);
  }

  get(table: TableDef, pk: Value[]): Row | undefined {
    this.assertActive();
    const def = this.resolveTable(table);
    const types = keyTypesOf(def);
    assert(pk.length === types.length, `primary key of "${def.name}" needs ${types.length} values, got ${pk.length}`);
    // the latest key in one pass through a reused writer (finish() copies): one allocation per point read
    const w = pointKeyWriter;
    w.length = 0;
    w.byte(KS_LATEST);
    w.u32(def.id);
    for (let i = 0; i < pk.length; i++) writeKeyValue(w, pk[i]!, types[i]!);
    return this.readLatestRow(def, w.finish()) ?? undefined;
  }

  scan(table: TableDef, options: ScanOptions = {}): AsyncIterable<Row[]> {
    this.assertActive();
    return tableScan(this, this.resolveTable(table), options);
  }

  indexScan(table: TableDef, index: IndexDef, options: ScanOptions = {}): AsyncIterable<Row[]> {
    this.assertActive();
    const def = this.resolveTable(table);
    const current = def.indexes.find((i) => i.id === index.id);
    if (!current) throw new DuetError(SqlState.undefinedObject, `index "${index.name}" does not exist`);
    return indexScan(this, def, current, options);
  }

  insert(table: TableDef, row: Row): Promise<void> {
    return this.guardMostlySync(() => {
      const def = this.resolveTable(table);
      const checked = checkRow(def, row);
      if (def.hiddenRowId) {
        return this.host.allocateRowId(def.id).then((rowId) => this.insertAt(def, this.encodePk(def, [rowId]), [rowId], checked));
      }
      const pkValues = def.primaryKey.map((i) => checked[i]!);
      return this.insertAt(def, this.encodePk(def, pkValues), pkValues, checked);
    });
  }

  /** Inserts under the row lock; undefined when done without waiting (an uncontended key, no unique index). */
  private insertAt(def: StoredTableDef, pk: Buffer, pkValues: Value[], row: Row): Promise<void> | undefined {
    const key = latestKey(def.id, pk);
    const keyStr = key.toString('latin1');
    const wait = this.lockKey(keyStr);
    if (wait) return wait.then(() => this.insertLocked(def, key, keyStr, pkValues, row));
    return this.insertLocked(def, key, keyStr, pkValues, row);
  }

  private insertLocked(def: StoredTableDef, key: Buffer, keyStr: string, pkValues: Value[], row: Row): Promise<void> | undefined {
    const own = this.writes.get(def.id)?.get(keyStr);
    let existed: boolean;
    let locked: LockedLatest | undefined;
    if (own) {
      if (own.row !== null) throw uniqueViolation(`${def.name}_pkey`, def, def.primaryKey, pkValues);
      existed = own.existed;
    } else {
      // Uniqueness is checked against the newest committed version, not the snapshot (as PostgreSQL does).
      const generation = this.host.latestGeneration;
      const latest = this.host.readLatest(key);
      if (latest !== undefined && !isTombstone(latest)) throw uniqueViolation(`${def.name}_pkey`, def, def.primaryKey, pkValues);
      existed = false;
      locked = { keyStr, value: latest, generation };
    }
    if (def.indexes.some((i) => i.unique)) return this.checkUniqueIndexes(def, row, keyStr).then(() => this.recordWrite(def, key, keyStr, row, existed, locked));
    this.recordWrite(def, key, keyStr, row, existed, locked);
    return undefined;
  }

  /**
   * Locks the row and returns the version an update would modify: under 'read committed' the newest
   * committed one, otherwise the snapshot's (40001 when a newer version was committed since).
   */
  lockForUpdate(table: TableDef, pk: Value[]): Promise<Row | undefined> {
    return this.guard(async () => {
      const def = this.resolveTable(table);
      return (await this.lockExisting(def, this.encodePk(def, pk), true)) ?? undefined;
    });
  }

  /**
   * Locks the row and returns the version a write applies to. `forUpdate` = lockForUpdate (the caller gets
   * the newest version and computes from it); otherwise a direct update/delete, whose new values the caller
   * computed from its statement snapshot.
   */
  private async lockExisting(def: StoredTableDef, pk: Buffer, forUpdate = false): Promise<Row | null> {
    const key = latestKey(def.id, pk);
    const keyStr = key.toString('latin1');
    const wait = this.lockKey(keyStr);
    if (wait) await wait;
    const own = this.writes.get(def.id)?.get(keyStr);
    if (own) return own.row === null ? null : complete(def, own.row);
    const generation = this.host.latestGeneration;
    const latest = this.host.readLatest(key);
    this.lockedLatest = { keyStr, value: latest, generation };
    if (this.serializable) this.noteReadKey(keyStr);
    if (latest === undefined) return null;
    if (this.isolation !== 'read committed' && versionTs(latest) > this.readTs) {
      // First updater wins: the row changed after our snapshot (PostgreSQL REPEATABLE READ behaviour).
      const wasVisible = visibleRow(this.host, def.id, pk, latest, this.readTs) !== null;
      if (wasVisible) throw serializationFailure('could not serialize access due to concurrent update');
      return null;
    }
    const row = isTombstone(latest) ? null : versionRow(latest);
    if (row !== null && this.isolation === 'read committed') {
      if (forUpdate) (this.lockedNewestSet ??= new Set()).add(keyStr);
      else if (versionTs(latest) > this.readTs && !this.lockedNewestSet?.has(keyStr)) {
        // The caller computed this write from an older version than the newest: applying it would lose the
        // concurrent update. PostgreSQL re-evaluates the statement on the new version; callers get that by
        // calling lockForUpdate first. Without it, refuse rather than lose an update.
        throw serializationFailure('could not serialize access due to concurrent update');
      }
    }
    return row === null ? null : complete(def, row);
  }

  update(table: TableDef, pk: Value[], row: Row): Promise<void> {
    return this.guard(async () => {
      const def = this.resolveTable(table);
      const newRow = checkRow(def, row.length > def.columns.length && def.hiddenRowId ? row.slice(0, def.columns.length) : row);
      const oldPk = this.encodePk(def, pk);
      const current = await this.lockExisting(def, oldPk);
      if (current === null) return; // deleted meanwhile (read committed): nothing to update, like PostgreSQL
      const newPkValues = def.hiddenRowId ? pk : def.primaryKey.map((i) => newRow[i]!);
      const newPk = this.encodePk(def, newPkValues);
      const oldKey = latestKey(def.id, oldPk);
      const oldKeyStr = oldKey.toString('latin1');
      const locked = this.takeLockedLatest(oldKeyStr);
      if (newPk.equals(oldPk)) {
        if (def.indexes.some((i) => i.unique)) await this.checkUniqueIndexes(def, newRow, oldKeyStr);
        this.recordWrite(def, oldKey, oldKeyStr, newRow, this.existedBefore(def.id, oldKeyStr), locked);
        return;
      }
      this.recordWrite(def, oldKey, oldKeyStr, null, this.existedBefore(def.id, oldKeyStr), locked);
      await this.insertAt(def, newPk, newPkValues, newRow);
    });
  }

  delete(table: TableDef, pk: Value[]): Promise<void> {
    return this.guard(async () => {
      const def = this.resolveTable(table);
      const pkBytes = this.encodePk(def, pk);
      const current = await this.lockExisting(def, pkBytes);
      if (current === null) return;
      const key = latestKey(def.id, pkBytes);
      const keyStr = key.toString('latin1');
      this.recordWrite(def, key, keyStr, null, this.existedBefore(def.id, keyStr), this.takeLockedLatest(keyStr));
    });
  }

  private existedBefore(tableId: number, keyStr: string): boolean {
    const own = this.writes.get(tableId)?.get(keyStr);
    if (own) return own.existed;
    return true; // only called after lockExisting found a committed version
  }

  /** lockExisting's read of `keyStr`, once (undefined when the row was an own write or another key was read since). */
  private takeLockedLatest(keyStr: string): LockedLatest | undefined {
    const locked = this.lockedLatest;
    this.lockedLatest = undefined;
    return locked?.keyStr === keyStr ? locked : undefined;
  }

  /** `key` = the row's latest key; `locked` = the committed version read under the lock (absent for an own write). */
  private recordWrite(def: StoredTableDef, key: Buffer, keyStr: string, row: Row | null, existed: boolean, locked: LockedLatest | undefined): void {
    let table = this.writes.get(def.id);
    if (!table) this.writes.set(def.id, (table = new Map()));
    if (row === null && !existed) table.delete(keyStr);
    else {
      const w = table.get(keyStr);
      if (w) {
        w.row = row;
      } else {
        const pk = key.subarray(LATEST_PREFIX_BYTES);
        table.set(keyStr, { tableId: def.id, pk, row, existed, key, keyStr, prev: locked?.value, prevGeneration: locked?.generation ?? -1 });
      }
    }
    if (row !== null) for (const idx of def.indexes) if (idx.unique) (this.ownUniqueMap ??= new Map()).set(uniqueKey(def, idx, row), keyStr);
    if (!this.tableDefTs.has(def.id)) this.tableDefTs.set(def.id, this.catalogWrites.has(tableEntry(def.name)) ? -1 : this.host.catalog.latestTs(tableEntry(def.name)));
    this.wrote = true;
  }

  /** Registers backfilled index entries of an index created in this transaction. */
  addPendingIndexEntry(def: StoredTableDef, index: IndexDef, entry: Buffer, row: Row, rowKeyStr: string): void {
    const pending = (this.pendingIndexMap ??= new Map());
    let m = pending.get(index.id);
    if (!m) pending.set(index.id, (m = new Map()));
    m.set(entry.toString('latin1'), entry);
    if (index.unique) (this.ownUniqueMap ??= new Map()).set(uniqueKey(def, index, row), rowKeyStr);
    this.wrote = true;
  }

  /** 23505 when another row (committed newest version, or own write) has the same values in a unique index. */
  private async checkUniqueIndexes(def: StoredTableDef, row: Row, rowKeyStr: string): Promise<void> {
    for (const idx of def.indexes) {
      if (!idx.unique) continue;
      const values = idx.columns.map((c) => row[c]!);
      if (values.some((v) => v === null)) continue; // NULLs are distinct
      const uk = uniqueKey(def, idx, row);
      const wait = this.lockKey(`\u0005${uk}`);
      if (wait) await wait;
      const owner = this.ownUniqueMap?.get(uk);
      if (owner !== undefined && owner !== rowKeyStr && this.rowHasValues(def, idx, owner, values)) throw uniqueViolation(idx.name, def, idx.columns, values);
      const prefix = Buffer.concat([idPrefix(KS_INDEX, idx.id), encodeKey(values, indexTypes(def, idx))]);
      // Entries with these values: few (one live row plus not yet collected older versions).
      const keys = await this.host.db.keys({ gte: prefix, lt: prefixEnd(prefix) }).all();
      this.assertActive();
      for (const k of keys) {
        const keyStr = latestKey(def.id, k.subarray(prefix.length)).toString('latin1');
        if (keyStr === rowKeyStr) continue;
        // A conflicting row that another transaction is changing right now: wait for it, then look again
        // (it may be deleted or get other values), as PostgreSQL waits for the other inserter/updater.
        for (let wait = this.host.locks.waitUntilFree(this.id, keyStr); wait; wait = this.host.locks.waitUntilFree(this.id, keyStr)) {
          if (!this.rowHasValues(def, idx, keyStr, values)) break;
          await wait;
          this.assertActive();
        }
        if (this.rowHasValues(def, idx, keyStr, values)) throw uniqueViolation(idx.name, def, idx.columns, values);
      }
    }
  }

  /** Does the row under `keyStr` (own write, else newest committed version) hold `values` in the index columns? */
  private rowHasValues(def: StoredTableDef, idx: IndexDef, keyStr: string, values: Value[]): boolean {
    const own = this.writes.get(def.id)?.get(keyStr);
    let row: Row | null;
    if (own) row = own.row;
    else {
      const latest = this.host.readLatest(Buffer.from(keyStr, 'latin1'));
      row = latest === undefined || isTombstone(latest) ? null : complete(def, versionRow(latest)!);
    }
    if (row === null) return false;
    const types = indexTypes(def, idx);
    return encodeKey(idx.columns.map((c) => row[c]!), types).equals(encodeKey(values, types));
  }

  /** Locks a key; returns a promise only when it has to wait (the uncontended path stays synchronous). */
  private lockKey(key: string): Promise<void> | undefined {
    if (this.host.locks.tryAcquire(this.id, key)) return undefined;
    return this.host.locks.acquire(this.id, key).then(() => {
      // Rolled back while waiting: the lock was granted to a finished transaction; give it back.
      if (this.state !== 'active') this.host.locks.releaseAll(this.id);
      this.assertActive();
    });
  }

  // ---- end ----

  commit(): Promise<{ commitTs: number }> {
    try {
      this.assertActive();
    } catch (e) {
      return Promise.reject(e);
    }
    this.committing = true;
    if (!this.wrote) {
      // Read-only transactions (serializable included) commit without validation: they read one consistent snapshot.
      this.finish('committed');
      return Promise.resolve({ commitTs: this.readTs });
    }
    return new Promise<{ commitTs: number }>((resolve, reject) => {
      try {
        const sources: (RowWrite | undefined)[] = [];
        this.commitWrites = this.buildLogWrites(sources);
        this.commitSources = sources;
        this.settleCommit = { resolve, reject };
        this.host.submitCommit(this);
      } catch (e) {
        this.settleCommit = undefined;
        this.finish('aborted');
        reject(e);
      }
    });
  }

  /** @internal rowstore.ts: the commit is durable (and applied) at `commitTs`. */
  committed(commitTs: number): void {
    const settle = this.settleCommit;
    if (settle === undefined) return;
    this.endCommit('committed');
    settle.resolve({ commitTs });
  }

  /** @internal rowstore.ts: the commit failed (conflict, storage error); a no-op once the commit is settled. */
  commitFailed(e: unknown): void {
    const settle = this.settleCommit;
    if (settle === undefined) return;
    this.endCommit('aborted');
    settle.reject(e);
  }

  private endCommit(state: 'committed' | 'aborted'): void {
    this.settleCommit = undefined;
    // A session may keep the transaction object: let the write set go.
    this.commitWrites = NO_WRITES;
    this.commitSources = undefined;
    this.finish(state);
  }

  rollback(): void {
    if (this.state !== 'active' || this.committing) {
      assert(this.state !== 'committed', 'rollback after commit');
      return;
    }
    this.finish('aborted');
  }

  /**
   * The commit-log writes: row versions, index entries for new row values, catalog changes. `sources`, when
   * given, receives for each write the RowWrite behind it (undefined for other writes).
   */
  buildLogWrites(sources?: (RowWrite | undefined)[]): LogWrite[] {
    const out: LogWrite[] = [];
    // Iterators, entry pairs and the index-entry set are made only when there is something to go over: this runs
    // once per commit, and most commits write one row of a table without secondary indexes.
    if (this.catalogWritesMap !== undefined) {
      for (const [name, value] of this.catalogWritesMap) out.push({ kind: 'catalog', name, value: value === null ? null : ddl.serialize(value) });
    }
    let seenIndex: Set<string> | undefined;
    if (this.pendingIndexMap !== undefined) {
      for (const [indexId, entries] of this.pendingIndexMap) {
        for (const [s, key] of entries) {
          (seenIndex ??= new Set()).add(`${indexId}:${s}`);
          out.push({ kind: 'index', indexId, key });
        }
      }
    }
    this.writes.forEach((rows, tableId) => {
      const def = this.getTableById(tableId);
      if (!def) return; // dropped in this transaction: its rows die with it
      rows.forEach((w) => {
        const op = w.row === null ? 'delete' : w.existed ? 'update' : 'insert';
        if (sources) sources[out.length] = w;
        out.push({ kind: 'row', op, tableId, key: w.pk, row: w.row });
        if (w.row === null || def.indexes.length === 0) return;
        const row = complete(def, w.row);
        for (const idx of def.indexes) {
          const entry = indexEntryBytes(def, idx, row, w.pk);
          const s = `${idx.id}:${entry.toString('latin1')}`;
          if (seenIndex?.has(s)) continue;
          (seenIndex ??= new Set()).add(s);
          out.push({ kind: 'index', indexId: idx.id, key: entry });
        }
      });
    });
    return out;
  }

  assertActive(): void {
    this.snapshotUsed = true;
    if (this.state === 'committed') throw new DuetError(SqlState.noActiveTransaction, 'the transaction has already committed');
    if (this.state === 'aborted') throw new DuetError(SqlState.inFailedTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
    if (this.committing) throw new DuetError(SqlState.activeTransaction, 'the transaction is committing');
  }

  /** Runs a write; a DuetError aborts the transaction (only rollback() remains allowed). */
  /**
   * guard() for a write that usually finishes synchronously (`fn` returns undefined then): the common one-row
   * insert costs no promise chain of its own. Errors still come back as a rejected promise, never a throw.
   */
  private guardMostlySync(fn: () => Promise<void> | undefined): Promise<void> {
    // No `const abort = (e) => ...` here: tsx (esbuild keepNames) wraps every closure bound to a name in a
    // defineProperty call, ~0.5 us each time it is created (bench/rowstore/named-closure.ts), once per insert.
    try {
      this.assertActive();
      const pending = fn();
      return pending === undefined ? DONE : pending.catch((e: unknown) => this.abortWith(e));
    } catch (e) {
      return this.abortWith(e);
    }
  }

  private abortWith(e: unknown): Promise<never> {
    if (e instanceof DuetError && this.state === 'active') this.finish('aborted');
    return Promise.reject(e);
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    this.assertActive();
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DuetError && this.state === 'active') this.finish('aborted');
      throw e;
    }
  }

  private finish(state: 'committed' | 'aborted'): void {
    if (this.state !== 'active') return;
    this.state = state;
    this.host.locks.releaseAll(this.id);
    this.host.txnEnded(this);
  }
}

/** commitWrites before commit() and after the commit settled. */
const NO_WRITES: LogWrite[] = [];

export function serializationFailure(message: string): DuetError {
  return new DuetError(SqlState.serializationFailure, message, { hint: 'The transaction might succeed if retried.' });
}

/** A row stored before ADD COLUMN has fewer values: complete it from the table's fills. */
export function complete(def: StoredTableDef, row: Row): Row {
  if (row.length >= def.columns.length) return row;
  const out = row.slice();
  for (let i = row.length; i < def.columns.length; i++) out.push(def.fills[i] ?? null);
  return out;
}

export function indexEntryBytes(def: TableDef, idx: IndexDef, row: Row, pk: Buffer): Buffer {
  const w = new KeyWriter(32 + pk.length);
  for (const c of idx.columns) writeKeyValue(w, row[c]!, def.columns[c]!.type);
  w.bytes(pk);
  return w.finish();
}

/** The settled result of a write that finished synchronously (awaiting a settled promise allocates nothing). */
const DONE: Promise<void> = Promise.resolve();
const EMPTY_MAP: ReadonlyMap<never, never> = new Map<never, never>();
const EMPTY_SET: ReadonlySet<never> = new Set<never>();
const EMPTY_LIST: readonly never[] = Object.freeze([]);

const keyTypesCache = new WeakMap<TableDef, SqlType[]>();
/** Txn.get's key writer: used and emptied within one synchronous call. */
const pointKeyWriter = new KeyWriter(64);
/** `03 | tableId(u32)` before the primary key in a latest key (keys.ts latestKey). */
const LATEST_PREFIX_BYTES = 5;

/** keyTypes(def), computed once per (frozen) definition. */
function keyTypesOf(def: TableDef): SqlType[] {
  let types = keyTypesCache.get(def);
  if (!types) keyTypesCache.set(def, (types = keyTypes(def)));
  return types;
}

function uniqueKey(def: TableDef, idx: IndexDef, row: Row): string {
  const w = new KeyWriter();
  for (const c of idx.columns) writeKeyValue(w, row[c]!, def.columns[c]!.type);
  return `${idx.id}:${w.finish().toString('latin1')}`;
}

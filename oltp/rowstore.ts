// The row store: opens the LevelDB data directory, hands out transactions, and runs the commit path
// (validate, append the log entry and apply it in one synced batch, shared by every queued commit).
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import type { Isolation, RowStoreApi, RowStoreOptions, TableDef } from './api.ts';
import { Catalog, parseCatalogValue, tableEntry } from './catalog.ts';
import { encodeLogEntry, encodeLogEntryWithRows, decodeLogEntry, type LogEntry, type LogWrite } from './commitlog.ts';
import { DuetError, SqlState, assert } from './errors.ts';
import { decodeKey } from './keycodec.ts';
import { catalogKey, idPrefix, indexKey, KS_CATALOG, KS_LATEST, KS_LOG, KS_VERSION, readU53, latestKey, logKey, META_STATE_KEY, parseCatalogKey, prefixEnd, versionKey } from './keys.ts';
import { LockManager } from './locks.ts';
import { crc32 } from './rowcodec.ts';
import { corruptionError, storageError } from './storage-errors.ts';
import { serializationFailure, Transaction, type TxnHost } from './txn.ts';
import type { Value } from './types.ts';
import { Types } from './types.ts';
import { encodeVersion, encodeVersionFromRowBytes, versionIntact, versionTs } from './version.ts';
import { GarbageCollector } from './gc.ts';
import { findDamagedFile } from './file-check.ts';

export interface RowStoreOpenOptions extends RowStoreOptions {
  /** Most commits written by one synced batch (bounds batch size and latency). Default 1024. */
  groupCommitMax?: number;
  /** Background MVCC garbage collection period; 0 disables the timer (gc() can still be called). Default 1000. */
  gcIntervalMs?: number;
  /** Most keys one garbage-collection pass examines (bounded work per pass). Default 5000. */
  gcKeysPerPass?: number;
  /** Commit-log entries kept below the applied index (for CDC consumers and debugging). Default 100000. */
  logRetainEntries?: number;
  /**
   * Replication (oltp/replication/): called with each validated commit group before it is written; the group is
   * written and acknowledged only once this resolves (the entries are committed by a quorum). A rejection undoes
   * the group's sequencing and fails its commits with that error. Absent: the single-node path, unchanged.
   */
  replicate?: (entries: readonly LogEntry[]) => Promise<void>;
}

interface PendingCommit {
  readonly txn: Transaction;
  readonly writes: LogWrite[];
  readonly resolve: (commitTs: number) => void;
  readonly reject: (e: unknown) => void;
}

/** Keys written by a recent commit, kept while a serializable transaction may need to validate against them. */
interface RecentCommit {
  readonly ts: number;
  readonly keys: readonly string[];
}

const RECENT_COMMITS_MAX = 100_000;
const META_BYTES = 4 + 8 * 4;
const EMPTY = Buffer.alloc(0);

export class RowStore implements RowStoreApi, TxnHost {
  readonly catalog = new Catalog();
  readonly locks = new LockManager();
  readonly gc: GarbageCollector;
  private readonly active = new Set<Transaction>();
  private readonly queue: PendingCommit[] = [];
  private flushing = false;
  private flushDone: Promise<void> = Promise.resolve();
  private writeChain: Promise<unknown> = Promise.resolve();
  private readonly recent: RecentCommit[] = [];
  /** Serializable transactions with readTs below this cannot be validated any more (window exceeded). */
  private recentFloorTs = 0;
  private readonly tableLastWriteTs = new Map<number, number>();
  private readonly rowIds = new Map<number, number>();
  private appliedIndex = 0;
  private lastApplied = 0;
  /** snapshotReader()'s reused transaction. */
  private reader: Transaction | undefined;
  private seqIndex = 0;
  private seqTs = 0;
  private maxObjectId = 0;
  private maxTxnId = 0;
  private failure: unknown;
  private readonly listeners = new Set<(entries: readonly LogEntry[]) => void>();
  private closed = false;
  /**
   * CDC: called after every applied commit group with the new applied index and, when the group came from
   * log entries, their encoded bytes in log order (the last one is `appliedIndex`; must be cheap and never
   * modify them: it runs on the commit path).
   */
  private readonly commitListeners = new Set<(appliedIndex: number, encoded?: readonly Buffer[]) => void>();
  /** CDC: the lowest log index a registered consumer still needs (GC keeps entries from it on); undefined = none. */
  logHold: (() => number | undefined) | undefined = undefined;

  private constructor(
    readonly dir: string,
    readonly db: ClassicLevel<Buffer, Buffer>,
    readonly options: RowStoreOpenOptions,
  ) {
    this.gc = new GarbageCollector(this, options.gcKeysPerPass ?? 5000, options.logRetainEntries ?? 100_000);
  }

  static async open(dir: string, options: RowStoreOpenOptions = {}): Promise<RowStore> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new DuetError(SqlState.ioError, `cannot create the data directory ${dir}: ${(e as Error).message}`, { cause: e });
    }
    // LevelDB skips damaged write-ahead-log records on recovery without failing (and then deletes the log):
    // check them first, so damage is reported instead of acknowledged commits silently disappearing.
    const damagedWal = findDamagedFile(dir, { walsOnly: true });
    if (damagedWal) throw corruptionError(dir, damagedWal.reason, damagedWal.file);
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (e) {
      throw storageError(dir, e);
    }
    const store = new RowStore(dir, db, options);
    try {
      await store.load();
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e instanceof DuetError ? e : storageError(dir, e);
    }
    store.gc.start(options.gcIntervalMs ?? 1000);
    return store;
  }

  // ---- recovery ----

  private async load(): Promise<void> {
    const meta = this.readLatest(META_STATE_KEY);
    if (meta !== undefined) {
      if (meta.length !== META_BYTES || crc32(meta, 4) !== meta.readUInt32BE(0)) throw corruptionError(this.dir, 'the row store state record fails its checksum');
      const at = (i: number): number => meta.readUInt32BE(4 + i * 8) * 0x100000000 + meta.readUInt32BE(8 + i * 8);
      this.appliedIndex = this.seqIndex = at(0);
      this.lastApplied = this.seqTs = at(1);
      this.maxObjectId = at(2);
      this.maxTxnId = at(3);
    }
    const prefix = Buffer.from([KS_CATALOG]);
    try {
      for await (const [k, v] of this.db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
        const { name, ts } = parseCatalogKey(k);
        this.catalog.add(name, ts, decodeCatalogRecord(this.dir, name, v));
      }
    } catch (e) {
      throw e instanceof DuetError ? e : storageError(this.dir, e);
    }
    this.maxObjectId = Math.max(this.maxObjectId, this.catalog.maxObjectId);
    if (this.appliedIndex > 0) {
      const last = this.readLatest(logKey(this.appliedIndex));
      if (last === undefined) throw corruptionError(this.dir, `commit log entry ${this.appliedIndex} (the last applied one) is missing`);
      try {
        decodeLogEntry(last);
      } catch (e) {
        throw corruptionError(this.dir, `commit log entry ${this.appliedIndex}: ${(e as Error).message}`);
      }
    }
  }

  // ---- TxnHost ----

  appliedTs(): number {
    return this.lastApplied;
  }

  readLatest(key: Buffer): Buffer | undefined {
    let value: Buffer | undefined;
    try {
      value = this.db.getSync(key);
    } catch (e) {
      throw storageError(this.dir, e);
    }
    if (value !== undefined && (key[0] === KS_LATEST || key[0] === KS_VERSION)) this.checkVersion(key, value);
    return value;
  }

  /** Throws XX001 (naming the damaged file when it can be found) if a stored row version fails its checksum. */
  checkVersion(key: Buffer, value: Buffer): void {
    if (versionIntact(value)) return;
    const found = findDamagedFile(this.dir);
    throw corruptionError(this.dir, `a row version fails its checksum (key ${key.toString('hex')})${found ? `: ${found.reason}` : ''}`, found?.file);
  }

  readVersion(key: Buffer): Buffer | undefined {
    return this.readLatest(key);
  }

  allocateObjectId(): number {
    return ++this.maxObjectId;
  }

  async allocateRowId(tableId: number): Promise<number> {
    if (!this.rowIds.has(tableId)) {
      const prefix = idPrefix(KS_LATEST, tableId);
      const last = await this.db.keys({ gte: prefix, lt: prefixEnd(prefix), reverse: true, limit: 1 }).all();
      const max = last[0] === undefined ? 0 : (decodeKey(last[0].subarray(prefix.length), [Types.bigint])[0] as number);
      if (!this.rowIds.has(tableId)) this.rowIds.set(tableId, max + 1);
    }
    const id = this.rowIds.get(tableId)!;
    this.rowIds.set(tableId, id + 1);
    return id;
  }

  txnEnded(txn: Transaction): void {
    this.active.delete(txn);
  }

  /** The oldest snapshot any open transaction reads: versions below it that are superseded can go. */
  oldestActiveTs(): number {
    let min = this.lastApplied;
    for (const t of this.active) if (t.readTs < min) min = t.readTs;
    return min;
  }

  get stats(): { appliedIndex: number; appliedTs: number; activeTxns: number; locks: number } {
    return { appliedIndex: this.appliedIndex, appliedTs: this.lastApplied, activeTxns: this.active.size, locks: this.locks.lockCount };
  }

  /** CDC: `fn` runs after each applied commit group (see commitListeners); returns the unsubscribe function. */
  onCommit(fn: (appliedIndex: number, encoded?: readonly Buffer[]) => void): () => void {
    this.commitListeners.add(fn);
    return () => void this.commitListeners.delete(fn);
  }

  // ---- commit log (for CDC and replicas) ----

  /** Index of the oldest commit-log entry still kept (older ones were compacted by GC). */
  async firstLogIndex(): Promise<number> {
    const first = await this.db.keys({ gte: Buffer.from([KS_LOG]), lt: Buffer.from([KS_LOG + 1]), limit: 1 }).all();
    return first[0] === undefined ? this.appliedIndex + 1 : readU53(first[0], 1);
  }

  /**
   * Up to `maxEntries` applied log entries starting at `fromIndex` (empty when none is newer). A resume
   * point that was already compacted is an error (55000), never a silent gap: the consumer must take a snapshot.
   */
  async readLog(fromIndex: number, maxEntries = 1000): Promise<LogEntry[]> {
    assert(Number.isSafeInteger(fromIndex) && fromIndex >= 1 && maxEntries > 0, 'bad log range');
    if (fromIndex > this.appliedIndex) return [];
    const first = await this.firstLogIndex();
    if (fromIndex < first) {
      throw new DuetError(SqlState.objectNotInPrerequisiteState, `commit log entry ${fromIndex} was compacted (oldest kept: ${first})`, {
        hint: 'Resume from a snapshot of the tables instead of the log.',
      });
    }
    const upTo = Math.min(this.appliedIndex, fromIndex + maxEntries - 1);
    const values = await this.db.values({ gte: logKey(fromIndex), lte: logKey(upTo) }).all();
    return values.map((v, i) => {
      try {
        return decodeLogEntry(v);
      } catch (e) {
        throw corruptionError(this.dir, `commit log entry ${fromIndex + i}: ${(e as Error).message}`);
      }
    });
  }

  /** Calls `listener` with the entries of every commit group right after it is applied (in log order). */
  subscribe(listener: (entries: readonly LogEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- RowStoreApi ----

  begin(options: { isolation?: Isolation } = {}): Transaction {
    this.assertUsable();
    const txn = new Transaction(this, ++this.maxTxnId, options.isolation ?? 'read committed');
    this.active.add(txn);
    return txn;
  }

  /**
   * A read-only transaction at the newest applied snapshot for one statement that reads synchronously and
   * ends (rollback) in the same tick: the autocommit point SELECT. It is reused (no per-read allocation) and
   * not registered as active. That is safe only because nothing can run between its start and its end: a
   * GC pass's horizon is at most the applied snapshot and the pass keeps the newest version at or below it,
   * so every version this snapshot sees survives; a reader that awaited could outlive that argument.
   */
  snapshotReader(): Transaction {
    this.assertUsable();
    // txn id 0 is never handed out by begin(): the reader takes no locks under it anyway
    const reader = (this.reader ??= new Transaction(this, 0, 'read committed'));
    reader.rearm();
    return reader;
  }

  primaryKeyOf(table: TableDef, row: Value[]): Value[] {
    if (table.hiddenRowId) {
      const rowId = row[table.columns.length];
      assert(typeof rowId === 'number', `rows of "${table.name}" carry their row id only when scanned withRowId`);
      return [rowId];
    }
    return table.primaryKey.map((i) => row[i]!);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.gc.stop();
    while (this.flushing || this.queue.length > 0) await this.flushDone;
    await this.writeChain.catch(() => undefined);
    await this.db.close();
  }

  private assertUsable(): void {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the row store is closed');
    if (this.failure !== undefined) throw storageError(this.dir, this.failure);
  }

  // ---- commit path ----

  submitCommit(txn: Transaction, writes: LogWrite[]): Promise<number> {
    this.assertUsable();
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ txn, writes, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    this.flushDone = new Promise<void>((done) => {
      const run = (): void => void this.flush().finally(done);
      const waitMs = this.options.groupCommitWaitMs ?? 0;
      if (waitMs > 0) setTimeout(run, waitMs);
      else setImmediate(run);
    });
  }

  private async flush(): Promise<void> {
    const groupMax = this.options.groupCommitMax ?? 1024;
    try {
      // Each loop writes one group; commits that queue meanwhile form the next group.
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, groupMax);
        await this.exclusive(() => this.commitGroup(group)).catch((e: unknown) => {
          // Building or applying the group failed (damaged data under a latest key, a bug): the in-memory
          // sequencing state may be ahead of the disk, so stop accepting commits instead of guessing.
          this.failure = e;
          const err = e instanceof DuetError ? e : storageError(this.dir, e);
          for (const p of group) p.reject(err); // a no-op for promises already settled
        });
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.kick();
    }
  }

  /** Runs `fn` while no other batch writer (commit group, GC pass) runs: both read-modify-write the latest keys. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn, fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async commitGroup(group: PendingCommit[]): Promise<void> {
    if (this.failure !== undefined) {
      for (const p of group) p.reject(storageError(this.dir, this.failure));
      return;
    }
    const batch = this.db.batch();
    const overlay = new Map<string, Buffer>();
    const accepted: { p: PendingCommit; ts: number; entry: LogEntry; bytes: Buffer }[] = [];
    const undo = { seqIndex: this.seqIndex, seqTs: this.seqTs, recent: this.recent.length, tableTs: new Map(this.tableLastWriteTs) };
    for (const p of group) {
      const conflict = this.validate(p.txn);
      if (conflict) {
        p.reject(conflict);
        continue;
      }
      const entry: LogEntry = { index: ++this.seqIndex, commitTs: ++this.seqTs, txnId: p.txn.id, writes: p.writes };
      const encoded = encodeLogEntryWithRows(entry);
      batch.put(logKey(entry.index), encoded.bytes);
      this.applyEntry(entry, batch, overlay, encoded.rows);
      accepted.push({ p, ts: entry.commitTs, entry, bytes: encoded.bytes });
    }
    if (accepted.length === 0) {
      await batch.close();
      return;
    }
    batch.put(META_STATE_KEY, this.encodeMeta());
    if (this.options.replicate !== undefined) {
      try {
        await this.options.replicate(accepted.map((a) => a.entry));
      } catch (e) {
        // Not committed here (lost leadership, refused): nothing was written, so undo the sequencing.
        this.seqIndex = undo.seqIndex;
        this.seqTs = undo.seqTs;
        this.recent.length = undo.recent;
        this.tableLastWriteTs.clear();
        for (const [k, v] of undo.tableTs) this.tableLastWriteTs.set(k, v);
        await batch.close();
        for (const a of accepted) a.p.reject(e);
        return;
      }
    }
    try {
      // Replicated, the Raft log (durable on a quorum) is the record and a restart replays it, so no fsync here.
      await batch.write({ sync: this.options.replicate === undefined });
    } catch (e) {
      // The sequencing state ran ahead of the disk: stop accepting work rather than guess.
      this.failure = e;
      for (const a of accepted) a.p.reject(storageError(this.dir, e));
      return;
    }
    for (const a of accepted) for (const [name, value] of a.p.txn.catalogWrites) this.catalog.add(name, a.ts, value);
    this.publishApplied(accepted.map((a) => a.entry), accepted.map((a) => a.bytes), () => {
      for (const a of accepted) a.p.resolve(a.ts);
    });
  }

  /**
   * The replica path (a Raft follower or learner): applies entries committed elsewhere, with the index and
   * commit timestamp the leader gave them, in order and durably (one synced batch, like a local group).
   * Entries at or below the applied index are skipped, so replaying after a restart is harmless.
   */
  applyCommitted(entries: readonly LogEntry[]): Promise<void> {
    return this.exclusive(async () => {
      this.assertUsable();
      const batch = this.db.batch();
      const overlay = new Map<string, Buffer>();
      const applied = entries.filter((e) => e.index > this.seqIndex);
      const encoded: Buffer[] = [];
      // Check the whole sequence before touching any state.
      applied.forEach((e, i) => {
        const prev = i === 0 ? { index: this.seqIndex, commitTs: this.seqTs } : applied[i - 1]!;
        assert(e.index === prev.index + 1, `log entry ${e.index} applied after ${prev.index}: entries must come in order without gaps`);
        assert(e.commitTs > prev.commitTs, 'commit timestamps must increase along the log');
      });
      for (const e of applied) {
        this.seqIndex = e.index;
        this.seqTs = e.commitTs;
        this.maxTxnId = Math.max(this.maxTxnId, e.txnId);
        encoded.push(encodeLogEntry(e));
        batch.put(logKey(e.index), encoded.at(-1)!);
        this.applyEntry(e, batch, overlay);
      }
      if (applied.length === 0) {
        await batch.close();
        return;
      }
      batch.put(META_STATE_KEY, this.encodeMeta());
      try {
        await batch.write({ sync: true });
      } catch (e) {
        this.failure = e;
        throw storageError(this.dir, e);
      }
      for (const e of applied) {
        for (const w of e.writes) if (w.kind === 'catalog') this.catalog.add(w.name, e.commitTs, w.value === null ? null : parseCatalogValue(w.value));
      }
      this.maxObjectId = Math.max(this.maxObjectId, this.catalog.maxObjectId);
      // Row ids cached while this node was a replica may be taken by the applied rows: a node that becomes the
      // Raft leader later must allocate above them (it re-reads the largest stored id on the next allocation).
      this.rowIds.clear();
      this.publishApplied(applied, encoded, () => undefined);
    });
  }

  /**
   * Replica path (Raft InstallSnapshot): replaces every key with `records`, an image of another replica's store
   * taken from one consistent LevelDB view, in one synced batch, then reloads the in-memory state from it.
   * Transaction ids never go backwards. Transactions open meanwhile keep their old snapshot timestamps: the
   * caller (oltp/replication/) installs only on a replica that lags too far behind to serve anything current.
   */
  installImage(records: Iterable<readonly [Buffer, Buffer]>): Promise<void> {
    return this.exclusive(async () => {
      this.assertUsable();
      const batch = this.db.batch();
      for await (const key of this.db.keys()) batch.del(key);
      for (const [key, value] of records) batch.put(key, value);
      try {
        await batch.write({ sync: true });
      } catch (e) {
        this.failure = e;
        throw storageError(this.dir, e);
      }
      const txnIdFloor = this.maxTxnId;
      this.catalog.clear();
      this.rowIds.clear();
      this.tableLastWriteTs.clear();
      this.recent.length = 0;
      this.appliedIndex = this.seqIndex = this.lastApplied = this.seqTs = this.maxObjectId = this.maxTxnId = 0;
      await this.load();
      this.maxTxnId = Math.max(this.maxTxnId, txnIdFloor);
      // Serializable transactions that began before cannot be validated against the replaced history.
      this.recentFloorTs = this.lastApplied;
      for (const fn of this.commitListeners) fn(this.appliedIndex);
    });
  }

  /** Makes every applied write durable (one synced write of the state record) and returns the applied index. */
  syncApplied(): Promise<number> {
    return this.exclusive(async () => {
      this.assertUsable();
      await this.db.put(META_STATE_KEY, this.encodeMeta(), { sync: true });
      return this.appliedIndex;
    });
  }

  /** Makes applied entries visible to new snapshots, then tells waiters and subscribers. */
  private publishApplied(entries: readonly LogEntry[], encoded: readonly Buffer[], resolveWaiters: () => void): void {
    this.appliedIndex = this.seqIndex;
    this.lastApplied = this.seqTs;
    this.pruneRecent();
    resolveWaiters();
    if (this.listeners.size > 0) {
      for (const l of this.listeners) {
        try {
          l(entries);
        } catch (e) {
          queueMicrotask(() => {
            throw e; // a listener bug must surface, but not break the commit path
          });
        }
      }
    }
    for (const fn of this.commitListeners) fn(this.appliedIndex, encoded);
  }

  private encodeMeta(): Buffer {
    const b = Buffer.alloc(META_BYTES);
    [this.seqIndex, this.seqTs, this.maxObjectId, this.maxTxnId].forEach((n, i) => {
      b.writeUInt32BE(Math.floor(n / 0x100000000), 4 + i * 8);
      b.writeUInt32BE(n >>> 0, 8 + i * 8);
    });
    b.writeUInt32BE(crc32(b, 4), 0);
    return b;
  }

  /**
   * Adds the entry's effects to the batch: the old newest version moves to the version keyspace. `rowBytes`
   * (from encodeLogEntryWithRows) holds each write's already encoded row, so big commits encode rows once.
   */
  private applyEntry(entry: LogEntry, batch: ReturnType<ClassicLevel<Buffer, Buffer>['batch']>, overlay: Map<string, Buffer>, rowBytes?: readonly (Buffer | undefined)[]): void {
    const ts = entry.commitTs;
    const keys: string[] = [];
    for (let i = 0; i < entry.writes.length; i++) {
      const w = entry.writes[i]!;
      if (w.kind === 'row') {
        const key = latestKey(w.tableId, w.key);
        const ks = key.toString('latin1');
        const prev = overlay.get(ks) ?? this.readLatest(key);
        const prevTs = prev === undefined ? 0 : versionTs(prev);
        if (prev !== undefined) batch.put(versionKey(w.tableId, w.key, prevTs), prev);
        const encodedRow = w.row === null ? undefined : rowBytes?.[i];
        const v = encodedRow === undefined ? encodeVersion(ts, prevTs, w.row) : encodeVersionFromRowBytes(ts, prevTs, encodedRow);
        batch.put(key, v);
        overlay.set(ks, v);
        this.tableLastWriteTs.set(w.tableId, ts);
        keys.push(ks);
      } else if (w.kind === 'index') {
        const key = indexKey(w.indexId, w.key);
        batch.put(key, EMPTY);
        keys.push(key.toString('latin1'));
      } else {
        batch.put(catalogKey(w.name, ts), encodeCatalogRecord(w.value));
      }
    }
    this.recent.push({ ts, keys });
  }

  /** Commit-time checks: concurrent schema changes, and for serializable transactions the read set. */
  private validate(txn: Transaction): DuetError | undefined {
    for (const [tableId, defTs] of txn.tableDefTs) {
      if (defTs === -1) continue;
      const name = this.catalog.tableNameById(tableId);
      if (name !== undefined && this.catalog.latestTs(tableEntry(name)) !== defTs) {
        return serializationFailure(`could not serialize access: the definition of table "${name}" changed concurrently`);
      }
    }
    for (const [tableId, sinceTs] of txn.ddlTables) {
      if ((this.tableLastWriteTs.get(tableId) ?? 0) > sinceTs) return serializationFailure('could not serialize access: rows of the table changed during the schema change');
    }
    if (!txn.serializable || (txn.readKeys.size === 0 && txn.readRanges.length === 0)) return undefined;
    if (txn.readTs < this.recentFloorTs) return serializationFailure('could not serialize access: the transaction ran too long to be validated');
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const rec = this.recent[i]!;
      if (rec.ts <= txn.readTs) break;
      for (const k of rec.keys) {
        if (txn.readKeys.has(k) || txn.readRanges.some((r) => k >= r.lo && k < r.hi)) {
          return serializationFailure('could not serialize access due to read/write dependencies among transactions');
        }
      }
    }
    return undefined;
  }

  private pruneRecent(): void {
    let min = this.lastApplied;
    for (const t of this.active) if (t.serializable && t.readTs < min) min = t.readTs;
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]!.ts <= min) drop++;
    while (this.recent.length - drop > RECENT_COMMITS_MAX) this.recentFloorTs = this.recent[drop++]!.ts;
    if (drop > 0) this.recent.splice(0, drop);
  }
}

function encodeCatalogRecord(json: string | null): Buffer {
  const body = json === null ? EMPTY : Buffer.from(json, 'utf8');
  const b = Buffer.allocUnsafe(5 + body.length);
  b[4] = json === null ? 0 : 1;
  body.copy(b, 5);
  b.writeUInt32BE(crc32(b, 4), 0);
  return b;
}

function decodeCatalogRecord(dir: string, name: string, b: Buffer) {
  if (b.length < 5 || crc32(b, 4) !== b.readUInt32BE(0)) throw corruptionError(dir, `catalog entry "${name}" fails its checksum`);
  if (b[4] === 0) return null;
  try {
    return parseCatalogValue(b.toString('utf8', 5));
  } catch (e) {
    throw corruptionError(dir, `catalog entry "${name}" cannot be read: ${(e as Error).message}`);
  }
}

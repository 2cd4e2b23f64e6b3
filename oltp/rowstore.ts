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
import { serializationFailure, Transaction, type RowWrite, type TxnHost } from './txn.ts';
import type { Value } from './types.ts';
import { Types } from './types.ts';
import { encodeVersion, encodeVersionFromRowBytes, versionIntact, versionTs } from './version.ts';
import { GarbageCollector } from './gc.ts';
import { findDamagedFile } from './file-check.ts';

export interface RowStoreOpenOptions extends RowStoreOptions {
  /** Most commits written by one synced batch (bounds batch size and latency). Default 1024. */
  groupCommitMax?: number;
  /**
   * Whether a queue of commits may be split so that one group is written while the next is built: 'auto' (the
   * default) when writes are fast enough to pay for the extra fsync (see pipelineWorthIt), or always, or never.
   */
  commitPipelining?: 'auto' | 'always' | 'never';
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
  /** LevelDB tuning passed to classic-level (bench/rowstore/profile.ts measures them); defaults: LevelDB's own. */
  leveldb?: { writeBufferSize?: number; compression?: boolean; blockSize?: number; maxFileSize?: number };
}

/** A queued commit: the transaction carries its writes (commitWrites, commitSources) and settles its own promise. */
type PendingCommit = Transaction;

/** A commit group under construction, then in flight: validated, sequenced commits whose writes are in `batch`. */
interface OpenGroup {
  readonly batch: ReturnType<ClassicLevel<Buffer, Buffer>['batch']>;
  /** The newest version each written latest key gets in this group. */
  readonly overlay: Map<string, Buffer>;
  readonly accepted: { p: PendingCommit; entry: LogEntry; bytes: Buffer }[];
  /** Commits taken from the queue, rejected ones included (bounds the group). */
  size: number;
  /** Whether building it started while another group was being written. */
  readonly overlapped: boolean;
  /** Replicated groups only: the sequencing state before the group, restored when the quorum refuses it. */
  readonly undo: { seqIndex: number; seqTs: number; recent: number; tableTs: Map<number, number> } | undefined;
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
  private stepScheduled = false;
  /** The commit pipeline's hold on the write turn (see step()). */
  private turn: 'none' | 'waiting' | 'held' = 'none';
  private releaseTurn: (() => void) | undefined;
  /** exclusive() callers waiting for the write turn: the pipeline stops building and hands it over. */
  private turnWaiters = 0;
  /** The group being built, and the group being written (at most one each; written in sequence order). */
  private open: OpenGroup | undefined;
  private writing: OpenGroup | undefined;
  /** Moving averages: main-thread (event loop) µs per commit, ms to write one group (see pipelineWorthIt). */
  private mainUsPerCommit = 0;
  private writeMs = 0;
  private lastLoopActiveMs: number | undefined;
  private readonly drainWaiters: (() => void)[] = [];
  private groupsWritten = 0;
  private groupsOverlapped = 0;
  private writeChain: Promise<unknown> = Promise.resolve();
  private readonly recent: RecentCommit[] = [];
  /** Serializable transactions with readTs below this cannot be validated any more (window exceeded). */
  private recentFloorTs = 0;
  private readonly tableLastWriteTs = new Map<number, number>();
  private readonly rowIds = new Map<number, number>();
  private appliedIndex = 0;
  private lastApplied = 0;
  /** TxnHost.latestGeneration: bumped before and after every exclusive section that is not a commit group. */
  latestGeneration = 0;
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
    const db = new ClassicLevel<Buffer, Buffer>(dir, { ...options.leveldb, keyEncoding: 'buffer', valueEncoding: 'buffer' });
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

  /** `groupsWritten`: commit groups written so far; `groupsOverlapped`: those built while the previous one was written. */
  get stats(): { appliedIndex: number; appliedTs: number; activeTxns: number; locks: number; groupsWritten: number; groupsOverlapped: number } {
    return {
      appliedIndex: this.appliedIndex,
      appliedTs: this.lastApplied,
      activeTxns: this.active.size,
      locks: this.locks.lockCount,
      groupsWritten: this.groupsWritten,
      groupsOverlapped: this.groupsOverlapped,
    };
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
    if (this.turn !== 'none' || this.queue.length > 0) await new Promise<void>((done) => this.drainWaiters.push(done));
    await this.writeChain.catch(() => undefined);
    await this.db.close();
  }

  private assertUsable(): void {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the row store is closed');
    if (this.failure !== undefined) throw storageError(this.dir, this.failure);
  }

  // ---- commit path ----

  submitCommit(txn: Transaction): void {
    this.assertUsable();
    this.queue.push(txn);
    this.schedule();
  }

  /** Runs step() after the commits submitted in this turn of the event loop (or after groupCommitWaitMs). */
  private schedule(): void {
    if (this.stepScheduled) return;
    this.stepScheduled = true;
    const waitMs = this.options.groupCommitWaitMs ?? 0;
    if (waitMs > 0) setTimeout(this.runScheduled, waitMs);
    else setImmediate(this.runScheduled);
  }

  /** Made once: tsx (esbuild keepNames) pays a defineProperty for every named closure it makes (~0.5 us). */
  private readonly runScheduled = (): void => {
    this.stepScheduled = false;
    this.step();
  };

  /**
   * Drives the commit pipeline: takes the write turn (shared with exclusive()), builds queued commits into the
   * open group, writes the open group whenever no group is being written, and gives the turn back once nothing
   * is built or in flight. An exclusive() caller waiting for the turn stops the building, so GC is never starved.
   */
  private step(): void {
    if (this.turn === 'waiting') return;
    if (this.turn === 'none') {
      if (this.queue.length === 0) return;
      this.turn = 'waiting';
      void this.serialized(
        () =>
          new Promise<void>((release) => {
            this.turn = 'held';
            this.releaseTurn = release;
            this.step();
          }),
      );
      return;
    }
    if (this.failure !== undefined) this.failOpenAndQueued();
    else if (this.turnWaiters === 0) this.absorb();
    if (this.writing === undefined && this.open !== undefined) this.writeOpen();
    if (this.writing === undefined && this.open === undefined) {
      this.turn = 'none';
      this.releaseTurn?.();
      this.releaseTurn = undefined;
      if (this.queue.length > 0) this.schedule();
      else for (const done of this.drainWaiters.splice(0)) done();
    }
  }

  /**
   * Builds queued commits into the open group (at most groupCommitMax a group; while one group is written, one
   * more waits built). With the writer idle and nothing built, a queue worth pipelining is split in two: the
   * first half is written while the second is built, so the main thread and LevelDB's writer work at once.
   */
  private absorb(): void {
    const replicated = this.options.replicate !== undefined;
    // A replicated group is undone when the quorum refuses it: nothing may be sequenced after it meanwhile.
    if (replicated && this.writing !== undefined) return;
    const groupMax = this.options.groupCommitMax ?? 1024;
    const queued = this.queue.length;
    const split = !replicated && this.writing === undefined && this.open === undefined && queued > 1 && this.pipelineWorthIt(queued);
    let limit = split ? Math.ceil(queued / 2) : groupMax;
    let taken = 0;
    try {
      while (taken < queued) {
        if (this.open !== undefined && this.open.size >= limit) {
          if (this.writing !== undefined) break;
          this.writeOpen();
          limit = groupMax;
        }
        const group = (this.open ??= this.newGroup());
        const p = this.queue[taken++]!;
        group.size++;
        this.addToGroup(group, p);
      }
    } catch (e) {
      // Building failed (damaged data under a latest key, a bug): the in-memory sequencing state may be ahead of
      // the disk, so stop accepting commits instead of guessing. The commit being added is settled below.
      this.failure = e;
      this.queue[taken - 1]?.commitFailed(e instanceof DuetError ? e : storageError(this.dir, e));
    } finally {
      this.queue.splice(0, taken);
    }
    if (this.failure !== undefined) this.failOpenAndQueued();
  }

  /**
   * Whether writing one part of `commits` while building the rest beats one group. One group costs the main
   * thread's work for all of them (sessions and build, M each) plus the write (W each, plus the fsync F); two
   * overlapped halves cost about max(n·M, n·W + 2F). That wins when F < n·M, i.e. (with n·W ≈ n·M / 2 as
   * measured here) when a group's write takes less than 1.5 times the main thread's work for it. With a slow
   * fsync it does not: two groups would pay two fsyncs for what one group pays once.
   */
  private pipelineWorthIt(commits: number): boolean {
    const mode = this.options.commitPipelining ?? 'auto';
    if (mode !== 'auto') return mode === 'always';
    return this.writeMs * 1000 < 1.5 * this.mainUsPerCommit * commits;
  }

  private newGroup(): OpenGroup {
    const undo = this.options.replicate === undefined ? undefined : { seqIndex: this.seqIndex, seqTs: this.seqTs, recent: this.recent.length, tableTs: new Map(this.tableLastWriteTs) };
    return { batch: this.db.batch(), overlay: new Map(), accepted: [], size: 0, undo, overlapped: this.writing !== undefined };
  }

  /** Validates one commit and, when it passes, sequences it and adds its log entry and row versions to the group. */
  private addToGroup(group: OpenGroup, p: PendingCommit): void {
    const conflict = this.validate(p);
    if (conflict) {
      p.commitFailed(conflict);
      return;
    }
    const entry: LogEntry = { index: ++this.seqIndex, commitTs: ++this.seqTs, txnId: p.id, writes: p.commitWrites };
    const encoded = encodeLogEntryWithRows(entry);
    group.batch.put(logKey(entry.index), encoded.bytes);
    this.applyEntry(entry, group.batch, group.overlay, encoded.rows, p.commitSources, this.writing?.overlay);
    group.accepted.push({ p, entry, bytes: encoded.bytes });
  }

  /** Seals the open group (it is the newest sequenced one) and writes it: replicated first when replicating. */
  private writeOpen(): void {
    const group = this.open!;
    this.open = undefined;
    if (group.accepted.length === 0) {
      void group.batch.close();
      return;
    }
    assert(group.accepted[group.accepted.length - 1]!.entry.index === this.seqIndex, 'a commit group is written after a newer one');
    this.writing = group;
    const startAt = performance.now();
    this.writeDurably(group)
      .then(
        (written) => written && this.written(group, performance.now() - startAt),
        (e: unknown) => this.writeFailed(group, e),
      )
      .catch((e: unknown) => {
        // A bug after the write (a commit listener threw): fail like a storage error, but give the turn back.
        this.failure ??= e;
        this.writing = undefined;
        this.step();
      });
  }

  /** Replicates the group when replicating, then writes it; false when the quorum refused it (undone, failed). */
  private async writeDurably(group: OpenGroup): Promise<boolean> {
    const replicate = this.options.replicate;
    group.batch.put(META_STATE_KEY, this.encodeMeta());
    if (replicate !== undefined) {
      try {
        await replicate(group.accepted.map((a) => a.entry));
      } catch (e) {
        await this.refused(group, e);
        return false;
      }
    }
    // Replicated, the Raft log (durable on a quorum) is the record and a restart replays it, so no fsync here.
    await group.batch.write({ sync: replicate === undefined });
    return true;
  }

  /** The quorum did not commit a replicated group (lost leadership, refused): nothing was written, undo its sequencing. */
  private async refused(group: OpenGroup, e: unknown): Promise<void> {
    const undo = group.undo!;
    this.seqIndex = undo.seqIndex;
    this.seqTs = undo.seqTs;
    this.recent.length = undo.recent;
    this.tableLastWriteTs.clear();
    for (const [k, v] of undo.tableTs) this.tableLastWriteTs.set(k, v);
    await group.batch.close();
    for (const a of group.accepted) a.p.commitFailed(e);
    this.writing = undefined;
    this.step();
  }

  private writeFailed(group: OpenGroup, e: unknown): void {
    // The sequencing state ran ahead of the disk: stop accepting work rather than guess.
    this.failure = e;
    for (const a of group.accepted) a.p.commitFailed(storageError(this.dir, e));
    this.writing = undefined;
    this.step();
  }

  private written(group: OpenGroup, writeMs: number): void {
    this.writing = undefined;
    this.writeMs = ewma(this.writeMs, writeMs);
    // The event loop's busy time since the previous group, per commit of this group: the main thread's cost of a commit.
    const loopActiveMs = performance.eventLoopUtilization().active;
    if (this.lastLoopActiveMs !== undefined) this.mainUsPerCommit = ewma(this.mainUsPerCommit, ((loopActiveMs - this.lastLoopActiveMs) * 1000) / group.accepted.length);
    this.lastLoopActiveMs = loopActiveMs;
    this.groupsWritten++;
    if (group.overlapped) this.groupsOverlapped++;
    const accepted = group.accepted;
    for (const a of accepted) if (a.p.catalogWrites.size > 0) for (const [name, value] of a.p.catalogWrites) this.catalog.add(name, a.entry.commitTs, value);
    const last = accepted[accepted.length - 1]!.entry;
    this.publishApplied(last.index, last.commitTs, accepted.map((a) => a.entry), accepted.map((a) => a.bytes), () => {
      for (const a of accepted) a.p.committed(a.entry.commitTs);
    });
    // The group built meanwhile goes now when pipelining pays; otherwise one turn later, so that the commits just
    // acknowledged come back and join it (one write and one fsync instead of two).
    if (this.open !== undefined && !this.pipelineWorthIt(this.open.size + accepted.length)) this.schedule();
    else this.step();
  }

  /** After a failure: every commit not yet written fails (the open group's batch is never written). */
  private failOpenAndQueued(): void {
    const err = storageError(this.dir, this.failure);
    for (const p of this.queue.splice(0)) p.commitFailed(err);
    const open = this.open;
    this.open = undefined;
    if (open !== undefined) {
      for (const a of open.accepted) a.p.commitFailed(err); // a no-op for commits already settled
      void open.batch.close();
    }
  }

  /**
   * Runs `fn` while no other batch writer (commit group, GC pass) runs: both read-modify-write the latest keys.
   * `fn` may write latest keys without holding their row locks, so versions read under a lock before or during
   * it are not trusted by the commit after it (latestGeneration changes on both sides).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.turnWaiters++;
    const bracketed = async (): Promise<T> => {
      this.turnWaiters--;
      this.latestGeneration++;
      try {
        return await fn();
      } finally {
        this.latestGeneration++;
      }
    };
    return this.serialized(bracketed);
  }

  /** The write turn shared by the commit pipeline and exclusive(). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn, fn);
    this.writeChain = run.catch(() => undefined);
    return run;
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
      this.publishApplied(this.seqIndex, this.seqTs, applied, encoded, () => undefined);
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
  private publishApplied(index: number, ts: number, entries: readonly LogEntry[], encoded: readonly Buffer[], resolveWaiters: () => void): void {
    this.appliedIndex = index;
    this.lastApplied = ts;
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
   * (from encodeLogEntryWithRows) holds each write's already encoded row, so big commits encode rows once;
   * `sources` (a local transaction's row writes) carry the latest key and the version read under the row lock.
   */
  private applyEntry(
    entry: LogEntry,
    batch: ReturnType<ClassicLevel<Buffer, Buffer>['batch']>,
    overlay: Map<string, Buffer>,
    rowBytes?: readonly (Buffer | undefined)[],
    sources?: readonly (RowWrite | undefined)[],
    olderOverlay?: Map<string, Buffer>,
  ): void {
    const ts = entry.commitTs;
    // Sized up front (a growing empty array takes room for 16 more at its first push); catalog writes leave no key.
    const keys = new Array<string>(entry.writes.length);
    let keyCount = 0;
    for (let i = 0; i < entry.writes.length; i++) {
      const w = entry.writes[i]!;
      if (w.kind === 'row') {
        const src = sources?.[i];
        const key = src?.key ?? latestKey(w.tableId, w.key);
        const ks = src?.keyStr ?? key.toString('latin1');
        // The version read under the row lock is still the newest unless something lock-free wrote latest keys since.
        const prev = overlay.get(ks) ?? olderOverlay?.get(ks) ?? (src !== undefined && src.prevGeneration === this.latestGeneration ? src.prev : this.readLatest(key));
        const prevTs = prev === undefined ? 0 : versionTs(prev);
        if (prev !== undefined) batch.put(versionKey(w.tableId, w.key, prevTs), prev);
        const encodedRow = w.row === null ? undefined : rowBytes?.[i];
        const v = encodedRow === undefined ? encodeVersion(ts, prevTs, w.row) : encodeVersionFromRowBytes(ts, prevTs, encodedRow);
        batch.put(key, v);
        overlay.set(ks, v);
        this.tableLastWriteTs.set(w.tableId, ts);
        keys[keyCount++] = ks;
      } else if (w.kind === 'index') {
        const key = indexKey(w.indexId, w.key);
        batch.put(key, EMPTY);
        keys[keyCount++] = key.toString('latin1');
      } else {
        batch.put(catalogKey(w.name, ts), encodeCatalogRecord(w.value));
      }
    }
    if (keyCount !== keys.length) keys.length = keyCount;
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

/** Exponential moving average (a new sample weighs 1/5). */
function ewma(avg: number, sample: number): number {
  return avg === 0 ? sample : avg + (sample - avg) / 5;
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

// Serves the learner message interface: owns one Learner, its directory and its persistence schedule.
// Runs inside the learner's worker thread (worker.ts) or in-process (tests); never on the commit path.
import { parseCatalogValue } from '../../oltp/catalog.ts';
import type { StoredTableDef } from '../../oltp/catalog.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { ScanRequest } from './table.ts';
import { zonePredicatesOf } from './zonemap.ts';
import type { Row } from '../../oltp/types.ts';
import { Learner, SNAPSHOT_TOO_OLD, type LearnerOptions } from './learner.ts';
import { OPEN_SCANS_MAX, SCAN_CHUNK_BATCHES, unpackEntries, type FromLearner, type LearnerStatus, type ToLearner } from './messages.ts';
import type { Batch, ScanNode } from '../exec/spec.ts';
import { applySaveResult, clearLearnerDir, loadLearner, planSave, SegmentDamage, type PersistCache } from './persist.ts';
import { inlineWriter, threadWriter, type SegmentWriter } from './segment-writer.ts';
import { Fragment } from './fragment.ts';
import { FeedRing } from './feed-ring.ts';

/** Most entries one take from the feed ring applies (the message path's batch bound is the feeder's 1024). */
const RING_TAKE_ENTRIES = 4096;
/**
 * A take at least this large means a sustained high commit rate (64 entries per 5 ms: ~13,000 commits/s): the next
 * take waits RING_COALESCE_FACTOR intervals, so the learner applies larger batches (less CPU per commit:
 * `bench/learner/apply.ts --batch 500` vs 50) and lags a few ms more; below it, freshness comes first.
 */
const RING_COALESCE_ENTRIES = 64;
const RING_COALESCE_FACTOR = 3;

export interface LearnerHostOptions extends LearnerOptions {
  /** Directory for Parquet segments and the manifest; undefined = memory only. */
  readonly dir?: string;
  /** Longest time between persisting compactions while changes arrive. Default 30000. */
  readonly persistIntervalMs?: number;
  /** Encode and write Parquet on a separate thread (the embedded learner does); default inline. */
  readonly writerThread?: boolean;
  /**
   * Delta versions at which the host compacts and saves (small compactions are short pauses; the learner's
   * own deltaRowsMax stays the hard bound). Default 8192.
   */
  readonly compactDeltaRows?: number;
  /** Log entries applied between saves (compactions in between stay in memory). Default 32768. */
  readonly persistEntries?: number;
  /** OS niceness of the learner's worker thread (worker-boot.mjs); default LEARNER_NICE (thread-priority.ts). */
  readonly threadNice?: number;
}

interface PendingScan { readonly msg: Extract<ToLearner, { kind: 'scan' }> }
type FragmentMsg = Extract<ToLearner, { kind: 'fragment' }>;

export class LearnerHost {
  private learner: Learner;
  private readonly pending: PendingScan[] = [];
  private lastPersistMs = performance.now();
  private lastPersistIndex = 0;
  private diskBytes = 0;
  private readonly written: PersistCache = new Map();
  /** Created at the first save: a writer thread boots in about a second, which a short session never needs. */
  private writerInstance: SegmentWriter | undefined;
  private closing = false;
  private saving = false;
  private saveAgain = false;
  private afterSaved: (() => void)[] = [];
  private readonly openScans = new Map<number, { it: Iterator<Batch>; ts: number; counters: { blocksScanned: number; blocksPruned: number } }>();
  lastSaveError: string | undefined;
  /** Fragments waiting for their minIndex, and running ones (each counts against OPEN_SCANS_MAX). */
  private readonly pendingFragments: FragmentMsg[] = [];
  private readonly fragments = new Map<number, Fragment>();
  /** Committed entries the leader side copies in (worker / in-process placement); taken every ringIntervalMs. */
  private ring: FeedRing | undefined;
  private ringIntervalMs = 5;
  private ringTimer: ReturnType<typeof setTimeout> | undefined;
  private ringStopped = false;
  /** The applied index the last 'applied' message carried. */
  private reportedApplied = 0;

  constructor(private readonly options: LearnerHostOptions, private readonly send: (msg: FromLearner, transfer?: ArrayBuffer[]) => void) {
    this.learner = new Learner(options);
  }

  /** The save at close runs inline when no writer thread was needed before (booting one costs more than it saves). */
  private get writer(): SegmentWriter {
    this.writerInstance ??= this.options.writerThread && !this.closing ? threadWriter() : inlineWriter();
    return this.writerInstance;
  }

  handle(msg: ToLearner): void {
    try {
      this.dispatch(msg);
    } catch (e) {
      const id = 'id' in msg ? msg.id : undefined;
      this.send({ kind: 'error', ...(id !== undefined ? { id } : {}), ...(e instanceof DuetError ? { code: e.code } : {}), message: (e as Error).message });
    }
  }

  private dispatch(msg: ToLearner): void {
    switch (msg.kind) {
      case 'init': return this.init();
      case 'feedRing':
        this.ring = new FeedRing(msg.buffer);
        this.ringIntervalMs = msg.intervalMs;
        return this.ringTick();
      case 'apply':
        // entries the ring holds come before the message's (the feeder fell back to messages after them): all of
        // them, not one take (the producer writes nothing more while a message is in flight, so this ends)
        while (this.drainRing() === RING_TAKE_ENTRIES);
        this.learner.applyEntries(unpackEntries(msg));
        this.maybePersist();
        return this.afterApply();
      case 'snapshotBegin': {
        const defs = msg.defs.map((d) => parseCatalogValue(d)).filter((v) => v.kind === 'table').map((v) => v.def as StoredTableDef);
        // the ring holds only entries at or below the snapshot's index (the feeder stops it while rebuilding)
        this.ring?.skipAll();
        this.learner = new Learner(this.options);
        this.learner.beginSnapshot(msg.index, msg.ts, defs);
        return;
      }
      case 'snapshotRows':
        this.learner.loadRows(msg.tableId, msg.rows.map((row, i) => ({ key: msg.keys[i]!, row: row as Row })));
        return;
      case 'snapshotEnd':
        this.persist();
        return this.afterApply();
      case 'scan':
        this.drainRing(); // a read waits for its index: do not leave it to the next tick
        this.pending.push({ msg });
        return this.answerScans();
      case 'scanMore':
        return this.sendChunk(msg.id);
      case 'scanEnd':
        this.openScans.delete(msg.id);
        return;
      case 'fragment':
        this.drainRing();
        this.pendingFragments.push(msg);
        return this.startFragments();
      case 'fragmentMore':
        this.fragments.get(msg.id)?.next();
        return;
      case 'fragmentCancel': {
        const waiting = this.pendingFragments.findIndex((f) => f.id === msg.id);
        if (waiting >= 0) this.pendingFragments.splice(waiting, 1);
        this.fragments.get(msg.id)?.cancel();
        return;
      }
      case 'compact':
        this.drainRing();
        this.persist();
        this.whenSaved(() => this.send({ kind: 'compacted', id: msg.id }));
        return;
      case 'status':
        this.send({ kind: 'status', id: msg.id, status: this.status() });
        return;
      case 'close':
        while (this.drainRing() === RING_TAKE_ENTRIES); // the final save holds every entry handed over
        this.stopRing();
        this.closing = true;
        if (this.learner.appliedIndex > this.lastPersistIndex) this.persist();
        this.whenSaved(() => void (this.writerInstance?.close() ?? Promise.resolve()).then(() => this.send({ kind: 'closed' })));
        return;
    }
  }

  private init(): void {
    const dir = this.options.dir;
    if (dir === undefined) {
      this.send({ kind: 'ready', appliedIndex: 0 });
      return;
    }
    try {
      const state = loadLearner(dir, this.written);
      if (state) this.learner.restore(state);
      for (const t of this.written.values()) for (const seg of t.segments) this.diskBytes += seg.entry.bytes;
      this.lastPersistIndex = this.learner.appliedIndex;
      this.send({ kind: 'ready', appliedIndex: this.learner.appliedIndex });
    } catch (e) {
      if (!(e instanceof SegmentDamage)) throw e;
      // Never serve from damaged files: start empty; the feeder rebuilds from a row-store snapshot.
      clearLearnerDir(dir);
      this.written.clear();
      this.learner = new Learner(this.options);
      this.send({ kind: 'ready', appliedIndex: 0, damage: { file: e.file, reason: e.reason } });
    }
  }

  /**
   * After applying: an apply message is answered; entries taken from the ring only when the leader side waits
   * for an index now reached (its whenApplied), so a steady stream of commits costs it no message.
   */
  private afterApply(fromRing = false): void {
    const applied = this.learner.appliedIndex;
    // a waiter above what was last reported: report the progress (it may need several takes to get there)
    if (!fromRing || (this.ring !== undefined && this.ring.wantIndex > this.reportedApplied)) {
      this.reportedApplied = applied;
      this.send({ kind: 'applied', appliedIndex: applied, appliedTs: this.learner.appliedTs, ...(fromRing ? { ring: true } : {}) });
    }
    this.answerScans();
    this.startFragments();
  }

  /** Applies what the feed ring holds (up to RING_TAKE_ENTRIES); returns how many entries it took. */
  private drainRing(): number {
    const ring = this.ring;
    if (!ring) return 0;
    const entries = ring.take(RING_TAKE_ENTRIES);
    if (entries.length === 0) return 0;
    this.learner.applyEntries(entries);
    ring.appliedIndex = this.learner.appliedIndex;
    this.maybePersist();
    this.afterApply(true);
    return entries.length;
  }

  /**
   * The ring's consumer loop: take what is there, then look again after ringIntervalMs (coalescing: one wake-up
   * per interval while commits stream in; RING_COALESCE_FACTOR times that at a sustained high rate; a backlog of a
   * full take goes on at once); an empty ring sleeps until the producer wakes it (the first commit after a quiet
   * spell is applied at once).
   */
  private ringTick(): void {
    this.ringTimer = undefined;
    const ring = this.ring;
    if (!ring || this.ringStopped) return;
    let took: number;
    try {
      took = this.drainRing();
    } catch (e) {
      this.stopRing();
      this.send({ kind: 'error', ...(e instanceof DuetError ? { code: e.code } : {}), message: (e as Error).message });
      return;
    }
    if (took === 0) {
      void ring.waitForData().then(() => this.ringTick());
      return;
    }
    const waitMs = took === RING_TAKE_ENTRIES ? 0 : took >= RING_COALESCE_ENTRIES ? this.ringIntervalMs * RING_COALESCE_FACTOR : this.ringIntervalMs;
    this.ringTimer = setTimeout(() => this.ringTick(), waitMs);
  }

  /** Ends the ring's consumer loop (close; an in-process learner that was killed). */
  stopRing(): void {
    this.ringStopped = true;
    if (this.ringTimer) clearTimeout(this.ringTimer);
  }

  /** Starts the fragments whose minIndex is applied; each runs at its ts with that ts pinned. */
  private startFragments(): void {
    for (let i = 0; i < this.pendingFragments.length; ) {
      const msg = this.pendingFragments[i]!;
      if (msg.minIndex > this.learner.appliedIndex) { i++; continue; }
      this.pendingFragments.splice(i, 1);
      try {
        if (this.openScans.size + this.fragments.size >= OPEN_SCANS_MAX) throw new DuetError(SqlState.tooManyConnections, `the columnar replica has ${OPEN_SCANS_MAX} reads open`);
        if (msg.ts < this.learner.horizonTs) throw new DuetError(SNAPSHOT_TOO_OLD, `snapshot too old: the columnar replica keeps versions from timestamp ${this.learner.horizonTs}, the read is at ${msg.ts}`);
        const learner = this.learner;
        const request = (node: ScanNode): ScanRequest => this.scanRequest({ table: node.table, columnNames: node.columns.map((c) => c.name), ...(node.filter ? { filter: node.filter } : {}) });
        const fragment = new Fragment(msg, {
          openScan: (node, ts, counters) => learner.openScan(node.table, ts, request(node), counters),
          scanTable: (node) => ({ table: learner.tableByName(node.table), request: request(node) }),
          pin: (ts) => learner.pin(ts),
          unpin: (ts) => learner.unpin(ts),
          send: (m, transfer) => this.send(m, transfer),
        }, () => this.fragments.delete(msg.id));
        this.fragments.set(msg.id, fragment);
        fragment.next();
      } catch (e) {
        this.send({ kind: 'error', id: msg.id, ...(e instanceof DuetError ? { code: e.code } : {}), message: (e as Error).message });
      }
    }
  }

  private answerScans(): void {
    for (let i = 0; i < this.pending.length; ) {
      const { msg } = this.pending[i]!;
      if (msg.minIndex > this.learner.appliedIndex) { i++; continue; }
      this.pending.splice(i, 1);
      const ts = msg.ts ?? this.learner.appliedTs;
      try {
        if (this.openScans.size >= OPEN_SCANS_MAX) throw new DuetError(SqlState.tooManyConnections, `the columnar replica has ${OPEN_SCANS_MAX} scans open`);
        const counters = { blocksScanned: 0, blocksPruned: 0 };
        const it = this.learner.openScan(msg.table, ts, this.scanRequest(msg), counters);
        this.openScans.set(msg.id, { it, ts, counters });
        this.sendChunk(msg.id);
      } catch (e) {
        this.send({ kind: 'error', id: msg.id, ...(e instanceof DuetError ? { code: e.code } : {}), message: (e as Error).message });
      }
    }
  }

  private sendChunk(id: number): void {
    const scan = this.openScans.get(id);
    if (!scan) return;
    const batches: Batch[] = [];
    let done = false;
    while (batches.length < SCAN_CHUNK_BATCHES) {
      const r = scan.it.next();
      if (r.done) { done = true; break; }
      batches.push(r.value);
    }
    if (done) this.openScans.delete(id);
    this.send({ kind: 'scanned', id, ts: scan.ts, appliedIndex: this.learner.appliedIndex, batches, done, ...scan.counters });
  }

  /** Column ordinals and zone predicates of a scan message (names and a filter resolved here, on the learner). */
  private scanRequest(msg: Pick<Extract<ToLearner, { kind: 'scan' }>, 'table' | 'columns' | 'zone' | 'columnNames' | 'filter'>): ScanRequest {
    let columns = msg.columns;
    const zone = [...(msg.zone ?? [])];
    if (msg.columnNames) {
      const def = this.learner.tableByName(msg.table)?.def;
      if (!def) throw new DuetError(SqlState.undefinedTable, `relation "${msg.table}" does not exist on the columnar replica`);
      columns = msg.columnNames.map((n) => {
        const i = def.columns.findIndex((c) => c.name === n);
        if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${n}" of relation "${msg.table}" does not exist on the columnar replica`);
        return i;
      });
      const cols = columns;
      zone.push(...zonePredicatesOf(msg.filter, (out) => cols[out] ?? -1, def.columns.map((c) => c.type)));
    }
    return { ...(columns ? { columns } : {}), ...(zone.length > 0 ? { zone } : {}) };
  }

  /**
   * Compacts when the delta reaches compactDeltaRows; saves (compaction + Parquet) only once persistEntries
   * log entries arrived since the last save, or persistIntervalMs passed: a save rewrites the last partial
   * segment and fsyncs several files, so saving at every small compaction cost 4x the CPU (bench/learner/cost.ts)
   * and competed with the row store's own fsyncs. A restart replays at most persistEntries entries of the log.
   */
  private maybePersist(): void {
    const compactRows = Math.min(this.options.compactDeltaRows ?? 8192, this.learner.deltaRowsMax);
    const unsaved = this.learner.appliedIndex - this.lastPersistIndex;
    const saveDue = unsaved >= (this.options.persistEntries ?? 32_768) || performance.now() - this.lastPersistMs >= (this.options.persistIntervalMs ?? 30_000);
    if (saveDue && unsaved > 0) this.persist();
    else if (this.learner.deltaRows() >= compactRows) this.learner.compact();
  }

  /**
   * Compacts (a save needs an empty delta) and hands the changed segments and the manifest to the writer.
   * One save at a time: a persist while one runs is folded into one more save when it finishes.
   */
  private persist(): void {
    this.learner.compact();
    this.lastPersistMs = performance.now();
    this.lastPersistIndex = this.learner.appliedIndex;
    const dir = this.options.dir;
    if (dir === undefined) return;
    if (this.saving) {
      this.saveAgain = true;
      return;
    }
    this.saving = true;
    this.writer.save(planSave(dir, this.learner, this.written), (result) => {
      this.saving = false;
      if (result instanceof Error) {
        // The previous manifest stays valid (files are new names): the replica keeps serving, restarts replay more.
        this.lastSaveError = result.message;
        this.written.clear();
      } else {
        applySaveResult(this.written, result);
        this.diskBytes = result.diskBytes;
      }
      if (this.saveAgain) {
        this.saveAgain = false;
        this.persist();
        return;
      }
      for (const fn of this.afterSaved.splice(0)) fn();
    });
  }

  private whenSaved(fn: () => void): void {
    if (this.saving) this.afterSaved.push(fn);
    else fn();
  }

  status(): LearnerStatus {
    const l = this.learner;
    const tables = l.status().map((t) => ({ ...t, diskBytes: (this.written.get(t.id)?.segments ?? []).reduce((n, w) => n + w.entry.bytes, 0) }));
    return { appliedIndex: l.appliedIndex, appliedTs: l.appliedTs, horizonTs: l.horizonTs, compactions: l.compactions, diskBytes: this.diskBytes, tables, fragmentsOpen: this.fragments.size + this.pendingFragments.length };
  }
}

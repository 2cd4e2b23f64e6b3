// The leader side of the embedded columnar learner: starts it (worker thread by default), feeds it the
// committed log in bounded batches (one batch in flight: a slow learner falls behind and reports lag, it
// never buffers without bound or slows commits), rebuilds it from a row-store snapshot when needed, and
// serves consistent (wait for the leader's commit index) and bounded-staleness reads.
import { Worker } from 'node:worker_threads';
import type { RowStore } from '../../oltp/rowstore.ts';
import { DuetError, SqlState, assert } from '../../oltp/errors.ts';
import { readLogRange, RESUME_POINT_COMPACTED, firstLogIndex } from '../../cdc/log.ts';
import { logKey } from '../../oltp/keys.ts';
import type { Batch, Expr, OperatorStats, PlanNode } from '../exec/spec.ts';
import type { Value } from '../../oltp/types.ts';
import { packEntries, type FromLearner, type LearnerStatus, type ToLearner } from './messages.ts';
import { LearnerHost, type LearnerHostOptions } from './host.ts';
import { snapshotMessages } from './snapshot.ts';
import { RecentEntries } from './recent-entries.ts';
import { FEED_RING_BYTES, FeedRing } from './feed-ring.ts';
import { connectLearner } from './socket.ts';
import type { ZonePredicate } from './zonemap.ts';

export interface LearnerReplicaOptions extends LearnerHostOptions {
  /** Run in a worker thread (default true); false runs the same host in-process (tests, debugging). */
  readonly worker?: boolean;
  /** `host:port` of a learner process (olap/learner/serve-main.ts) to feed and read instead of a local one. */
  readonly remote?: string;
  /** Most log entries per apply message. Default 1024. */
  readonly applyEntriesMax?: number;
  /**
   * Least time between apply messages while commits stream in (coalescing: one message and one learner
   * wake-up per interval, not per commit group). A consistent read never waits for it. Default 5; 0 = off.
   */
  readonly applyIntervalMs?: number;
  /**
   * Bytes of the shared feed ring (feed-ring.ts) a local learner (worker thread or in-process) takes committed
   * entries from: no message per batch. Default FEED_RING_BYTES; 0 = feed by messages only (as a remote learner).
   */
  readonly feedRingBytes?: number;
  /** Aborting it while the learner boots stops the start (the thread is terminated, start rejects). */
  readonly signal?: AbortSignal;
  /**
   * false: this store does not feed the learner, it only reads from it: a learner member's relay (relay.ts), fed
   * by that member's own Raft log. Commit-log indexes and timestamps are the same on every member, so a consistent
   * read still waits for this store's applied index, on the member.
   */
  readonly feed?: boolean;
}

export interface LearnerReadOptions {
  /** Read timestamp; default: the leader's last commit (consistent) or the learner's applied one (bounded). */
  readonly ts?: number;
  /** 'consistent' waits until the learner applied the leader's commit index; 'bounded' reads at once. */
  readonly mode?: 'consistent' | 'bounded';
  readonly columns?: readonly number[];
  readonly zone?: readonly ZonePredicate[];
  /** Columns by name and a filter whose simple conjuncts prune blocks (what a ScanNode carries). */
  readonly columnNames?: readonly string[];
  readonly filter?: Expr;
}

export interface LearnerReadResult extends LearnerReadInfo {
  readonly batches: readonly Batch[];
}

export interface LearnerReadInfo {
  readonly ts: number;
  /** How far the learner was behind the leader when it answered (0 for a consistent read). */
  readonly staleEntries: number;
  readonly staleMs: number;
  readonly blocksPruned: number;
  readonly blocksScanned: number;
}

export interface ReplicaStatus extends LearnerStatus {
  readonly leaderIndex: number;
  readonly lagEntries: number;
  readonly lagMs: number;
  readonly rebuilds: number;
  readonly lastDamage: { readonly file: string; readonly reason: string } | undefined;
}

export interface FragmentRunOptions {
  /** $1..$n values (scan filters should carry theirs substituted: zone maps need constants). */
  readonly params: readonly Value[];
  /** Read timestamp (the statement's); the learner first applies the leader's commit index. */
  readonly ts: number;
  /** Result column names (default: the plan's output names). */
  readonly names?: readonly string[];
  readonly batchRowsMax?: number;
  /** `SET duet.parallel_min_blocks` (olap/parallel/settings.ts); unset: the learner's default. */
  readonly parallelMinBlocks?: number;
  /** Collect per-operator stats (EXPLAIN ANALYZE). */
  readonly analyze?: boolean;
  /** Cancels the fragment on the learner; the stream fails with 57014. */
  readonly signal?: AbortSignal;
  /**
   * Longest wait (ms) for the learner to reach this store's applied index before the fragment is cancelled and
   * the stream fails with LearnerBehindError (the router then answers on the row path at the same ts). Only the
   * wait is bounded: once the learner is known to have applied the index, the fragment runs as long as it
   * needs. Unset: wait until the learner gets there (or the signal aborts).
   */
  readonly waitMs?: number;
}

/**
 * The learner did not reach a read's log index within its bounded wait (behind, or not answering: a stopped
 * learner member). Not a query error: the caller reads on the row path instead.
 */
export class LearnerBehindError extends DuetError {
  constructor(readonly waitedMs: number, readonly behindEntries: number | undefined) {
    super(SqlState.objectNotInPrerequisiteState, `the columnar learner did not reach the statement's log index within ${waitedMs} ms (${behindEntries === undefined ? 'not answering' : `${behindEntries} entries behind`})`);
  }
}

/** Longest wait for a status answer (SHOW REPLICAS, the router's statistics) before the learner counts as not answering. */
const STATUS_WAIT_MS = 3000;

/** While a bounded fragment waits, how often a feedless reader asks the learner member how far it applied. */
const APPLIED_POLL_MS = 100;

/** What a finished fragment reports, in the plan's preorder (fragment.ts `preorder`). */
export interface FragmentReport {
  readonly stats: readonly (OperatorStats | null)[] | undefined;
  /** `workers`: threads that read the scan (2 when a helper thread took morsels of it); `helperBlocks`: the helper's share. */
  readonly scans: readonly { readonly blocksScanned: number; readonly blocksPruned: number; readonly workers?: number; readonly helperBlocks?: number }[];
}

/** Default least time between apply messages (applyIntervalMs): well inside the 50 ms freshness goal. */
const APPLY_INTERVAL_MS = 5;

/** Commit wall times kept for lag in milliseconds (a ring: bounded). */
const COMMIT_TIMES_MAX = 8192;

export class LearnerReplica {
  /** The last index handed to the learner (copied into the ring, or posted in an apply message). */
  private sentIndex = 0;
  /** The learner's applied index as last reported by a message. */
  private reportedIndex = 0;
  /** Local learners: the shared ring committed entries are copied into (undefined: messages only). */
  private ring: FeedRing | undefined;
  /**
   * Entries go into the ring (the steady state). Off after a group did not fit (a learner far behind, a large
   * entry), came without its bytes, or a rebuild: the message path catches up, then the ring takes over again.
   */
  private ringOn = false;
  private inflight = false;
  private pumpScheduled = false;
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  private lastPostMs = -Infinity;
  /** The highest index a waiting read needs: the feeder sends it without the coalescing delay. */
  private hurryIndex = 0;
  private closed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: FromLearner) => void; reject: (e: Error) => void }>();
  private readonly commitIdx = new Float64Array(COMMIT_TIMES_MAX);
  private readonly commitMs = new Float64Array(COMMIT_TIMES_MAX);
  private commitAt = 0;
  private readonly unsubscribe: () => void;
  /** Entries as the row store encoded them at commit: sent without reading them back (bounded window). */
  private readonly recent = new RecentEntries();
  private snapshotting: Promise<void> | undefined;
  private readyResolve!: (m: Extract<FromLearner, { kind: 'ready' }>) => void;
  private readyReject: ((e: Error) => void) | undefined;
  private closedResolve: (() => void) | undefined;
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  /** Requests relayed for another node (relay.ts): replies to these local ids go to the relay, not to `waiting`. */
  private readonly relays = new Map<number, (m: FromLearner) => void>();
  /**
   * Refs or unrefs the learner thread. An idle learner must not keep the process alive (the learner is on by
   * default: a script that never closes its Database should still exit; the row store is the source of
   * truth and a restart replays the log), but one that owes an answer must, or an awaited read could be cut
   * off.
   */
  private keepAlive: ((on: boolean) => void) | undefined;
  /** A status request timed out and the learner has sent nothing since. */
  private unanswered = false;
  rebuilds = 0;
  /** Entries handed to the learner through the shared ring and in apply messages (the ring's fallback). */
  readonly fed = { ring: 0, messages: 0 };
  /** Column-path fragments the learner finished (served) or failed (refused: the caller may rerun on rows). */
  readonly fragments = { served: 0, refused: 0 };
  lastDamage: { file: string; reason: string } | undefined;
  /** Set when feeding failed for a reason other than compaction (the replica stops; status shows it). */
  failure: Error | undefined;

  /**
   * What SHOW REPLICAS reports: failed (feeding stopped), rebuilding (loading a snapshot), closed, not answering
   * (a status went unanswered for STATUS_WAIT_MS and nothing came since: a stopped learner member) or running.
   */
  get state(): 'running' | 'rebuilding' | 'failed' | 'closed' | 'not answering' {
    return this.failure ? 'failed' : this.snapshotting ? 'rebuilding' : this.closed ? 'closed' : this.unanswered ? 'not answering' : 'running';
  }

  /** Where the learner runs (SHOW REPLICAS): its `host:port` when remote, else 'embedded'. */
  get placement(): string {
    return this.options.remote ?? 'embedded';
  }

  private constructor(private readonly store: RowStore, private readonly options: LearnerReplicaOptions, private readonly post: (m: ToLearner) => void, private readonly stop: () => Promise<void>) {
    this.unsubscribe = store.onCommit((index, encoded) => {
      const i = this.commitAt++ % COMMIT_TIMES_MAX;
      this.commitIdx[i] = index;
      this.commitMs[i] = performance.now();
      if (encoded) {
        const inRing = this.ring !== undefined ? this.toRing(index, encoded) : 0;
        if (inRing === encoded.length) return;
        this.recent.add(index, inRing === 0 ? encoded : encoded.slice(inRing));
      }
      // Off the commit path: the listener only schedules; reading and posting happen on the next turn.
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** The learner's applied index: the ring's (written by the learner as it takes entries) or the last message's. */
  private get learnerIndex(): number {
    const fromRing = this.ring?.appliedIndex ?? 0;
    return fromRing > this.reportedIndex ? fromRing : this.reportedIndex;
  }

  /**
   * Copies a commit group's entries into the ring; returns how many went in (the rest go by the message path).
   * The ring (re)starts only when no apply message is in flight and every entry before the group can go in
   * first (from the recent window): the learner takes ring entries whenever it likes, so they must never
   * overtake entries still travelling in a message.
   */
  private toRing(index: number, encoded: readonly Uint8Array[]): number {
    const ring = this.ring!;
    const first = index - encoded.length + 1;
    if (this.snapshotting || this.closed || this.failure || (this.ringOn && first !== this.sentIndex + 1)) this.ringOn = false;
    let wrote = false;
    if (!this.ringOn) {
      if (this.inflight || this.snapshotting || this.closed || this.failure || this.sentIndex >= first) return 0;
      for (let i = this.sentIndex + 1; i < first; i++) {
        const b = this.recent.get(i);
        if (b === undefined || !ring.tryWrite(b)) break;
        this.sentIndex = i;
        this.fed.ring++;
        wrote = true;
      }
      this.recent.dropThrough(this.sentIndex);
      this.ringOn = this.sentIndex === first - 1;
    }
    let k = 0;
    if (this.ringOn) {
      while (k < encoded.length && ring.tryWrite(encoded[k]!)) k++;
      this.sentIndex += k;
      this.fed.ring += k;
      if (k < encoded.length) this.ringOn = false;
    }
    if ((wrote || k > 0) && ring.publish()) ring.wake();
    return k;
  }

  /** Starts the learner of `store`: loads its files (or rebuilds), then follows the log. */
  static async start(store: RowStore, options: LearnerReplicaOptions = {}): Promise<LearnerReplica> {
    let replica: LearnerReplica | undefined;
    const receive = (m: FromLearner): void => {
      replica!.receive(m);
      replica!.hold();
    };
    let post: (m: ToLearner) => void;
    let stop: () => Promise<void>;
    let keepAlive: ((on: boolean) => void) | undefined;
    const hostOptions: LearnerHostOptions = { ...(options.dir !== undefined ? { dir: options.dir } : {}), ...(options.threadNice !== undefined ? { threadNice: options.threadNice } : {}), ...(options.deltaRowsMax !== undefined ? { deltaRowsMax: options.deltaRowsMax } : {}), ...(options.persistIntervalMs !== undefined ? { persistIntervalMs: options.persistIntervalMs } : {}), ...(options.compactDeltaRows !== undefined ? { compactDeltaRows: options.compactDeltaRows } : {}), ...(options.persistEntries !== undefined ? { persistEntries: options.persistEntries } : {}) };
    if (options.remote !== undefined) {
      const link = await connectLearner(options.remote, receive, (e) => replica?.fail(e));
      post = link.post;
      stop = link.stop;
    } else if (options.worker ?? true) {
      const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { ...hostOptions, writerThread: true } });
      keepAlive = (on) => (on ? worker.ref() : worker.unref());
      worker.on('message', receive);
      worker.on('error', (e) => replica?.fail(e));
      // apply batches are handed over by transfer (one packed buffer, no copy)
      post = (m) => (m.kind === 'apply' ? worker.postMessage(m, [m.bytes.buffer as ArrayBuffer]) : worker.postMessage(m));
      stop = async () => void (await worker.terminate());
    } else {
      // In-process: the same host, messages delivered asynchronously like a worker's.
      const host = new LearnerHost(hostOptions, (m) => setImmediate(() => receive(m)));
      // once stopped, messages still queued are dropped (a killed in-process learner must not keep writing)
      let stopped = false;
      post = (m) => setImmediate(() => stopped || host.handle(structuredClone(m)));
      stop = async () => {
        stopped = true;
        host.stopRing();
      };
    }
    replica = new LearnerReplica(store, options, (m) => {
      if ('minIndex' in m) replica!.hurry(m.minIndex);
      replica!.keepAlive?.(true);
      post(m);
    }, () => stop());
    const aborted = (): void => replica!.readyReject?.(new DuetError(SqlState.queryCanceled, 'the columnar learner start was stopped'));
    options.signal?.addEventListener('abort', aborted);
    let ready: Extract<FromLearner, { kind: 'ready' }>;
    try {
      if (options.signal?.aborted) throw new DuetError(SqlState.queryCanceled, 'the columnar learner start was stopped');
      ready = await new Promise<Extract<FromLearner, { kind: 'ready' }>>((resolve, reject) => {
        replica!.readyResolve = resolve;
        replica!.readyReject = reject;
        post({ kind: 'init' });
      });
    } catch (e) {
      replica.closed = true;
      replica.unsubscribe();
      await stop();
      throw e;
    } finally {
      replica.readyReject = undefined;
      options.signal?.removeEventListener('abort', aborted);
    }
    // from now on the thread keeps the process alive only while the learner owes an answer (see hold)
    replica.keepAlive = keepAlive;
    replica.reportedIndex = replica.sentIndex = ready.appliedIndex;
    if (ready.damage) replica.lastDamage = ready.damage;
    if (options.feed === false) return replica;
    const ringBytes = options.feedRingBytes ?? FEED_RING_BYTES;
    if (options.remote === undefined && ringBytes > 0) {
      replica.ring = FeedRing.create(ringBytes);
      replica.post({ kind: 'feedRing', buffer: replica.ring.buffer, intervalMs: options.applyIntervalMs ?? APPLY_INTERVAL_MS });
    }
    const first = await firstLogIndex(store);
    if (ready.damage || (ready.appliedIndex + 1 < first && store.stats.appliedIndex >= first)) await replica.rebuild();
    else replica.pump();
    replica.hold();
    return replica;
  }

  /** Busy (requests unanswered, a batch being applied, someone waiting for an index, a rebuild, closing): keep the process alive. */
  private hold(): void {
    this.keepAlive?.(this.waiting.size > 0 || this.inflight || this.appliedWaiters.length > 0 || this.snapshotting !== undefined || this.closed);
  }

  private receive(m: FromLearner): void {
    this.unanswered = false;
    switch (m.kind) {
      case 'ready': return this.readyResolve(m);
      case 'applied':
        if (m.appliedIndex > this.reportedIndex) this.reportedIndex = m.appliedIndex;
        if (!m.ring) this.inflight = false; // (a ring report answers no apply message)
        this.wakeAppliedWaiters();
        this.pump();
        return;
      case 'closed':
        this.closedResolve?.();
        return;
      case 'error':
        if (m.id === undefined) return this.fail(new Error(`columnar learner: ${m.message}`));
        break;
      default:
        break;
    }
    if ('id' in m && m.id !== undefined) {
      const relayed = this.relays.get(m.id);
      if (relayed !== undefined) return relayed(m);
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!w) return;
      if (m.kind === 'error') w.reject(m.code !== undefined ? new DuetError(m.code, m.message) : new Error(m.message));
      else w.resolve(m);
    }
  }

  private fail(e: Error): void {
    this.failure = e;
    this.readyReject?.(e);
    this.closedResolve?.();
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** Sends the next batch of committed entries if none is in flight. */
  private pump(): void {
    if (this.options.feed === false || this.inflight || this.closed || this.snapshotting || this.failure) return;
    const to = this.store.stats.appliedIndex;
    if (this.sentIndex >= to || this.deferPump(to)) return;
    this.inflight = true;
    this.lastPostMs = performance.now();
    const from = this.sentIndex + 1;
    const count = Math.min(to - from + 1, this.options.applyEntriesMax ?? 1024);
    // Fast path: the bytes the row store encoded at commit (the recent window), else a synchronous get of an
    // entry in LevelDB's memtable (no queueing behind fsyncs in the thread pool). A missing entry
    // (compacted) falls through to the checked path below.
    const entries: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const b = this.recent.get(from + i) ?? this.store.readLatest(logKey(from + i));
      if (b === undefined) break;
      entries.push(b);
    }
    if (entries.length === count) {
      this.sentIndex = from + count - 1;
      this.recent.dropThrough(this.sentIndex);
      this.fed.messages += count;
      this.post(packEntries(entries));
      return;
    }
    readLogRange(this.store, from, to, this.options.applyEntriesMax ?? 1024).then(
      (entries) => {
        if (this.closed) return;
        this.sentIndex = from + entries.length - 1;
        this.fed.messages += entries.length;
        this.post(packEntries(entries));
      },
      (e: unknown) => {
        this.inflight = false;
        if (e instanceof DuetError && e.code === RESUME_POINT_COMPACTED) void this.rebuild();
        else this.fail(e as Error);
      },
    );
  }

  /**
   * Coalescing: a backlog smaller than one full batch waits until applyIntervalMs passed since the last batch
   * (a commit after a quiet spell goes at once). True when the pump was put off to a timer.
   */
  private deferPump(to: number): boolean {
    const waitMs = this.lastPostMs + (this.options.applyIntervalMs ?? APPLY_INTERVAL_MS) - performance.now();
    if (waitMs <= 0 || this.hurryIndex > this.sentIndex || to - this.sentIndex >= (this.options.applyEntriesMax ?? 1024)) return false;
    this.pumpTimer ??= setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, Math.ceil(waitMs));
    return true;
  }

  /** A read waits for `index` on the learner: send it now. */
  private hurry(index: number): void {
    if (index <= this.hurryIndex) return;
    this.hurryIndex = index;
    this.pump();
  }

  /** Rebuilds the learner from a snapshot of the row store, then follows the log from the snapshot's index. */
  private rebuild(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    this.rebuilds++;
    this.ringOn = false;
    this.snapshotting = (async () => {
      while (this.inflight) await new Promise((r) => setTimeout(r, 1));
      const index = await snapshotMessages(this.store, (m) => this.post(m));
      this.sentIndex = index;
    })().finally(() => {
      this.snapshotting = undefined;
      this.pump();
    });
    return this.snapshotting;
  }

  private request<K extends FromLearner['kind']>(msg: ToLearner & { id: number }): Promise<Extract<FromLearner, { kind: K }>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new DuetError(SqlState.objectInUse, 'the columnar replica is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.set(msg.id, { resolve: resolve as (m: FromLearner) => void, reject });
      this.post(msg);
    });
  }

  /**
   * request() that fails after `waitMs` with 55000 (the request is forgotten; a late answer is dropped): what a
   * caller that must not hang on a stopped learner member uses (status: SHOW REPLICAS, the router).
   */
  private requestWithin<K extends FromLearner['kind']>(msg: ToLearner & { id: number }, waitMs: number): Promise<Extract<FromLearner, { kind: K }>> {
    const answer = this.request<K>(msg);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.waiting.delete(msg.id);
        this.unanswered = true;
        reject(new DuetError(SqlState.objectNotInPrerequisiteState, `the columnar learner${this.options.remote !== undefined ? ` at ${this.options.remote}` : ''} did not answer within ${waitMs} ms`));
      }, waitMs);
    });
    answer.catch(() => undefined);
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  }

  /** Reads one table on the learner (see LearnerReadOptions), collecting every batch. */
  async read(table: string, options: LearnerReadOptions = {}): Promise<LearnerReadResult> {
    let info: LearnerReadInfo | undefined;
    const batches: Batch[] = [];
    for await (const b of this.readStream(table, options, (i) => (info = i))) batches.push(b);
    assert(info !== undefined, 'a scan answers at least once');
    return { batches, ...info };
  }

  /**
   * Reads one table chunk by chunk: the next chunk is asked for only when this one was consumed, so a large
   * scan never has more than one chunk in flight. `onInfo` gets the read timestamp and staleness first.
   */
  async *readStream(table: string, options: LearnerReadOptions = {}, onInfo?: (info: LearnerReadInfo) => void): AsyncGenerator<Batch> {
    const mode = options.mode ?? 'consistent';
    const leaderIndex = this.store.stats.appliedIndex;
    const ts = options.ts ?? (mode === 'consistent' ? this.store.stats.appliedTs : undefined);
    const minIndex = mode === 'consistent' ? leaderIndex : 0;
    const lagMs = this.lagMs();
    const id = this.nextId++;
    let m = await this.request<'scanned'>({ kind: 'scan', id, table, ts, minIndex, ...(options.columns ? { columns: options.columns } : {}), ...(options.zone ? { zone: options.zone } : {}), ...(options.columnNames ? { columnNames: options.columnNames } : {}), ...(options.filter ? { filter: options.filter } : {}) });
    const staleEntries = Math.max(0, leaderIndex - m.appliedIndex);
    let finished = false;
    try {
      for (;;) {
        onInfo?.({ ts: m.ts, staleEntries, staleMs: staleEntries === 0 ? 0 : lagMs, blocksPruned: m.blocksPruned, blocksScanned: m.blocksScanned });
        yield* m.batches;
        if (m.done) {
          finished = true;
          return;
        }
        m = await this.request<'scanned'>({ kind: 'scanMore', id });
      }
    } finally {
      if (!finished && !this.closed && this.failure === undefined) this.post({ kind: 'scanEnd', id });
    }
  }

  /**
   * Runs a column-path plan fragment on the learner (fragment.ts) and yields its result as Arrow IPC
   * stream chunks; the next chunk is asked for only when this one was consumed. `onDone` gets the block
   * counters (and stats) once the last chunk arrived. Stopping early or the signal cancels it there.
   */
  async *runFragment(plan: PlanNode, options: FragmentRunOptions, onDone?: (report: FragmentReport) => void): AsyncGenerator<Uint8Array> {
    const id = this.nextId++;
    const signal = options.signal;
    const minIndex = this.store.stats.appliedIndex;
    let finished = false;
    let started = false;
    try {
      const first = this.requestCancellable<'fragmentResult'>({
        kind: 'fragment', id, plan, params: options.params, ts: options.ts, minIndex,
        ...(options.names ? { names: options.names } : {}),
        ...(options.batchRowsMax !== undefined ? { batchRowsMax: options.batchRowsMax } : {}),
        ...(options.parallelMinBlocks !== undefined ? { parallelMinBlocks: options.parallelMinBlocks } : {}),
        ...(options.analyze ? { analyze: true } : {}),
      }, signal, () => (started = true));
      let m = options.waitMs === undefined ? await first : await this.boundedFirst(first, id, minIndex, options.waitMs);
      for (;;) {
        if (m.done) {
          finished = true;
          this.fragments.served++;
          onDone?.({ stats: m.stats, scans: m.scans ?? [] });
          yield m.ipc;
          return;
        }
        yield m.ipc;
        m = await this.requestCancellable<'fragmentResult'>({ kind: 'fragmentMore', id }, signal);
      }
    } catch (e) {
      if (e instanceof DuetError && e.code !== SqlState.queryCanceled) {
        this.fragments.refused++;
        finished = !(e instanceof LearnerBehindError); // the learner ended it; one that was too slow is cancelled
      }
      throw e;
    } finally {
      if (started && !finished && !this.closed && this.failure === undefined) this.post({ kind: 'fragmentCancel', id });
    }
  }

  /**
   * `first` (a fragment's first reply), unless the learner is not known to have applied `minIndex` within
   * `waitMs`: then the request is forgotten and LearnerBehindError thrown (the caller cancels the fragment).
   * Known: the feeder's 'applied' messages (a fed learner), or a status answer that arrived after the fragment
   * was sent (a feedless reader: a learner member that stopped answering must not pass on an old index).
   */
  private boundedFirst<T>(first: Promise<T>, id: number, minIndex: number, waitMs: number): Promise<T> {
    first.catch(() => undefined); // abandoned after a timeout, it may still reject (a later cancel): not unhandled
    return new Promise<T>((resolve, reject) => {
      let bounded = true;
      let probing = false;
      let lastSeen: number | undefined;
      const release = (): void => {
        bounded = false;
        clearTimeout(timer);
        clearInterval(poll);
      };
      const reached = (): void => {
        if (!bounded) return;
        release();
        first.then(resolve, reject);
      };
      first.then((v) => { if (bounded) { release(); resolve(v); } }, (e: unknown) => { if (bounded) { release(); reject(e as Error); } });
      const timer = setTimeout(() => {
        if (!bounded) return;
        release();
        this.waiting.delete(id);
        const seen = this.options.feed !== false ? this.learnerIndex : lastSeen;
        reject(new LearnerBehindError(waitMs, seen === undefined ? undefined : Math.max(0, minIndex - seen)));
      }, waitMs);
      const poll = setInterval(() => {
        if (probing || this.options.feed !== false) return;
        probing = true; // one status request at a time: a learner that stopped answering collects no more
        this.request<'status'>({ kind: 'status', id: this.nextId++ }).then((m) => {
          lastSeen = m.status.appliedIndex;
          this.noteApplied(m.status.appliedIndex);
          if (m.status.appliedIndex >= minIndex) reached();
        }, () => undefined).finally(() => (probing = false));
      }, APPLIED_POLL_MS);
      if (this.options.feed !== false) void this.whenApplied(minIndex).then(reached);
    });
  }

  /** request() that gives up at once when `signal` aborts (57014); the caller tells the learner to stop. */
  private requestCancellable<K extends FromLearner['kind']>(msg: ToLearner & { id: number }, signal: AbortSignal | undefined, posted?: () => void): Promise<Extract<FromLearner, { kind: K }>> {
    const canceled = (): DuetError => new DuetError(SqlState.queryCanceled, 'canceling statement due to user request');
    if (signal?.aborted) return Promise.reject(canceled());
    const answer = this.request<K>(msg);
    posted?.();
    if (!signal) return answer;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiting.delete(msg.id);
        reject(canceled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Compacts and persists now (normally driven by the delta bound and the persist interval). */
  async compact(): Promise<void> {
    await this.request<'compacted'>({ kind: 'compact', id: this.nextId++ });
  }

  /** Resolves once the learner has applied log index `index` (what a read needs to see that commit). */
  whenApplied(index: number): Promise<void> {
    if (this.learnerIndex >= index) return Promise.resolve();
    if (this.ring) {
      // ring entries are applied without a reply unless asked for; asked, look again (it may have just happened)
      this.ring.want(index);
      if (this.learnerIndex >= index) return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.appliedWaiters.push({ index, resolve });
      this.hold(); // the answer comes from the learner's thread: an unref'd thread would let the process exit first
    });
  }

  private wakeAppliedWaiters(): void {
    let keep = 0;
    for (const w of this.appliedWaiters) {
      if (w.index <= this.learnerIndex) w.resolve();
      else this.appliedWaiters[keep++] = w;
    }
    this.appliedWaiters.length = keep;
  }

  /** Waits until the learner applied the leader's current commit index. */
  async caughtUp(): Promise<void> {
    const target = this.store.stats.appliedIndex;
    while (this.learnerIndex < target || this.snapshotting) {
      if (this.failure) throw this.failure;
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Milliseconds since the oldest commit the learner has not applied yet (0 when caught up). */
  lagMs(): number {
    if (this.learnerIndex >= this.store.stats.appliedIndex) return 0;
    const n = Math.min(this.commitAt, COMMIT_TIMES_MAX);
    let oldest = Infinity;
    for (let k = 0; k < n; k++) if (this.commitIdx[k]! > this.learnerIndex) oldest = Math.min(oldest, this.commitMs[k]!);
    return oldest === Infinity ? 0 : performance.now() - oldest;
  }

  /**
   * A channel for a request relayed from another node (relay.ts): a fresh id whose replies go to `onReply`;
   * `post` sends messages carrying it, `close` forgets it.
   */
  openRelay(onReply: (m: FromLearner) => void): { readonly id: number; post(m: ToLearner): void; close(): void } {
    const id = this.nextId++;
    this.relays.set(id, onReply);
    return {
      id,
      post: (m) => {
        if (!this.closed && this.failure === undefined) this.post(m);
      },
      close: () => void this.relays.delete(id),
    };
  }

  /** A feedless reader gets no 'applied' messages: a status answer tells it how far the learner applied. */
  private noteApplied(appliedIndex: number): void {
    if (this.options.feed !== false || appliedIndex <= this.learnerIndex) return;
    this.reportedIndex = appliedIndex;
    this.wakeAppliedWaiters();
  }

  /** The learner's applied index as last reported (a feedless replica learns it from status answers). */
  get appliedIndex(): number {
    return this.learnerIndex;
  }

  /** Observability: applied index, lag in entries and ms, per-table delta rows, blocks, memory and disk bytes. */
  async status(): Promise<ReplicaStatus> {
    const m = await this.requestWithin<'status'>({ kind: 'status', id: this.nextId++ }, STATUS_WAIT_MS);
    this.noteApplied(m.status.appliedIndex);
    const leaderIndex = this.store.stats.appliedIndex;
    return { ...m.status, leaderIndex, lagEntries: Math.max(0, leaderIndex - m.status.appliedIndex), lagMs: this.lagMs(), rebuilds: this.rebuilds, lastDamage: this.lastDamage };
  }

  /**
   * Stops the learner abruptly, as a crash would: the thread is terminated, no final save, open requests fail.
   * Fault injection for tests; a restart loads the last saved state and replays the log from there.
   */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const e = new DuetError(SqlState.objectInUse, 'the columnar replica was stopped');
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    await this.stop();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.unsubscribe();
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    while (this.inflight && !this.failure) await new Promise((r) => setTimeout(r, 1));
    if (this.snapshotting) await this.snapshotting;
    this.closed = true;
    if (!this.failure) {
      await new Promise<void>((resolve) => {
        this.closedResolve = resolve;
        this.post({ kind: 'close' });
      });
    }
    await this.stop();
    assert(this.waiting.size === 0 || this.failure !== undefined, 'requests left unanswered at close');
  }
}

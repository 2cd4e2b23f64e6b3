// The replicated commit path: drives a RaftNode (tick, step, Ready loop over LevelStorage and a transport),
// proposes the row store's commit groups on the leader and applies committed groups of others into the row store.

import type { LogEntry } from '../commitlog.ts';
import { DuetError, assert } from '../errors.ts';
import type { RowStore } from '../rowstore.ts';
import { RaftNode, SeededRandom, type ConfChange, type LevelStorage, type Message, type NodeId, type Ready, type Snapshot } from '../raft/index.ts';
import type { SnapshotFrame } from './codec.ts';
import { decodeGroup, encodeGroup } from './group-codec.ts';
import { decodeRecords } from './snapshot-image.ts';
import { SnapshotReceiver } from './snapshot-receiver.ts';
import { SnapshotSender } from './snapshot-sender.ts';
import type { JoinRequest } from './transport.ts';

export interface ReplicatorOptions {
  readonly id: NodeId;
  readonly storage: LevelStorage;
  readonly send: (messages: readonly Message[]) => void;
  /** SQL address of a node, for "connect to the leader at ..." hints (undefined when not known yet). */
  readonly sqlAddressOf: (id: NodeId) => string | undefined;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly seed?: number;
  /** Snapshot transfer frames (InstallSnapshot streams the row store); absent: this node never sends one. */
  readonly sendSnapshotFrame?: (f: SnapshotFrame) => boolean;
  /** Compact the Raft log once it holds this many applied entries beyond the retained tail. Default 10000. */
  readonly compactEntries?: number;
  /** Applied entries kept after a compaction: a follower this close behind gets entries, not a snapshot. Default 1000. */
  readonly retainEntries?: number;
  readonly snapshotChunkBytes?: number;
  /**
   * `duet node --join`: this node started outside the configuration; until the request is fulfilled (member;
   * voter if asked; the replaced member removed) it asks the peers every second, and the leader makes the
   * next change.
   */
  readonly join?: { readonly request: JoinRequest; readonly send: (request: JoinRequest) => void };
  /** Operational messages (compactions, snapshots sent and installed). Default: stderr. */
  readonly log?: (line: string) => void;
}

/** One learner member of the Raft group, as `Replicator.learnerMembers` reports it. */
export interface LearnerMemberInfo {
  readonly id: NodeId;
  readonly sql: string | undefined;
  /**
   * The leader's progress state for it (`replicate`, `probe`, `snapshot`), `unreachable`, `member` on another
   * non-leader, or `self` on the learner member itself (match = its applied index, commit = the leader's as known).
   */
  readonly state: string;
  /** Raft index the member holds (known on the leader, and on the member itself); undefined elsewhere. */
  readonly match: number | undefined;
  /** The commit index, on the leader and (as the leader last told it) on the member itself. */
  readonly commit: number | undefined;
}

interface PendingRead {
  /** The leader's commit index once confirmed (ReadIndex, Raft §6.4); undefined while waiting. */
  index: number | undefined;
  askedAtTick: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/** Pending linearizable reads at most (each costs a heartbeat round); more are refused at once. */
const PENDING_READS_MAX = 1024;

interface Pending {
  readonly term: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class Replicator {
  readonly node: RaftNode;
  private store: RowStore | undefined;
  private readonly pending = new Map<number, Pending>();
  private pumping = false;
  private ticker: NodeJS.Timeout | undefined;
  /** Highest Raft index whose effect on the row store is settled (applied, or handed to its own commit group). */
  private appliedRaftIndex = 0;
  /** The term we lead and the index of its first entry (the no-op): writes wait until that is applied. */
  private leaderTerm = 0;
  private leaderFirstIndex = Infinity;
  /**
   * Transactions with an id below this began before this node became a caught-up leader: their writes were
   * checked against rows that entries applied later (without row locks) may have changed, so they are refused.
   */
  private txnIdMin = Infinity;
  private txnIdMinTerm = 0;
  private failure: unknown;
  private readonly reads = new Map<string, PendingRead>();
  private readSeq = 0;
  private ticks = 0;
  private syncedTerm = -1;
  private syncedVote = -1;
  private stopped = false;
  private sender: SnapshotSender | undefined;
  private receiver: SnapshotReceiver | undefined;
  /** Received, checked row-store images by snapshot index, until the core hands the snapshot out in a Ready. */
  private readonly staged = new Map<number, readonly Uint8Array[]>();
  /** A compaction is between "row store synced" and "log compacted"; compactTo > 0 once it may compact. */
  private compacting = false;
  private compactTo = 0;

  constructor(private readonly options: ReplicatorOptions) {
    this.node = new RaftNode({
      id: options.id,
      storage: options.storage,
      random: new SeededRandom(options.seed ?? (options.id * 7919 + Date.now()) >>> 0),
      electionTicks: options.electionTicks ?? 10,
      heartbeatTicks: options.heartbeatTicks ?? 1,
      preVote: true,
      checkQuorum: true,
      applied: options.storage.storedAppliedIndex(),
    });
    this.appliedRaftIndex = options.storage.storedAppliedIndex();
  }

  /** Starts ticking and applying once the row store is open. */
  start(store: RowStore): void {
    this.store = store;
    const sendFrame = this.options.sendSnapshotFrame;
    if (sendFrame !== undefined) {
      this.sender = new SnapshotSender({
        id: this.options.id,
        store,
        send: sendFrame,
        report: (to, ok) => {
          this.node.reportSnapshot(to, ok);
          this.pump();
        },
        log: (line) => this.log(line),
        ...(this.options.snapshotChunkBytes !== undefined ? { chunkBytes: this.options.snapshotChunkBytes } : {}),
      });
      this.receiver = new SnapshotReceiver({ id: this.options.id, send: sendFrame });
    }
    this.ticker = setInterval(() => {
      this.node.tick();
      this.ticks++;
      this.reaskReads();
      this.askToJoin();
      this.pump();
    }, this.options.tickMs ?? 50);
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    this.sender?.stop();
    for (const [, p] of this.pending) p.reject(unknownOutcome());
    this.pending.clear();
    for (const [, r] of this.reads) {
      clearTimeout(r.timer);
      r.reject(readUnconfirmed());
    }
    this.reads.clear();
  }

  /**
   * Resolves once this node's row store holds everything committed before the call (ReadIndex through the
   * leader, then wait until applied): a snapshot taken afterwards is a linearizable read, on any node.
   */
  readBarrier(timeoutMs = 3000): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.reads.size >= PENDING_READS_MAX) return Promise.reject(readUnconfirmed());
    const ctx = `${this.options.id}:${++this.readSeq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(ctx);
        reject(readUnconfirmed());
      }, timeoutMs);
      this.reads.set(ctx, { index: undefined, askedAtTick: this.ticks, resolve, reject, timer });
      this.node.readIndex(ctx); // false (no leader known) is retried by reaskReads
      this.pump();
    });
  }

  /** A ReadIndex request is dropped silently on a leader change: ask again after an election timeout. */
  private reaskReads(): void {
    const everyTicks = this.options.electionTicks ?? 10;
    for (const [ctx, r] of this.reads) {
      if (r.index !== undefined || this.ticks - r.askedAtTick < everyTicks) continue;
      r.askedAtTick = this.ticks;
      this.node.readIndex(ctx);
    }
  }

  private settleReads(): void {
    for (const [ctx, r] of this.reads) {
      if (r.index === undefined || this.appliedRaftIndex < r.index) continue;
      this.reads.delete(ctx);
      clearTimeout(r.timer);
      // Our own groups are written by the row store after their commit: wait for its current write turn.
      void this.store!.exclusive(async () => undefined).then(r.resolve, r.reject);
    }
  }

  receive(m: Message): void {
    if (this.stopped || m.to !== this.options.id) return;
    this.node.step(m);
    this.pump();
  }

  private askToJoin(): void {
    const join = this.options.join;
    if (join === undefined || this.ticks % Math.max(1, Math.round(1000 / (this.options.tickMs ?? 50))) !== 1) return;
    const { voters, learners } = this.node.status().config;
    const id = this.options.id;
    const { voter, replaces } = join.request;
    const done = (voters.includes(id) || (!voter && learners.includes(id))) && (replaces === undefined || (!voters.includes(replaces) && !learners.includes(replaces)));
    if (!done) join.send(join.request);
  }

  /**
   * A node asks to join: the leader makes the next change it needs, one at a time (the node asks again every
   * second): add it as a learner; promote it once it holds everything committed (a voter that is far behind
   * would weaken the quorum); remove the member it replaces.
   */
  receiveJoin(id: NodeId, request: JoinRequest): void {
    if (this.stopped || !this.isWritableLeader()) return;
    const { voters, learners } = this.node.status().config;
    const member = (n: NodeId): boolean => voters.includes(n) || learners.includes(n);
    let change: ConfChange | undefined;
    if (!member(id)) change = { type: 'addLearner', nodeId: id };
    else if (request.voter && learners.includes(id)) {
      if ((this.node.raft.progress.get(id)?.match ?? 0) >= this.node.status().commit) change = { type: 'promoteLearner', nodeId: id };
    } else if (request.replaces !== undefined && request.replaces !== id && voters.includes(id) && member(request.replaces)) {
      change = { type: 'removeNode', nodeId: request.replaces };
    }
    if (change === undefined) return;
    const r = this.node.proposeConfChange(change);
    if (r.ok) this.log(`configuration change for node ${change.nodeId}: ${change.type} (Raft index ${r.index})`);
    this.pump();
  }

  /** A snapshot chunk (we are behind) or an acknowledgement of one we sent (we lead). */
  receiveSnapshotFrame(f: SnapshotFrame): void {
    if (this.stopped || f.to !== this.options.id || this.receiver === undefined) return;
    if (f.kind === 'snapAck') return this.sender?.onAck(f);
    const image = this.receiver.receive(f);
    if (image === undefined) return;
    // Keep the image until the core hands the snapshot out (it may refuse this one: caught up meanwhile, or an
    // older image from a new leader while an accepted one waits for its Ready). At most two are kept.
    const index = image.message.snapshot.meta.index;
    this.staged.set(index, image.chunks);
    while (this.staged.size > 2) this.staged.delete(Math.min(...this.staged.keys()));
    this.node.step(image.message);
    if (this.node.raft.log.unstableSnapshot?.meta.index !== index) this.staged.delete(index); // refused: not needed
    this.pump();
  }

  /** True when this node leads and has applied everything before its term: proposals may be sequenced here. */
  isWritableLeader(): boolean {
    const s = this.node.status();
    return s.role === 'leader' && s.term === this.leaderTerm && this.appliedRaftIndex >= this.leaderFirstIndex && this.txnIdMinTerm === s.term;
  }

  status(): { id: NodeId; role: string; leaderId: NodeId; term: number; commit: number; appliedRaftIndex: number; leaderSql: string | undefined } {
    const s = this.node.status();
    return { id: s.id, role: s.role, leaderId: s.leaderId, term: s.term, commit: s.commit, appliedRaftIndex: this.appliedRaftIndex, leaderSql: this.options.sqlAddressOf(s.leaderId) };
  }

  /**
   * The group's learner members (columnar learners joined with `duet node --learner`, or nodes still on their
   * way to voter) as this node knows them: on the leader with their progress (match index, replication state,
   * `unreachable` when not heard from within an election timeout), on the member itself its own applied index,
   * elsewhere only that they are members.
   */
  learnerMembers(): LearnerMemberInfo[] {
    const s = this.node.status();
    const leading = s.role === 'leader';
    return s.config.learners.map((id) => {
      // A learner member knows its own applied index and the commit index the leader told it: its staleness.
      if (id === this.options.id && !leading) return { id, sql: this.options.sqlAddressOf(id), state: 'self', match: this.appliedRaftIndex, commit: s.commit };
      const progress = leading ? this.node.raft.progress.get(id) : undefined;
      const state = progress === undefined ? 'member' : progress.recentActive ? progress.state : 'unreachable';
      return { id, sql: this.options.sqlAddressOf(id), state, match: progress?.match, commit: leading ? s.commit : undefined };
    });
  }

  /** The row store's `replicate` hook: resolves once the group is committed by a quorum at this term. */
  replicate(entries: readonly LogEntry[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (!this.isWritableLeader()) return Promise.reject(this.notLeaderError());
    if (entries.some((e) => e.txnId < this.txnIdMin)) {
      return Promise.reject(new DuetError('40001', 'could not serialize access: the transaction began before this node became the leader', { hint: 'Retry the transaction.' }));
    }
    const result = this.node.propose(encodeGroup(entries));
    if (!result.ok) return Promise.reject(this.notLeaderError());
    return new Promise<void>((resolve, reject) => {
      this.pending.set(result.index, { term: result.term, resolve, reject });
      this.pump();
    });
  }

  /** The term this node leads as a writable leader, or the error a write on this node gets (25006 / 40001). */
  writableTerm(): number | DuetError {
    return this.isWritableLeader() ? this.node.status().term : this.notLeaderError();
  }

  private notLeaderError(): DuetError {
    const s = this.node.status();
    if (s.role === 'leader') return new DuetError('40001', 'the leader is still catching up after its election', { hint: 'Retry the transaction.' });
    const sql = s.leaderId === 0 ? undefined : this.options.sqlAddressOf(s.leaderId);
    const hint = sql !== undefined ? `connect to the leader at ${sql}` : 'no leader is known right now: retry shortly';
    return new DuetError('25006', `cannot commit a write on node ${this.options.id}: it is not the leader`, { hint });
  }

  private pump(): void {
    if (this.pumping || this.stopped || this.store === undefined) return;
    this.pumping = true;
    void this.drain()
      .catch((e: unknown) => {
        // Persisting or applying failed: this node cannot go on safely (a restart recovers from disk).
        this.failure = e;
        this.stopped = true;
        clearInterval(this.ticker);
        for (const [, p] of this.pending) p.reject(e);
        this.pending.clear();
        console.error(`duet node ${this.options.id}: replication stopped: ${(e as Error).message}`);
      })
      .finally(() => {
        this.pumping = false;
      });
  }

  private async drain(): Promise<void> {
    // Compaction runs between Readies (never while one is outstanding), so it never races the Ready's writes.
    while (!this.stopped) {
      if (this.compactTo > 0) await this.compact();
      else if (this.node.hasReady()) await this.handle(this.node.ready());
      else break;
    }
  }

  private async handle(rd: Ready): Promise<void> {
    // A node handed a snapshot is a follower: settle its old proposals first (their commit group holds the row
    // store's write turn, which the install needs).
    this.noteRole();
    if (rd.snapshot !== undefined) await this.installSnapshot(rd.snapshot);
    if (rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined) {
      // Entries, term and vote must be durable before the messages go out; a commit index alone need not be
      // (a restart learns it again from the leader), which saves the single voter an fsync per commit.
      const hs = rd.hardState;
      const sync = rd.entries.length > 0 || rd.snapshot !== undefined || (hs !== undefined && (hs.term !== this.syncedTerm || hs.vote !== this.syncedVote));
      await this.options.storage.persist({ hardState: hs, entries: rd.entries, snapshot: rd.snapshot }, sync);
      if (hs !== undefined && sync) {
        this.syncedTerm = hs.term;
        this.syncedVote = hs.vote;
      }
    }
    if (rd.snapshot !== undefined) this.appliedRaftIndex = Math.max(this.appliedRaftIndex, rd.snapshot.meta.index);
    this.sendMessages(rd.messages);
    this.noteRole();
    // Others' entries are applied together (one synced row-store batch per Ready), in log order.
    let foreign: LogEntry[] = [];
    let foreignTo = this.appliedRaftIndex;
    const flush = async (): Promise<void> => {
      if (foreign.length > 0) await this.store!.applyCommitted(foreign);
      foreign = [];
      this.appliedRaftIndex = Math.max(this.appliedRaftIndex, foreignTo);
    };
    for (const e of rd.committedEntries) {
      const own = this.pending.get(e.index);
      if (own !== undefined) {
        this.pending.delete(e.index);
        if (own.term === e.term) {
          await flush();
          // Ours: the commit group waiting in the row store writes it (it holds the store's write turn).
          this.appliedRaftIndex = e.index;
          own.resolve();
          continue;
        }
        own.reject(new DuetError('40001', 'the transaction was lost in a leader change', { hint: 'Retry the transaction.' }));
      }
      if (e.type === 'normal' && e.data.length > 0) for (const entry of decodeGroup(e.data)) foreign.push(entry);
      foreignTo = e.index;
    }
    await flush();
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.ctx);
      if (r !== undefined && r.index === undefined) r.index = rs.index;
    }
    this.noteCaughtUp();
    this.settleReads();
    this.node.advance(rd);
    this.maybeCompact();
  }

  /** Snapshot messages become row-store streams (snapshot-sender.ts); the rest go out as they are. */
  private sendMessages(messages: readonly Message[]): void {
    if (!messages.some((m) => m.type === 'snapshot')) return this.options.send(messages);
    const plain: Message[] = [];
    for (const m of messages) {
      if (m.type !== 'snapshot') plain.push(m);
      else if (this.sender !== undefined) this.sender.offer(m);
    }
    this.options.send(plain);
  }

  /**
   * Replaces the row store with the staged image (one synced batch) before the snapshot is recorded in the Raft
   * log and acknowledged. The image may be newer than the snapshot index (the leader exported its current
   * state); entries after the index are then skipped by the row store's applied index, like a replay.
   */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const chunks = this.staged.get(snapshot.meta.index);
    assert(chunks !== undefined, `no staged row-store image for the snapshot at ${snapshot.meta.index}`);
    this.staged.clear();
    const startedMs = Date.now();
    await this.store!.installImage(decodeRecords(chunks));
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    this.log(`installed a snapshot at Raft index ${snapshot.meta.index}: row-store index ${this.store!.stats.appliedIndex}, ${bytes} bytes in ${Date.now() - startedMs} ms`);
  }

  /**
   * Starts a compaction once enough applied entries sit in the log: first every applied write is made durable
   * (the leader writes its own groups without fsync, relying on the log), then `drain` compacts up to the
   * applied index minus the retained tail.
   */
  private maybeCompact(): void {
    const compactEntries = this.options.compactEntries ?? 10_000;
    const retainEntries = this.options.retainEntries ?? 1000;
    const snapshotIndex = this.options.storage.firstIndex() - 1;
    if (this.compacting || this.appliedRaftIndex - snapshotIndex < compactEntries + retainEntries) return;
    this.compacting = true;
    const target = this.appliedRaftIndex - retainEntries;
    // The row store's write turn comes after any own group still being written, so `target` is on disk after it.
    this.store!.syncApplied().then(
      () => {
        this.compactTo = target;
        this.pump();
      },
      (e: unknown) => {
        this.compacting = false;
        this.log(`compaction skipped: ${(e as Error).message}`);
      },
    );
  }

  private async compact(): Promise<void> {
    const to = Math.min(this.compactTo, this.node.status().applied);
    this.compactTo = 0;
    this.compacting = false;
    const from = this.options.storage.firstIndex();
    if (to < from) return; // a snapshot installed meanwhile already covers it
    const startedMs = Date.now();
    await this.options.storage.createSnapshot({ meta: this.node.snapshotMeta(to), data: new Uint8Array(0) });
    this.log(`compacted the Raft log through index ${to} (${to - from + 1} entries, ${Date.now() - startedMs} ms)`);
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => console.error(`duet node ${this.options.id}: ${l}`)))(line);
  }

  private noteCaughtUp(): void {
    const s = this.node.status();
    if (s.role !== 'leader' || s.term !== this.leaderTerm || this.appliedRaftIndex < this.leaderFirstIndex || this.txnIdMinTerm === s.term) return;
    // The next transaction id the store hands out: every transaction begun from now on sees all applied entries.
    const probe = this.store!.begin();
    probe.rollback();
    this.txnIdMin = probe.id + 1;
    this.txnIdMinTerm = s.term;
  }

  /** Tracks our leadership; proposals of a term we no longer lead have an unknown outcome. */
  private noteRole(): void {
    const s = this.node.status();
    if (s.role === 'leader' && s.term !== this.leaderTerm) {
      this.leaderTerm = s.term;
      this.leaderFirstIndex = s.lastIndex; // the no-op appended on election (nothing else is proposed before)
    }
    for (const [index, p] of this.pending) {
      if (p.term !== s.term || s.role !== 'leader') {
        this.pending.delete(index);
        p.reject(unknownOutcome());
      }
    }
  }
}

function readUnconfirmed(): DuetError {
  return new DuetError('40001', 'could not confirm the latest committed state with the leader for a consistent read', {
    hint: 'Retry shortly (a leader election may be in progress).',
  });
}

function unknownOutcome(): DuetError {
  return new DuetError('08007', 'leadership changed while the commit was in flight: it may or may not have committed', {
    hint: 'Check whether the change is there before retrying.',
  });
}

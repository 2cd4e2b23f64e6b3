// The Raft algorithm as a deterministic state machine: messages and ticks in, state changes and messages out.
// No I/O, clock or global randomness here; RaftNode (node.ts) packages the output as a Ready.

import { assert } from './assert.ts';
import { changeConfig, encodeConfig, isQuorum, quorumIndex } from './config.ts';
import { ConfigHistory } from './config-history.ts';
import { RaftLog } from './log.ts';
import { Progress } from './progress.ts';
import type { RandomSource } from './rand.ts';
import { ReadOnlyQueue } from './read-only.ts';
import type { Storage } from './storage.ts';
import {
  NONE,
  type AppendRequest,
  type AppendResponse,
  type ConfChange,
  type Config,
  type Entry,
  type Heartbeat,
  type HeartbeatResponse,
  type InstallSnapshot,
  type Message,
  type NodeId,
  type ProposeResult,
  type ReadState,
  type Role,
  type VoteRequest,
  type VoteResponse,
} from './types.ts';

export interface RaftOptions {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Seeded source for randomized election timeouts (Raft §5.2). */
  readonly random: RandomSource;
  /** A follower campaigns after a random timeout in [electionTicks, 2 * electionTicks). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Pre-vote (dissertation §9.6): a node that cannot win does not bump terms and disrupt the cluster. */
  readonly preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down; voters honour a lease. */
  readonly checkQuorum?: boolean;
  /** Index the state machine has applied (restart); defaults to the snapshot index. */
  readonly applied?: number;
  readonly entriesPerMessageMax?: number;
  readonly inflightMessagesMax?: number;
  /** Proposals beyond this many uncommitted entries are refused (back-pressure). */
  readonly uncommittedEntriesMax?: number;
  readonly pendingReadsMax?: number;
}

/** A message before the sender's id is stamped on it. */
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'from'> : never) : never;

type CampaignKind = 'preVote' | 'election' | 'transfer';

const EMPTY = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  leaderId: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  /** Output waiting for the next Ready. */
  messages: Message[] = [];
  readStates: ReadState[] = [];
  /** Peers' progress; only meaningful while leader (the leader's own match is its last index). */
  readonly progress = new Map<NodeId, Progress>();
  leadTransferee: NodeId = NONE;

  private readonly random: RandomSource;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  private readonly entriesPerMessageMax: number;
  private readonly inflightMessagesMax: number;
  private readonly uncommittedEntriesMax: number;
  private readonly pendingReadsMax: number;

  /** Configuration history of the log: the latest applies at once (dissertation §4.1, config on append). */
  private readonly configs: ConfigHistory;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly votes = new Map<NodeId, boolean>();
  private readonly readOnly: ReadOnlyQueue;
  /** Reads that arrived before an entry of this leader's term committed (dissertation §6.4 step 1). */
  private readsAwaitingCommit: { from: NodeId; ctx: string }[] = [];

  constructor(options: RaftOptions) {
    assert(Number.isInteger(options.id) && options.id > 0, 'node id must be a positive integer');
    this.id = options.id;
    this.random = options.random;
    this.electionTicks = options.electionTicks ?? 10;
    this.heartbeatTicks = options.heartbeatTicks ?? 1;
    assert(this.heartbeatTicks > 0 && this.heartbeatTicks < this.electionTicks, 'need 0 < heartbeatTicks < electionTicks');
    this.preVote = options.preVote ?? true;
    this.checkQuorum = options.checkQuorum ?? true;
    this.entriesPerMessageMax = options.entriesPerMessageMax ?? 64;
    this.inflightMessagesMax = options.inflightMessagesMax ?? 256;
    this.uncommittedEntriesMax = options.uncommittedEntriesMax ?? 10_000;
    this.pendingReadsMax = options.pendingReadsMax ?? 1024;
    this.readOnly = new ReadOnlyQueue(this.pendingReadsMax);

    const storage = options.storage;
    const { hardState, snapshotMeta } = storage.initialState();
    this.log = new RaftLog(storage, options.applied ?? snapshotMeta.index);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.configs = new ConfigHistory(snapshotMeta);
    for (const entry of storage.entries(storage.firstIndex(), storage.lastIndex() + 1)) this.configs.note(entry);
    this.becomeFollower(this.term, NONE);
  }

  // ---- public inputs -------------------------------------------------------------------------------

  get config(): Config {
    return this.configs.latest().config;
  }

  /** Voters can campaign; learners and removed nodes never do. */
  isPromotable(): boolean {
    return this.config.voters.includes(this.id);
  }

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (tests and operators); a no-op for nodes that cannot be elected. */
  campaign(): void {
    if (this.role === 'leader') return;
    this.startCampaign(this.preVote ? 'preVote' : 'election');
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== undefined) return refused;
    const index = this.appendEntries([{ type: 'normal', data }]);
    this.broadcastAppend();
    return { ok: true, index, term: this.term };
  }

  /** One server at a time; refused while another change is uncommitted or before this term has a commit. */
  proposeConfChange(change: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== undefined) return refused;
    // Dissertation §4.1 (and the 2015 correction): no change until an entry of this term is committed,
    // and never two uncommitted changes.
    if (this.configs.latest().index > this.log.committed || this.log.term(this.log.committed) !== this.term) {
      return { ok: false, reason: 'confChangePending', leaderId: this.leaderId };
    }
    const next = changeConfig(this.config, change);
    if (typeof next === 'string') return { ok: false, reason: 'invalidConfChange', leaderId: this.leaderId, detail: next };
    const index = this.appendEntries([{ type: 'config', data: encodeConfig(next) }]);
    this.broadcastAppend();
    return { ok: true, index, term: this.term };
  }

  /**
   * Asks for a linearizable read (Raft §6.4). When confirmed, a ReadState { index, ctx } appears in a Ready.
   * Returns false when the request was dropped (no known leader, or too many pending): retry later.
   */
  readIndex(ctx: string): boolean {
    if (this.role === 'leader') return this.handleReadIndex(this.id, ctx);
    if (this.leaderId === NONE) return false;
    this.send({ type: 'readIndex', to: this.leaderId, term: this.term, ctx });
    return true;
  }

  /** Leader transfer (dissertation §3.10): catch the target up, then tell it to campaign at once. */
  transferLeader(target: NodeId): boolean {
    if (this.role !== 'leader' || target === this.id || !this.config.voters.includes(target)) return false;
    if (this.leadTransferee === target) return true;
    this.leadTransferee = target;
    // The transfer must finish within an election timeout, else it is abandoned.
    this.electionElapsed = 0;
    const progress = this.progress.get(target);
    if (progress !== undefined && progress.match === this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.sendAppend(target);
    return true;
  }

  /** The transport reports whether a snapshot reached `to` (a failure lets the leader retry sooner). */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const progress = this.progress.get(to);
    if (this.role !== 'leader' || progress === undefined || progress.state !== 'snapshot') return;
    if (!ok) progress.pendingSnapshot = 0;
    // Wait for an append response (or the next heartbeat) before sending more.
    progress.becomeProbe();
    progress.probeSent = true;
  }

  step(m: Message): void {
    assert(m.to === this.id, `message for ${m.to} delivered to ${this.id}`);
    if (m.term > this.term) {
      if (m.type === 'preVote' || m.type === 'vote') {
        // Check-quorum lease: a voter that heard from a live leader recently ignores disruptive campaigns.
        const inLease = this.checkQuorum && this.leaderId !== NONE && this.electionElapsed < this.electionTicks;
        if (inLease && !m.transfer) return;
      }
      const keepTerm = m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject);
      if (!keepTerm) {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }
    if (m.type === 'preVote' || m.type === 'vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  /** The configuration in effect at `index` (needed to build a snapshot at that index). */
  configAt(index: number): Config {
    return this.configs.at(index);
  }

  /** Called by RaftNode.advance: drop configuration history the application can no longer ask about. */
  pruneConfigs(): void {
    this.configs.prune(this.log.applied);
  }

  // ---- roles ---------------------------------------------------------------------------------------

  private becomeFollower(term: number, leaderId: NodeId): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.reset();
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  private becomePreCandidate(): void {
    // Pre-vote changes neither term nor vote, so losing it leaves no trace.
    this.role = 'preCandidate';
    this.leaderId = NONE;
    this.votes.clear();
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become candidate');
    this.reset();
    this.term += 1;
    this.vote = this.id;
    this.role = 'candidate';
    this.leaderId = NONE;
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `${this.role} cannot become leader`);
    this.reset();
    this.role = 'leader';
    this.leaderId = this.id;
    for (const id of this.members()) {
      if (id === this.id) continue;
      const progress = this.newProgress(id);
      // Give every peer a full election timeout before check-quorum counts it as silent.
      progress.recentActive = true;
      this.progress.set(id, progress);
    }
    // Raft §5.4.2 / §8: an entry of the new term lets earlier entries commit and enables ReadIndex.
    this.appendEntries([{ type: 'normal', data: EMPTY }]);
  }

  private reset(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + this.random.nextInt(this.electionTicks);
    this.leadTransferee = NONE;
    this.votes.clear();
    this.progress.clear();
    this.readOnly.clear();
    this.readsAwaitingCommit = [];
  }

  // ---- ticks ---------------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.startCampaign(this.preVote ? 'preVote' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed += 1;
    this.electionElapsed += 1;
    for (const progress of this.progress.values()) {
      // A snapshot that was never acknowledged is sent again after an election timeout.
      if (progress.state === 'snapshot' && ++progress.snapshotElapsedTicks >= this.electionTicks) progress.becomeProbe();
    }
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NONE);
        return;
      }
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readOnly.lastKey());
    }
  }

  /** Raft §6.2 check-quorum: did a quorum of voters answer during the last election timeout? */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.config.voters) {
      if (id === this.id) {
        active += 1;
        continue;
      }
      const progress = this.progress.get(id);
      if (progress?.recentActive === true) active += 1;
    }
    for (const progress of this.progress.values()) progress.recentActive = false;
    return isQuorum(this.config.voters, active);
  }

  // ---- elections (Raft §5.2) -----------------------------------------------------------------------

  private startCampaign(kind: CampaignKind): void {
    if (!this.isPromotable()) return;
    let voteTerm: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      this.onElectionWon();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const to of this.config.voters) {
      if (to === this.id) continue;
      this.send({
        type: kind === 'preVote' ? 'preVote' : 'vote',
        to,
        term: voteTerm,
        lastLogIndex,
        lastLogTerm,
        transfer: kind === 'transfer',
      });
    }
  }

  private poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const id of this.config.voters) {
      const v = this.votes.get(id);
      if (v === true) yes += 1;
      else if (v === false) no += 1;
    }
    if (isQuorum(this.config.voters, yes)) return 'won';
    if (isQuorum(this.config.voters, no) || no + yes === this.config.voters.length) return 'lost';
    return 'pending';
  }

  private onElectionWon(): void {
    if (this.role === 'preCandidate') {
      this.startCampaign('election');
    } else {
      this.becomeLeader();
      this.broadcastAppend();
    }
  }

  private handleVoteRequest(m: VoteRequest): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.leaderId === NONE) ||
      (m.type === 'preVote' && m.term > this.term);
    const respType = m.type === 'preVote' ? 'preVoteResp' : 'voteResp';
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      // Raft §5.2: the vote is persisted (hard state in the Ready) before this answer is sent.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  private stepStale(m: Message): void {
    if ((this.checkQuorum || this.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
      // A stale leader (e.g. after a partition) must learn the new term, or with check-quorum or
      // pre-vote the cluster could ignore it forever while it keeps heartbeating.
      this.send({ type: 'appendResp', to: m.from, term: this.term, reject: false, index: 0, hintIndex: 0, hintTerm: 0 });
    } else if (m.type === 'preVote') {
      this.send({ type: 'preVoteResp', to: m.from, term: this.term, reject: true });
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Raft §5.2: a candidate that hears from a leader of its term returns to follower.
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp':
        this.handleVoteResponse(m);
        return;
      default:
        return;
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    if (m.type !== expected) return;
    const outcome = this.poll(m.from, !m.reject);
    if (outcome === 'won') this.onElectionWon();
    else if (outcome === 'lost') this.becomeFollower(this.term, NONE);
  }

  // ---- follower ------------------------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        // Leader transfer: campaign at once, skipping pre-vote, and ask voters to ignore their lease.
        this.startCampaign('transfer');
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, ctx: m.ctx });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: AppendRequest): void {
    const reply = { type: 'appendResp', to: m.from, term: this.term } as const;
    if (m.prevIndex < this.log.committed) {
      // Everything up to our commit index is already settled: tell the leader where we are.
      this.send({ ...reply, reject: false, index: this.log.committed, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      if (this.configs.sync(this.log, m.entries)) this.onConfigChanged();
      this.send({ ...reply, reject: false, index: lastNew, hintIndex: 0, hintTerm: 0 });
      return;
    }
    // Fast backtracking: point the leader past every entry that cannot match in one round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex()), m.prevTerm);
    this.send({ ...reply, reject: true, index: m.prevIndex, hintIndex: hint.index, hintTerm: hint.term });
  }

  private handleHeartbeat(m: Heartbeat): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'heartbeatResp', to: m.from, term: this.term, ctx: m.ctx });
  }

  private handleSnapshot(m: InstallSnapshot): void {
    const meta = m.snapshot.meta;
    const reply = { type: 'appendResp', to: m.from, term: this.term, reject: false, hintIndex: 0, hintTerm: 0 } as const;
    if (meta.index <= this.log.committed) {
      this.send({ ...reply, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already hold the covered entries: just learn that they are committed.
      this.log.commitTo(meta.index);
      this.send({ ...reply, index: this.log.committed });
      return;
    }
    this.log.restore(m.snapshot);
    this.configs.reset(meta);
    this.send({ ...reply, index: meta.index });
  }

  // ---- leader --------------------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appendResp':
        this.handleAppendResponse(m);
        return;
      case 'heartbeatResp':
        this.handleHeartbeatResponse(m);
        return;
      case 'readIndex':
        this.handleReadIndex(m.from, m.ctx);
        return;
      default:
        return;
    }
  }

  private handleAppendResponse(m: AppendResponse): void {
    const progress = this.progress.get(m.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    if (m.reject) {
      const hint = m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index : m.hintIndex;
      if (progress.maybeDecreaseTo(m.index, hint)) {
        if (progress.state === 'replicate') progress.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = progress.isPaused();
    if (!progress.maybeUpdate(m.index)) return;
    if (progress.state === 'probe' || (progress.state === 'snapshot' && progress.match >= progress.pendingSnapshot)) {
      progress.becomeReplicate();
    }
    if (this.maybeCommit()) {
      this.broadcastAppend();
      this.afterCommit();
      if (this.role !== 'leader') return;
    } else if (wasPaused) {
      this.sendAppend(m.from);
    }
    // Stream the rest while the in-flight window allows (bounded by inflightMessagesMax).
    while (progress.match < this.log.lastIndex() && progress.next <= this.log.lastIndex() && this.sendAppend(m.from));
    if (m.from === this.leadTransferee && progress.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const progress = this.progress.get(m.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.onHeartbeatResponse();
    if (progress.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.ctx === '' || !this.config.voters.includes(m.from)) return;
    const acks = this.readOnly.ack(m.ctx, m.from);
    if (acks === undefined) return;
    const self = this.config.voters.includes(this.id) ? 1 : 0;
    if (!isQuorum(this.config.voters, acks.size + self)) return;
    for (const read of this.readOnly.release(m.ctx)) this.answerRead(read.from, read.ctx, read.index);
  }

  private handleReadIndex(from: NodeId, ctx: string): boolean {
    if (this.log.term(this.log.committed) !== this.term) {
      // Until an entry of this term commits, our commit index may be behind the cluster's.
      if (this.readsAwaitingCommit.length >= this.pendingReadsMax) return false;
      this.readsAwaitingCommit.push({ from, ctx });
      return true;
    }
    const voters = this.config.voters;
    if (voters.length === 1 && voters[0] === this.id) {
      this.answerRead(from, ctx, this.log.committed);
      return true;
    }
    const key = this.readOnly.add(from, ctx, this.log.committed);
    if (key === undefined) return false;
    this.broadcastHeartbeat(key);
    return true;
  }

  private answerRead(from: NodeId, ctx: string, index: number): void {
    if (from === this.id) this.readStates.push({ index, ctx });
    else this.send({ type: 'readIndexResp', to: from, term: this.term, ctx, index });
  }

  /** Raft §5.3/§5.4.2: commit the quorum index, but only by counting an entry of the current term. */
  private maybeCommit(): boolean {
    const index = quorumIndex(this.config.voters, (id) =>
      id === this.id ? this.log.lastIndex() : (this.progress.get(id)?.match ?? 0),
    );
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    return this.log.commitTo(index);
  }

  /** Work that waits for a commit in this term: pending reads, and stepping down once removed. */
  private afterCommit(): void {
    if (this.log.term(this.log.committed) === this.term && this.readsAwaitingCommit.length > 0) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const read of waiting) this.handleReadIndex(read.from, read.ctx);
    }
    if (!this.isPromotable() && this.configs.latest().index <= this.log.committed) {
      // Dissertation §4.2.2: a leader removed from the configuration steps down once the removal commits.
      this.becomeFollower(this.term, NONE);
    }
  }

  private refuseProposal(): ProposeResult | undefined {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leaderId: this.leaderId };
    if (this.leadTransferee !== NONE) return { ok: false, reason: 'transferring', leaderId: this.leaderId };
    if (this.log.lastIndex() - this.log.committed >= this.uncommittedEntriesMax) {
      return { ok: false, reason: 'tooManyUncommitted', leaderId: this.leaderId };
    }
    return undefined;
  }

  /** Appends entries of the current term to the leader's log; returns the last index. */
  private appendEntries(items: { type: Entry['type']; data: Uint8Array }[]): number {
    let index = this.log.lastIndex();
    const entries: Entry[] = items.map((item) => ({ term: this.term, index: ++index, type: item.type, data: item.data }));
    this.log.append(entries);
    let configChanged = false;
    for (const entry of entries) configChanged = this.configs.note(entry) || configChanged;
    if (configChanged) this.onConfigChanged();
    // A single voter commits on its own.
    if (this.maybeCommit()) this.afterCommit();
    return index;
  }

  private sendAppend(to: NodeId): boolean {
    const progress = this.progress.get(to);
    if (progress === undefined || progress.isPaused()) return false;
    const prevIndex = progress.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.entries(progress.next, this.log.lastIndex() + 1, this.entriesPerMessageMax);
    if (prevTerm === undefined || entries === undefined) {
      // Raft §7: the follower needs entries we compacted away; send the snapshot instead.
      const snapshot = this.log.snapshot();
      this.send({ type: 'snapshot', to, term: this.term, snapshot });
      progress.becomeSnapshot(snapshot.meta.index);
      return false;
    }
    this.send({ type: 'append', to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed });
    progress.sentEntries(prevIndex + entries.length, entries.length);
    return true;
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) this.sendAppend(id);
  }

  private broadcastHeartbeat(ctx: string): void {
    for (const [to, progress] of this.progress) {
      const commit = Math.min(progress.match, this.log.committed);
      this.send({ type: 'heartbeat', to, term: this.term, commit, ctx });
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to, term: this.term });
  }

  // ---- configuration (dissertation §4.1: a server uses the latest configuration in its log) -------------

  private members(): NodeId[] {
    return [...this.config.voters, ...this.config.learners];
  }

  private newProgress(id: NodeId): Progress {
    return new Progress(this.log.lastIndex() + 1, this.config.learners.includes(id), this.inflightMessagesMax);
  }

  private onConfigChanged(): void {
    if (this.role !== 'leader') return;
    const members = new Set(this.members());
    for (const id of [...this.progress.keys()]) {
      if (!members.has(id)) this.progress.delete(id);
    }
    for (const id of members) {
      if (id === this.id) continue;
      const existing = this.progress.get(id);
      if (existing === undefined) {
        const progress = this.newProgress(id);
        progress.recentActive = true;
        this.progress.set(id, progress);
      } else {
        existing.isLearner = this.config.learners.includes(id);
      }
    }
    if (this.leadTransferee !== NONE && !this.config.voters.includes(this.leadTransferee)) this.leadTransferee = NONE;
  }

  private send(m: Outgoing): void {
    this.messages.push({ ...m, from: this.id } as Message);
  }
}

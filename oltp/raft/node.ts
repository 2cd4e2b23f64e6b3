// RaftNode: the application's handle on the core. Inputs are calls; output is a Ready the application must
// act on in order (persist, send, apply) and then acknowledge with advance(). See README: Ready contract.

import { assert } from './assert.ts';
import { Raft, type RaftOptions } from './raft.ts';
import type { Config, ConfChange, Entry, HardState, Message, NodeId, ProposeResult, ReadState, Role, Snapshot, SnapshotMeta, SoftState } from './types.ts';

/**
 * What the application must do, in this order:
 * 1. persist `hardState`, `entries` (overwriting any conflicting suffix) and `snapshot`, durably (fsync);
 * 2. only then send `messages` (votes and acknowledgements promise what step 1 stored);
 * 3. restore `snapshot` into the state machine, then apply `committedEntries` in order, and serve `readStates`
 *    once the state machine has applied their index;
 * 4. call advance(ready).
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
}

export interface RaftNodeOptions extends RaftOptions {
  /** Bound on committedEntries per Ready, so one Ready never holds an unbounded batch. */
  readonly committedEntriesPerReadyMax?: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly leaderId: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly config: Config;
}

export class RaftNode {
  readonly raft: Raft;
  private readonly committedPerReadyMax: number;
  private prevHard: HardState;
  private prevSoft: SoftState;
  private outstanding: Ready | undefined;

  constructor(options: RaftNodeOptions) {
    this.raft = new Raft(options);
    this.committedPerReadyMax = options.committedEntriesPerReadyMax ?? 1024;
    this.prevHard = this.hardState();
    this.prevSoft = this.softState();
  }

  tick(): void {
    this.raft.tick();
  }

  step(message: Message): void {
    this.raft.step(message);
  }

  campaign(): void {
    this.raft.campaign();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.raft.propose(data);
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(change);
  }

  readIndex(ctx: string): boolean {
    return this.raft.readIndex(ctx);
  }

  transferLeader(target: NodeId): boolean {
    return this.raft.transferLeader(target);
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(to, ok);
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      !sameHard(this.hardState(), this.prevHard) ||
      !sameSoft(this.softState(), this.prevSoft) ||
      r.log.unstableEntries().length > 0 ||
      r.log.unstableSnapshot !== undefined ||
      r.log.hasNextCommitted() ||
      r.messages.length > 0 ||
      r.readStates.length > 0
    );
  }

  /** The next batch of work. Call advance() with it before asking for another. */
  ready(): Ready {
    assert(this.outstanding === undefined, 'ready() called again before advance()');
    const r = this.raft;
    const hard = this.hardState();
    const soft = this.softState();
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? undefined : soft,
      hardState: sameHard(hard, this.prevHard) ? undefined : hard,
      entries: [...r.log.unstableEntries()],
      snapshot: r.log.unstableSnapshot,
      committedEntries: r.log.nextCommitted(this.committedPerReadyMax),
      messages: r.messages,
      readStates: r.readStates,
    };
    r.messages = [];
    r.readStates = [];
    this.prevHard = hard;
    this.prevSoft = soft;
    this.outstanding = rd;
    return rd;
  }

  /** The application has persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    assert(rd === this.outstanding, 'advance() with a Ready that is not the outstanding one');
    this.outstanding = undefined;
    const log = this.raft.log;
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) log.stableTo(last.index, last.term);
    if (rd.snapshot !== undefined) {
      log.stableSnapshotTo(rd.snapshot.meta.index);
      if (rd.snapshot.meta.index > log.applied) log.appliedTo(rd.snapshot.meta.index);
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) log.appliedTo(lastApplied.index);
    this.raft.pruneConfigs();
  }

  /** Metadata for a snapshot of the state machine at `index` (at most applied; usually applied itself). */
  snapshotMeta(index: number): SnapshotMeta {
    const log = this.raft.log;
    assert(index <= log.applied, `snapshot at ${index} beyond applied ${log.applied}`);
    const term = log.term(index);
    assert(term !== undefined, `no term for snapshot index ${index}`);
    return { index, term, config: this.raft.configAt(index) };
  }

  status(): RaftStatus {
    const r = this.raft;
    return {
      id: r.id,
      role: r.role,
      leaderId: r.leaderId,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      config: r.config,
    };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  private softState(): SoftState {
    return { leaderId: this.raft.leaderId, role: this.raft.role };
  }
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leaderId === b.leaderId && a.role === b.role;
}

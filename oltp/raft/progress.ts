// The leader's view of one follower or learner: how much of the log it holds and how to send it more.

import { assert } from './assert.ts';

/**
 * probe: one append in flight until the follower answers (we are searching for where logs agree);
 * replicate: stream appends optimistically, at most inflightMax unacknowledged;
 * snapshot: a snapshot is on its way, send nothing else until it is acknowledged or given up on.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and not yet answered. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent, and ticks since it was sent. */
  pendingSnapshot = 0;
  snapshotElapsedTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  isLearner: boolean;
  /** Last index of each unacknowledged append, oldest first (bounded by inflightMax). */
  private inflight: number[] = [];

  constructor(
    next: number,
    isLearner: boolean,
    private readonly inflightMax: number,
  ) {
    assert(inflightMax > 0, 'inflightMax must be positive');
    this.next = next;
    this.isLearner = isLearner;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= this.inflightMax;
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot's index.
    const from = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.reset('probe');
    this.next = from;
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotElapsedTicks = 0;
    this.inflight = [];
  }

  /** An append carrying entries through lastIndex was sent. */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** The follower acknowledged holding the log through `index`. False when the answer is stale. */
  maybeUpdate(index: number): boolean {
    this.probeSent = false;
    // Acknowledged appends are no longer in flight.
    while (this.inflight.length > 0 && this.inflight[0]! <= index) this.inflight.shift();
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    return true;
  }

  /**
   * The follower rejected an append at `rejected`; `hint` is the highest index that may still match.
   * False when the rejection is stale (answers an append we no longer care about).
   */
  maybeDecreaseTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** A heartbeat answer proves the follower is alive: let one more append out. */
  onHeartbeatResponse(): void {
    this.probeSent = false;
    if (this.state === 'replicate' && this.inflight.length >= this.inflightMax) this.inflight.shift();
  }
}

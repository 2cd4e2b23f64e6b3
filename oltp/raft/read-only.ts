// ReadIndex bookkeeping at the leader (Raft §6.4): reads wait for a heartbeat round that a quorum acknowledges.

import { assert } from './assert.ts';
import type { NodeId } from './types.ts';

export interface PendingRead {
  /** Who asked (the leader itself or a follower that forwarded the read) and its context. */
  readonly from: NodeId;
  readonly ctx: string;
  /** The commit index when the read arrived: the read may be served once that index is applied. */
  readonly index: number;
  readonly acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  /** Keyed by a leader-unique key (requester and ctx), in arrival order (Map keeps insertion order). */
  private readonly pending = new Map<string, PendingRead>();

  constructor(private readonly pendingMax: number) {
    assert(pendingMax > 0, 'pendingMax must be positive');
  }

  get size(): number {
    return this.pending.size;
  }

  /** Returns the key to send with the heartbeat round, or undefined when the queue is full. */
  add(from: NodeId, ctx: string, index: number): string | undefined {
    const key = `${from}:${ctx}`;
    if (this.pending.has(key)) return key;
    if (this.pending.size >= this.pendingMax) return undefined;
    this.pending.set(key, { from, ctx, index, acks: new Set() });
    return key;
  }

  /** Records an acknowledgement; returns the acks for that round (undefined if unknown or already served). */
  ack(key: string, from: NodeId): ReadonlySet<NodeId> | undefined {
    const read = this.pending.get(key);
    if (read === undefined) return undefined;
    read.acks.add(from);
    return read.acks;
  }

  /** A quorum confirmed round `key`: it and every read queued before it are safe (leadership held since). */
  release(key: string): PendingRead[] {
    if (!this.pending.has(key)) return [];
    const out: PendingRead[] = [];
    for (const [k, read] of this.pending) {
      out.push(read);
      this.pending.delete(k);
      if (k === key) break;
    }
    return out;
  }

  lastKey(): string {
    let last = '';
    for (const k of this.pending.keys()) last = k;
    return last;
  }

  clear(): void {
    this.pending.clear();
  }
}

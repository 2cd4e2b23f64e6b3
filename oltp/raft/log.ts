// The log as the core sees it: stable entries in Storage plus the unstable tail (and snapshot) not yet persisted.

import { assert } from './assert.ts';
import type { Storage } from './storage.ts';
import type { Entry, Snapshot } from './types.ts';

export class RaftLog {
  /** Highest index known committed / handed to the application. applied <= committed always. */
  committed: number;
  applied: number;
  /** Snapshot received from the leader and not yet persisted (handed out in the next Ready). */
  unstableSnapshot: Snapshot | undefined;
  /** Entries not yet persisted; unstable[i] has index unstableOffset + i. */
  private unstable: Entry[] = [];
  private unstableOffset: number;

  constructor(
    readonly storage: Storage,
    applied: number,
  ) {
    const { hardState, snapshotMeta } = storage.initialState();
    this.unstableOffset = storage.lastIndex() + 1;
    this.committed = Math.max(hardState.commit, snapshotMeta.index);
    // A restarted node resumes from what the state machine says it applied (never below the snapshot).
    this.applied = Math.max(applied, snapshotMeta.index);
    assert(this.applied <= this.committed, `applied ${applied} beyond commit ${this.committed}`);
  }

  firstIndex(): number {
    if (this.unstableSnapshot !== undefined) return this.unstableSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.unstableSnapshot !== undefined) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** The term of `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    const snap = this.unstableSnapshot;
    if (snap !== undefined && index === snap.meta.index) return snap.meta.term;
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    if (index >= this.unstableOffset) return this.unstable[index - this.unstableOffset]?.term;
    return this.storage.term(index);
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, 'last entry has no term');
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi), at most maxCount; undefined when lo is compacted (a snapshot is needed). */
  entries(lo: number, hi: number, maxCount = Number.MAX_SAFE_INTEGER): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    hi = Math.min(hi, this.lastIndex() + 1, lo + maxCount);
    if (lo >= hi) return [];
    const out: Entry[] = [];
    if (lo < this.unstableOffset) {
      out.push(...this.storage.entries(lo, Math.min(hi, this.unstableOffset)));
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      out.push(...this.unstable.slice(from, hi - this.unstableOffset));
    }
    return out;
  }

  /** Appends entries, truncating any conflicting suffix. Returns the new last index. */
  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index > this.committed, `overwriting committed entry ${first.index} (commit ${this.committed})`);
    assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    const end = this.unstableOffset + this.unstable.length;
    if (first.index === end) {
      this.unstable.push(...entries);
    } else if (first.index <= this.unstableOffset) {
      // Replaces part of the stable log: the application's storage truncates when it persists these.
      this.unstableOffset = first.index;
      this.unstable = [...entries];
    } else {
      this.unstable = this.unstable.slice(0, first.index - this.unstableOffset);
      this.unstable.push(...entries);
    }
    return this.lastIndex();
  }

  /**
   * Raft §5.3 consistency check and append. Returns the index of the last new entry, or undefined when
   * our log has no entry (prevIndex, prevTerm).
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== undefined) {
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** The first entry that is new or disagrees with ours (by term), undefined when we already hold them all. */
  private findConflict(entries: readonly Entry[]): number | undefined {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return undefined;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term` (terms never decrease along
   * the log, so every entry after it has a larger term and cannot match). Stops at a compacted index.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = Math.min(index, this.lastIndex()); ; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  appliedTo(index: number): void {
    assert(index <= this.committed && index >= this.applied, `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  /** Committed entries not yet handed to the application, at most maxCount. */
  nextCommitted(maxCount: number): Entry[] {
    // A pending snapshot must be applied first; it covers everything up to its index.
    if (!this.hasNextCommitted()) return [];
    const entries = this.entries(this.applied + 1, this.committed + 1, maxCount);
    assert(entries !== undefined, `committed entries after ${this.applied} are compacted`);
    return entries;
  }

  hasNextCommitted(): boolean {
    return this.unstableSnapshot === undefined && this.committed > this.applied;
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable;
  }

  /** The application persisted entries through (index, term): they leave the unstable tail. */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset) return;
    const entry = this.unstable[index - this.unstableOffset];
    // A newer append may have replaced what was persisted; then the tail is still unstable.
    if (entry === undefined || entry.term !== term) return;
    this.unstable = this.unstable.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.unstableSnapshot?.meta.index === index) this.unstableSnapshot = undefined;
  }

  /** Replaces the whole log with a snapshot from the leader (Raft §7). */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.meta.index;
    this.unstableSnapshot = snapshot;
    this.unstable = [];
    this.unstableOffset = snapshot.meta.index + 1;
  }

  /** The latest snapshot: a received one not yet persisted, else storage's. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
}

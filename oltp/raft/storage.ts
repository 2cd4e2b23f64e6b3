// The Raft log and hard state as the core reads them, plus the in-memory implementation the simulator uses.
// The core only reads storage; the application writes it while handling a Ready (see README: Ready contract).

import { assert } from './assert.ts';
import { EMPTY_CONFIG } from './config.ts';
import type { Config, Entry, HardState, Snapshot, SnapshotMeta } from './types.ts';

export interface InitialState {
  readonly hardState: HardState;
  readonly snapshotMeta: SnapshotMeta;
}

/**
 * Synchronous reads of what is already on stable storage. Entries [firstIndex, lastIndex] are present;
 * term() also answers for firstIndex - 1 (the snapshot's last index). Outside that range term() is undefined.
 */
export interface Storage {
  initialState(): InitialState;
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number | undefined;
  /** Entries [lo, hi) with firstIndex <= lo <= hi <= lastIndex + 1, at most maxCount of them. */
  entries(lo: number, hi: number, maxCount?: number): Entry[];
  snapshot(): Snapshot;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: 0, commit: 0 });

/** Storage for a fresh member of a new cluster: an empty log whose index-0 "snapshot" holds the initial config. */
export function bootstrapSnapshot(config: Config = EMPTY_CONFIG): Snapshot {
  return { meta: { index: 0, term: 0, config }, data: new Uint8Array(0) };
}

export class MemoryStorage implements Storage {
  private hard: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** entries[i] has index snap.meta.index + 1 + i. */
  private log: Entry[] = [];

  constructor(initial: Snapshot = bootstrapSnapshot()) {
    this.snap = initial;
  }

  initialState(): InitialState {
    return { hardState: this.hard, snapshotMeta: this.snap.meta };
  }

  firstIndex(): number {
    return this.snap.meta.index + 1;
  }

  lastIndex(): number {
    return this.snap.meta.index + this.log.length;
  }

  term(index: number): number | undefined {
    const offset = this.snap.meta.index;
    if (index === offset) return this.snap.meta.term;
    if (index < offset || index > this.lastIndex()) return undefined;
    return this.log[index - offset - 1]?.term;
  }

  entries(lo: number, hi: number, maxCount = Number.MAX_SAFE_INTEGER): Entry[] {
    assert(lo >= this.firstIndex() && hi <= this.lastIndex() + 1 && lo <= hi, `entries [${lo}, ${hi}) out of range`);
    const offset = this.snap.meta.index + 1;
    return this.log.slice(lo - offset, Math.min(hi, lo + maxCount) - offset);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  setHardState(hardState: HardState): void {
    this.hard = hardState;
  }

  /** Appends entries, first discarding any stored suffix they overwrite (a conflicting tail). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    const offset = this.snap.meta.index + 1;
    // Entries already covered by the snapshot are committed and identical: skip them.
    const skip = Math.max(0, offset - first.index);
    const keep = first.index + skip - offset;
    this.log.length = keep;
    for (let i = skip; i < entries.length; i++) this.log.push(entries[i]!);
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void {
    assert(snapshot.meta.index >= this.snap.meta.index, 'snapshot older than the stored one');
    this.snap = snapshot;
    this.log = [];
  }

  /**
   * Records a snapshot of the application's state at `meta.index` (<= applied) and discards the log up to it.
   * Keeps the entries after it, so followers that are close behind still get entries rather than a snapshot.
   */
  createSnapshot(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    if (index <= this.snap.meta.index) return;
    assert(index <= this.lastIndex(), `snapshot at ${index} beyond last index ${this.lastIndex()}`);
    assert(this.term(index) === snapshot.meta.term, 'snapshot term does not match the log');
    this.log = this.log.slice(index - this.snap.meta.index);
    this.snap = snapshot;
  }
}

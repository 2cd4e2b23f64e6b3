// The configurations recorded in a node's log (dissertation §4.1: a server uses the latest one, committed
// or not), so an overwritten config entry falls back to the one before it and snapshots know their config.

import { assert } from './assert.ts';
import { decodeConfig } from './config.ts';
import type { RaftLog } from './log.ts';
import type { Config, Entry, SnapshotMeta } from './types.ts';

export interface ConfigAt {
  readonly index: number;
  readonly term: number;
  readonly config: Config;
}

/** How many applied configurations to keep for snapshotMeta() at an index below the latest. */
const APPLIED_CONFIGS_KEPT = 16;

export class ConfigHistory {
  private configs: ConfigAt[];

  constructor(base: SnapshotMeta) {
    this.configs = [{ index: base.index, term: base.term, config: base.config }];
  }

  latest(): ConfigAt {
    const last = this.configs[this.configs.length - 1];
    assert(last !== undefined, 'configuration history is empty');
    return last;
  }

  /** The configuration in effect at `index`. */
  at(index: number): Config {
    let found: ConfigAt | undefined;
    for (const c of this.configs) if (c.index <= index) found = c;
    assert(found !== undefined, `configuration at ${index} is no longer known`);
    return found.config;
  }

  /** Starts over from a snapshot (the log before it is gone). */
  reset(base: SnapshotMeta): void {
    this.configs = [{ index: base.index, term: base.term, config: base.config }];
  }

  /** Records a config entry just appended; true when it became the latest. */
  note(entry: Entry): boolean {
    if (entry.type !== 'config' || entry.index <= this.latest().index) return false;
    this.configs.push({ index: entry.index, term: entry.term, config: decodeConfig(entry.data) });
    return true;
  }

  /**
   * After entries were appended (possibly overwriting a suffix): forget configs whose entries the log no
   * longer holds, then record the new ones. Judged by the log, not by the commit index: one append can
   * overwrite an entry and advance the commit index past it (found by the simulator, seed 1536).
   * Returns true when the latest configuration changed.
   */
  sync(log: RaftLog, appended: readonly Entry[]): boolean {
    const before = this.latest();
    this.configs = this.configs.filter((c) => {
      const term = log.term(c.index);
      // Compacted away means committed, which never changes.
      return term === c.term || (term === undefined && c.index < log.firstIndex());
    });
    for (const entry of appended) this.note(entry);
    return this.latest() !== before;
  }

  /** Drops history the application can no longer ask about (older than the kept applied configs). */
  prune(applied: number): void {
    let lastApplied = 0;
    this.configs.forEach((c, i) => {
      if (c.index <= applied) lastApplied = i;
    });
    if (lastApplied > APPLIED_CONFIGS_KEPT) this.configs = this.configs.slice(lastApplied - APPLIED_CONFIGS_KEPT);
  }
}

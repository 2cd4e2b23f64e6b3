// Registered CDC cursors: named consumers and the next log index each needs, persisted in
// `<db dir>/cdc/cursors.json` (temp + rename) so that log retention holds for them across restarts.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowStore } from '../oltp/rowstore.ts';
import { assert } from '../oltp/errors.ts';

export interface CursorRegistryOptions {
  /**
   * Most log entries a registered cursor may hold back below the applied index. A consumer further behind
   * loses its resume point (it gets the "resume point compacted" error and starts from a snapshot),
   * so one stalled consumer cannot grow the log without bound. Default 1,000,000.
   */
  retainEntriesMax?: number;
}

export class CursorRegistry {
  private readonly cursors = new Map<string, number>();
  private readonly file: string;

  private constructor(private readonly store: RowStore, private readonly retainEntriesMax: number) {
    this.file = join(store.dir, 'cdc', 'cursors.json');
  }

  /** Loads the registry of `store` and installs its log hold (one registry per open store). */
  static open(store: RowStore, options: CursorRegistryOptions = {}): CursorRegistry {
    const r = new CursorRegistry(store, options.retainEntriesMax ?? 1_000_000);
    try {
      const saved = JSON.parse(readFileSync(r.file, 'utf8')) as Record<string, number>;
      for (const [name, index] of Object.entries(saved)) if (Number.isSafeInteger(index)) r.cursors.set(name, index);
    } catch {
      // no registry yet (or an unreadable one: cursors are a retention hint, the consumer holds its own index)
    }
    store.logHold = () => r.holdIndex();
    return r;
  }

  /** The lowest index GC must keep: the slowest cursor, but no further back than retainEntriesMax. */
  holdIndex(): number | undefined {
    if (this.cursors.size === 0) return undefined;
    let min = Infinity;
    for (const v of this.cursors.values()) min = Math.min(min, v);
    return Math.max(min, this.store.stats.appliedIndex - this.retainEntriesMax);
  }

  get(name: string): number | undefined {
    return this.cursors.get(name);
  }

  /** Records that consumer `name` needs entries from `nextIndex` on. */
  set(name: string, nextIndex: number): void {
    assert(Number.isSafeInteger(nextIndex) && nextIndex >= 1, 'cursor index out of range');
    if (this.cursors.get(name) === nextIndex) return;
    this.cursors.set(name, nextIndex);
    this.save();
  }

  remove(name: string): void {
    if (this.cursors.delete(name)) this.save();
  }

  private save(): void {
    mkdirSync(join(this.store.dir, 'cdc'), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.cursors)));
    renameSync(tmp, this.file);
  }
}

// The change stream: an async iterator of ChangeEvents from a log index on, in commit order, each entry
// exactly once; optionally following new commits, optionally holding a named cursor for log retention.
import type { RowStore } from '../oltp/rowstore.ts';
import { decodeLogEntry } from '../oltp/commitlog.ts';
import { assert } from '../oltp/errors.ts';
import { toChangeEvent, type ChangeEvent } from './events.ts';
import { firstLogIndex, readLogRange, compactedError } from './log.ts';
import { SchemaTracker } from './schema.ts';
import type { CursorRegistry } from './cursors.ts';

export interface ChangesOptions {
  /** First log index to deliver (default: the stored cursor of `name`, else 1). */
  from?: number;
  /** Keep waiting for new commits once caught up (default false: end at the applied index seen last). */
  follow?: boolean;
  /** A registered cursor: GC keeps the log from the next undelivered index on, across restarts. */
  name?: string;
  signal?: AbortSignal;
}

export interface ChangeSource {
  readonly store: RowStore;
  readonly cursors?: CursorRegistry;
}

export async function* changes(src: ChangeSource, options: ChangesOptions = {}): AsyncGenerator<ChangeEvent> {
  const { store, cursors } = src;
  assert(options.name === undefined || cursors !== undefined, 'a named cursor needs a cursor registry');
  let next = options.from ?? (options.name !== undefined ? cursors?.get(options.name) : undefined) ?? 1;
  if (!Number.isSafeInteger(next) || next < 1) throw new RangeError(`change stream start index must be a positive integer, got ${next}`);
  if (options.name !== undefined) cursors!.set(options.name, next);
  const schema = await schemaBefore(store, next);
  let wake: (() => void) | undefined;
  const unsubscribe = store.onCommit(() => wake?.());
  const onAbort = (): void => wake?.();
  options.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      const applied = store.stats.appliedIndex;
      if (next <= applied) {
        for (const bytes of await readLogRange(store, next, applied)) {
          const event = toChangeEvent(decodeLogEntry(bytes), schema);
          assert(event.index === next, 'log entries out of order');
          // Counted as delivered once handed out: a consumer that stops after it (break, return) resumes after it.
          next = event.index + 1;
          yield event;
        }
        if (options.name !== undefined) cursors!.set(options.name, next);
        continue;
      }
      if (!options.follow) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (store.stats.appliedIndex >= next || options.signal?.aborted) resolve();
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener('abort', onAbort);
    if (options.name !== undefined) cursors!.set(options.name, next);
  }
}

/** The schema just before entry `index`: the catalog as of the previous entry's commit timestamp. */
async function schemaBefore(store: RowStore, index: number): Promise<SchemaTracker> {
  if (index === 1) return new SchemaTracker();
  const applied = store.stats.appliedIndex;
  if (index > applied) return SchemaTracker.fromCatalog(store.catalog, store.stats.appliedTs);
  const first = await firstLogIndex(store);
  if (index < first) throw compactedError(index, first);
  const [bytes] = await readLogRange(store, index, index, 1);
  assert(bytes !== undefined, 'log entry vanished');
  // Commit timestamps strictly increase with the index, so "before entry i" is commitTs(i) - 1.
  return SchemaTracker.fromCatalog(store.catalog, decodeLogEntry(bytes).commitTs - 1);
}

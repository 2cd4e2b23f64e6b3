// Public entry of cdc/: the change stream of one row store (one cursor registry per open store).
import type { RowStore } from '../oltp/rowstore.ts';
import { CursorRegistry } from './cursors.ts';
import { changes, type ChangeSource, type ChangesOptions } from './stream.ts';
import type { ChangeEvent } from './events.ts';

export type { ChangeEvent, RowChange } from './events.ts';
export type { SchemaChange } from './schema.ts';
export type { ChangesOptions } from './stream.ts';
export { RESUME_POINT_COMPACTED } from './log.ts';

const sources = new WeakMap<RowStore, ChangeSource>();

/** The change source of a store, creating its cursor registry on first use. */
export function changeSource(store: RowStore): ChangeSource {
  let src = sources.get(store);
  if (!src) {
    src = { store, cursors: CursorRegistry.open(store) };
    sources.set(store, src);
  }
  return src;
}

/** `db.changes()`: committed changes in commit order from `options.from` (see cdc/README.md). */
export function storeChanges(store: RowStore, options: ChangesOptions = {}): AsyncGenerator<ChangeEvent> {
  return changes(changeSource(store), options);
}

// A consistent snapshot of the row store, sent to a learner as messages (rebuild after damage, or when
// the log was compacted past the learner's applied index). Rows go in bounded chunks.
import type { RowStore } from '../../oltp/rowstore.ts';
import { keyTypes, serializeCatalogValue } from '../../oltp/catalog.ts';
import { encodeKey } from '../../oltp/keycodec.ts';
import { SchemaTracker } from '../../cdc/schema.ts';
import type { ToLearner } from './messages.ts';

const SNAPSHOT_CHUNK_ROWS = 1024;

/** Sends the snapshot; returns the log index it corresponds to (the learner continues after it). */
export async function snapshotMessages(store: RowStore, post: (m: ToLearner) => void): Promise<number> {
  // begin() and the stats are read in the same synchronous step, so readTs and the index agree.
  const txn = store.begin({ isolation: 'snapshot' });
  const index = store.stats.appliedIndex;
  const ts = txn.readTs;
  try {
    const defs = SchemaTracker.fromCatalog(store.catalog, ts).tables();
    post({ kind: 'snapshotBegin', index, ts, defs: defs.map((def) => serializeCatalogValue({ kind: 'table', def })) });
    for (const def of defs) {
      const types = keyTypes(def);
      for await (const batch of txn.scan(def, { withRowId: def.hiddenRowId, batchRows: SNAPSHOT_CHUNK_ROWS })) {
        const keys = batch.map((row) => encodeKey(store.primaryKeyOf(def, row), types));
        const rows = batch.map((row) => row.slice(0, def.columns.length));
        post({ kind: 'snapshotRows', tableId: def.id, keys, rows });
      }
    }
    post({ kind: 'snapshotEnd' });
    return index;
  } finally {
    txn.rollback();
  }
}

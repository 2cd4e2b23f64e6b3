// The column path's ScanSource: ExecContext.scan over the learner. One consistent (or bounded-staleness)
// read timestamp per query; the node's columns are resolved by name on the learner and the node's filter
// prunes blocks by zone map (the executor still applies the filter to the rows it gets).
import type { Batch, ScanNode } from '../exec/spec.ts';
import type { LearnerReadInfo, LearnerReplica } from './client.ts';

export interface LearnerScanOptions {
  readonly mode?: 'consistent' | 'bounded';
  /** Counters summed over the query's scans (EXPLAIN ANALYZE, tests). */
  readonly counters?: { blocksScanned: number; blocksPruned: number; staleEntries: number };
}

/**
 * Returns an ExecContext.scan for one query. The first scan fixes the read timestamp, so every table the
 * query reads is seen at the same point (a consistent read waits for the leader's commit index once).
 */
export function learnerScanSource(replica: LearnerReplica, options: LearnerScanOptions = {}): (node: ScanNode) => AsyncIterable<Batch> {
  let ts: number | undefined;
  return (node) => ({
    async *[Symbol.asyncIterator]() {
      let last: LearnerReadInfo | undefined;
      const stream = replica.readStream(node.table, {
        mode: ts === undefined ? options.mode ?? 'consistent' : 'bounded',
        ...(ts !== undefined ? { ts } : {}),
        columnNames: node.columns.map((c) => c.name),
        ...(node.filter ? { filter: node.filter } : {}),
      }, (info) => {
        ts ??= info.ts;
        last = info;
      });
      try {
        yield* stream;
      } finally {
        if (options.counters && last) {
          options.counters.blocksScanned += last.blocksScanned;
          options.counters.blocksPruned += last.blocksPruned;
          options.counters.staleEntries = Math.max(options.counters.staleEntries, last.staleEntries);
        }
      }
    },
  });
}

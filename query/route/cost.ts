// Cost estimates of one executor plan on the row path and on the column path, in abstract units of
// "one row read from the row store". Only the scans differ between the paths (the same operators run
// above them), so only scans are costed; per-row constants are rough measurements on this machine.
import type { PlanNode, ScanNode } from '../../olap/exec/spec.ts';

/** Reading one row from LevelDB and turning it into a batch row. */
export const ROW_READ_COST = 1;
/** One secondary-index entry plus the row it points to. */
export const INDEX_READ_COST = 1.5;
/** One row of one column store block handed over by the learner (columnar, many columns at once). */
export const COLUMN_ROW_COST = 0.05;
/** Per column-path scan: a request to the learner thread and its first chunk. */
export const COLUMN_SCAN_COST = 50;
/** Per column-path query: waiting for the learner to apply the leader's commit index. */
export const COLUMN_QUERY_COST = 200;
/**
 * Per log entry the learner has yet to apply before a consistent read can start (its last status's lag): applying
 * one entry costs the learner a few µs, about what reading a couple of rows from the row store costs here.
 */
export const COLUMN_LAG_ENTRY_COST = 2;
/** Fraction of a table a key range (not a point) is assumed to select, without histograms. */
export const RANGE_FRACTION = 0.05;
/** A probed range that reached the probe's cap is assumed to select this fraction of the table. */
export const LONG_RANGE_FRACTION = 0.25;
/** Rows the router's probe reads at most per key range (router.ts). */
export const PROBE_CAP_ROWS = 2048;
/** Rows per learner stable block: a key-range scan on the primary key still reads a whole block. */
const LEARNER_BLOCK_ROWS = 2048;

export interface RowAccessShape { index: string | null; point: boolean; full?: boolean }

export interface PathCosts { readonly row: number; readonly column: number; readonly scans: number }

/**
 * `rowsOf(table)` is the estimated row count (unknown tables count as 1000 rows); `rangeRows` holds the rows
 * of key-range scans counted by a bounded probe (router.ts), used instead of RANGE_FRACTION.
 */
export function estimateCosts(root: PlanNode, rowsOf: (table: string) => number | undefined, rangeRows?: ReadonlyMap<ScanNode, number>): PathCosts {
  let row = 0;
  let column = COLUMN_QUERY_COST;
  let scans = 0;
  for (const scan of scansOf(root)) {
    scans++;
    const n = Math.max(1, rowsOf(scan.table) ?? 1000);
    const a = scan.access as RowAccessShape | undefined;
    if (!a || a.full) {
      row += n * ROW_READ_COST;
      column += COLUMN_SCAN_COST + n * COLUMN_ROW_COST;
    } else {
      const probed = rangeRows?.get(scan);
      const selected = a.point ? 1 : probed === undefined ? Math.max(1, n * RANGE_FRACTION) : probed >= PROBE_CAP_ROWS ? Math.max(probed, n * LONG_RANGE_FRACTION) : Math.max(1, probed);
      row += selected * (a.index === null ? ROW_READ_COST : INDEX_READ_COST);
      // stable blocks are sorted by primary key: zone maps cut a key range down to its blocks
      const read = a.index === null ? Math.min(n, selected + LEARNER_BLOCK_ROWS) : n;
      column += COLUMN_SCAN_COST + read * COLUMN_ROW_COST;
    }
  }
  if (scans === 0) column = Infinity; // nothing to read: no reason to involve the learner
  return { row, column, scans };
}

/**
 * The least the column path can cost for a plan with `scans` scans, whatever the learner's row counts and lag:
 * a row cost below it decides the row path without asking the learner anything (router.ts, quick.ts).
 */
export function columnCostFloor(scans: number): number {
  return scans === 0 ? Infinity : COLUMN_QUERY_COST + scans * COLUMN_SCAN_COST;
}

/** What a learner `lagEntries` behind adds to the column path's cost. */
export function lagCost(lagEntries: number): number {
  return Math.max(0, lagEntries) * COLUMN_LAG_ENTRY_COST;
}

export function scansOf(root: PlanNode): ScanNode[] {
  const out: ScanNode[] = [];
  const visit = (n: PlanNode): void => {
    switch (n.kind) {
      case 'scan': out.push(n); return;
      case 'values': return;
      case 'hashJoin': case 'nestedLoopJoin': case 'setOp': visit(n.left); visit(n.right); return;
      default: visit(n.input);
    }
  };
  visit(root);
  return out;
}

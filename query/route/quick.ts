// The row path decided from the plan and the row store alone: points, short key ranges and tiny tables cost less
// on rows than the column path's fixed costs, so the learner (its status, its lag) need not be asked at all.
import type { Txn } from '../../oltp/api.ts';
import type { Value } from '../../oltp/types.ts';
import type { Batch, ScanNode } from '../../olap/exec/spec.ts';
import { rowScanSource } from '../run/scan.ts';
import { columnCostFloor, INDEX_READ_COST, PROBE_CAP_ROWS, ROW_READ_COST, type RowAccessShape } from './cost.ts';

export interface QuickRow {
  /** The row path's estimate, as estimateCosts would give it with the same row counts. */
  readonly rowCost: number;
  /** True when a whole table's rows came from `rowsOf` (the learner's last known counts, which may be stale). */
  readonly usedCounts: boolean;
}

/**
 * The row path's cost when it is below the column path's least cost (columnCostFloor), else undefined (the
 * learner's estimate decides). Points cost 1 read; a whole table costs its rows from `rowsOf` (the learner's last
 * known counts) or, unknown, counted on the row store up to the rows the floor allows; a key range is counted on
 * the row store up to PROBE_CAP_ROWS, as the estimates count it, and its count goes into `rangeRows` for them.
 */
export async function rowCostBelowColumn(scans: readonly ScanNode[], txn: Txn, params: readonly Value[], rowsOf: (table: string) => number | undefined, rangeRows: Map<ScanNode, number>): Promise<QuickRow | undefined> {
  const floor = columnCostFloor(scans.length);
  let row = 0;
  let usedCounts = false;
  let source: ((node: ScanNode) => AsyncIterable<Batch>) | undefined;
  for (const scan of scans) {
    const a = scan.access as RowAccessShape | undefined;
    const whole = !a || a.full === true;
    const perRow = whole || a.index === null ? ROW_READ_COST : INDEX_READ_COST;
    const known = whole ? rowsOf(scan.table) : a.point ? 1 : undefined;
    if (known !== undefined) {
      usedCounts ||= whole;
      row += Math.max(1, known) * perRow;
    } else {
      const capRows = whole ? Math.ceil((floor - row) / perRow) : PROBE_CAP_ROWS;
      source ??= rowScanSource(txn, params);
      const n = await countRows(source(scan), capRows);
      if (!whole) rangeRows.set(scan, n);
      if (n >= capRows) return undefined;
      row += Math.max(1, n) * perRow;
    }
    if (row >= floor) return undefined;
  }
  return { rowCost: row, usedCounts };
}

/** Rows of a scan, counting stops at `capRows`. */
export async function countRows(batches: AsyncIterable<Batch>, capRows: number): Promise<number> {
  let n = 0;
  for await (const batch of batches) {
    n += batch.length;
    if (n >= capRows) break;
  }
  return n;
}

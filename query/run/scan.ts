// The row path's scan source: turns a spec ScanNode into batches read from the row store through the
// statement's transaction (full scan, primary-key range/point, or secondary-index range).

import type { KeyRange, ScanOptions, TableDef, Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Row, Value } from '../../oltp/types.ts';
import { rowsToBatch } from '../../olap/exec/batch.ts';
import type { Batch, Expr as SpecExpr, ScanNode } from '../../olap/exec/spec.ts';

/** What lower.ts puts in ScanNode.access for the row path. */
export interface RowAccess {
  readonly index: string | null;
  readonly range: KeyRange;
  readonly lowerExprs?: readonly SpecExpr[];
  readonly upperExprs?: readonly SpecExpr[];
  readonly point: boolean;
  readonly withRowId?: boolean;
  /** No key range: read the whole table (the access only carries `columns`/`withRowId`). */
  readonly full?: boolean;
  /** Table column ordinals to produce, in order (column pruning); absent = every column. */
  readonly columns?: readonly number[];
}

export const SCAN_BATCH_ROWS = 1024;

export function rowScanSource(txn: Txn, params: readonly Value[]): (node: ScanNode) => AsyncIterable<Batch> {
  return (node) => scanRows(txn, node, params);
}

async function* scanRows(txn: Txn, node: ScanNode, params: readonly Value[]): AsyncIterable<Batch> {
  const table = txn.getTable(node.table);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${node.table}" does not exist`);
  const types = node.columns.map((c) => c.type);
  const access = node.access as RowAccess | undefined;
  const pick = access?.columns;
  const shape = (rows: Row[]): Row[] => (pick ? rows.map((r) => pick.map((i) => r[i] ?? null)) : rows.map((r) => fit(r, types.length)));
  if (access?.full) {
    for await (const rows of txn.scan(table, { batchRows: SCAN_BATCH_ROWS, ...(access.withRowId ? { withRowId: true } : {}) })) {
      if (rows.length > 0) yield rowsToBatch(access.withRowId ? rows.map((r) => fit(r, types.length)) : shape(rows), types);
    }
    return;
  }
  if (access) {
    const range: KeyRange = {
      ...access.range,
      ...(access.lowerExprs ? { lower: access.lowerExprs.map((e) => evalConst(e, params)) } : {}),
      ...(access.upperExprs ? { upper: access.upperExprs.map((e) => evalConst(e, params)) } : {}),
    };
    if ([...(range.lower ?? []), ...(range.upper ?? [])].some((v) => v === null)) return; // NULL never matches a key
    if (access.point && access.index === null && !access.withRowId && range.lower && range.lower.length === table.primaryKey.length) {
      const row = txn.get(table, range.lower);
      if (row) yield rowsToBatch(shape([row]), types);
      return;
    }
    const options: ScanOptions = { ...range, batchRows: SCAN_BATCH_ROWS, ...(access.withRowId ? { withRowId: true } : {}) };
    const source = access.index === null ? txn.scan(table, options) : txn.indexScan(table, indexOf(table, access.index), options);
    for await (const rows of source) if (rows.length > 0) yield rowsToBatch(access.withRowId ? rows.map((r) => fit(r, types.length)) : shape(rows), types);
    return;
  }
  for await (const rows of txn.scan(table, { batchRows: SCAN_BATCH_ROWS })) {
    if (rows.length > 0) yield rowsToBatch(rows.map((r) => fit(r, types.length)), types);
  }
}

// rows of a table read before ADD COLUMN committed elsewhere may be shorter; pad with NULL
function fit(row: Row, width: number): Row {
  if (row.length === width) return row;
  if (row.length > width) return row.slice(0, width);
  const out = row.slice();
  while (out.length < width) out.push(null);
  return out;
}

function indexOf(table: TableDef, name: string) {
  const idx = table.indexes.find((i) => i.name === name);
  if (!idx) throw new DuetError(SqlState.undefinedObject, `index "${name}" does not exist`);
  return idx;
}

function evalConst(e: SpecExpr, params: readonly Value[]): Value {
  if (e.kind === 'const') return e.value;
  if (e.kind === 'param') return params[e.index - 1] ?? null;
  throw new DuetError(SqlState.internalError, 'index range bound is not a constant');
}

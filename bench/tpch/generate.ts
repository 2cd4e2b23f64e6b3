// Generates the eight TPC-H tables into a folder, block by block. Every block of rows has its own
// random stream derived from (seed, table, block index): output depends only on seed and scale factor.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from './random.ts';
import { scaleFor } from './scale.ts';
import * as rows from './tables.ts';
import type { RowContext } from './tables.ts';
import { TextPool } from './text.ts';
import { TableWriter } from './writer.ts';
import type { ProgressReporter } from './progress.ts';

export const tableNames = ['nation', 'region', 'part', 'supplier', 'partsupp', 'customer', 'orders', 'lineitem'] as const;
export type TableName = (typeof tableNames)[number];

export interface GenerateOptions {
  sf: number;
  outDir: string;
  seed?: number;
  /** dbgen ends every line with the separator; false omits it. Default true. */
  trailingSeparator?: boolean;
  progress?: ProgressReporter;
}

/** Rows per block: the unit of randomness and of writing (about 1 MB of lineitem text). */
const blockRows = 8192;
// Stream ids: table number times this, plus the block index (room for 2^20 blocks, SF 5000 orders).
const streamsPerTable = 1 << 20;

export async function generateTpch(options: GenerateOptions): Promise<Record<TableName, number>> {
  const scale = scaleFor(options.sf);
  const seed = options.seed ?? 19920101;
  mkdirSync(options.outDir, { recursive: true });
  const trailing = options.trailingSeparator ?? true;
  const ctx: RowContext = { scale, text: new TextPool(seed), end: trailing ? (f) => `${f}|\n` : (f) => `${f}\n` };
  const counts = {} as Record<TableName, number>;
  const open = (table: TableName): TableWriter => new TableWriter(join(options.outDir, `${table}.tbl`), trailing);

  /** `row` either returns its text or writes it to `out` itself (the hot tables). */
  type RowWriter = (rng: Rng, key: number, out: TableWriter) => string | void;
  const simple = async (table: TableName, tableId: number, n: number, row: RowWriter, rowsPerKey = 1): Promise<void> => {
    const writer = open(table);
    for (let first = 1; first <= n; first += blockRows) {
      const rng = new Rng(seed, tableId * streamsPerTable + (first - 1) / blockRows);
      const last = Math.min(n, first + blockRows - 1);
      for (let key = first; key <= last; key++) {
        const text = row(rng, key, writer);
        if (text !== undefined) writer.put(text);
        if (writer.full) await writer.flush();
      }
      options.progress?.add(table, (last - first + 1) * rowsPerKey);
    }
    await writer.close();
    counts[table] = n * rowsPerKey;
  };

  await simple('nation', 0, 25, (rng, key) => rows.nationRow(rng, ctx, key - 1));
  await simple('region', 1, 5, (rng, key) => rows.regionRow(rng, ctx, key - 1));
  await simple('part', 2, scale.parts, (rng, key) => rows.partRow(rng, ctx, key));
  await simple('supplier', 3, scale.suppliers, (rng, key) => rows.supplierRow(rng, ctx, key));
  await simple('partsupp', 4, scale.parts, (rng, key, out) => rows.partSuppRows(rng, ctx, key, out), 4);
  await simple('customer', 5, scale.customers, (rng, key) => rows.customerRow(rng, ctx, key));
  counts.lineitem = await ordersAndLines(ctx, seed, open('orders'), open('lineitem'), options.progress);
  counts.orders = scale.orders;
  options.progress?.finish();
  return counts;
}

async function ordersAndLines(ctx: RowContext, seed: number, orders: TableWriter, lineitem: TableWriter, progress?: ProgressReporter): Promise<number> {
  const n = ctx.scale.orders;
  let lineRows = 0;
  for (let first = 1; first <= n; first += blockRows) {
    const rng = new Rng(seed, 6 * streamsPerTable + (first - 1) / blockRows);
    const last = Math.min(n, first + blockRows - 1);
    let blockLines = 0;
    for (let index = first; index <= last; index++) {
      blockLines += rows.orderRows(rng, ctx, index, orders, lineitem);
      if (orders.full) await orders.flush();
      if (lineitem.full) await lineitem.flush();
    }
    lineRows += blockLines;
    progress?.add('orders+lineitem', last - first + 1 + blockLines);
  }
  await Promise.all([orders.close(), lineitem.close()]);
  return lineRows;
}

// Test helpers for the executor: an in-memory scan source, expression and plan builders.

import { rowsToBatch } from '../../olap/exec/batch.ts';
import { collectRows } from '../../olap/exec/execute.ts';
import type { Batch, ExecContext, Expr, OperatorStats, PlanNode, ScanNode, Vector } from '../../olap/exec/spec.ts';
import type { Row, SqlType, Value } from '../../oltp/types.ts';
import { Types } from '../../oltp/types.ts';

export const T = Types;
export const BOOL = Types.boolean;

export interface Table { columns: { name: string; type: SqlType }[]; rows: Row[] }

/** A scan source over in-memory tables, yielding batches of `chunkRows` rows. */
export function memoryContext(tables: Record<string, Table>, options: { chunkRows?: number; batchRowsMax?: number; interpret?: boolean; dict?: boolean; params?: Value[]; stats?: Map<PlanNode, OperatorStats> } = {}): ExecContext {
  const chunk = options.chunkRows ?? 1000;
  return {
    params: options.params ?? [],
    batchRowsMax: options.batchRowsMax,
    interpret: options.interpret,
    stats: options.stats,
    async *scan(node: ScanNode): AsyncIterable<Batch> {
      const table = tables[node.table];
      if (table === undefined) throw new Error(`no table ${node.table}`);
      for (let start = 0; start < table.rows.length; start += chunk) {
        const batch = rowsToBatch(table.rows.slice(start, start + chunk), table.columns.map((c) => c.type));
        yield options.dict === true ? dictionaryEncode(batch) : batch;
      }
    },
  };
}

/** String columns as dictionary vectors (what the columnar learner produces), with a selection too. */
function dictionaryEncode(batch: Batch): Batch {
  const columns = batch.columns.map((v): Vector => {
    if (v.kind !== 'string') return v;
    const dict: string[] = [];
    const index = new Map<string, number>();
    const codes = new Int32Array(v.data.length);
    v.data.forEach((text, i) => {
      let code = index.get(text);
      if (code === undefined) { code = dict.length; dict.push(text); index.set(text, code); }
      codes[i] = code;
    });
    return { kind: 'dict', dict, codes, valid: v.valid };
  });
  return { ...batch, columns };
}

export function scan(name: string, table: Table, filter?: Expr): ScanNode {
  return { kind: 'scan', table: name, columns: table.columns, filter };
}

export const col = (index: number, type: SqlType): Expr => ({ kind: 'col', index, type });
export const lit = (value: Value, type: SqlType): Expr => ({ kind: 'const', value, type });
export const call = (fn: string, type: SqlType, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type });

export async function run(plan: PlanNode, ctx: ExecContext): Promise<Value[][]> {
  return collectRows(plan, ctx);
}

/** Runs a plan under several configurations (compiled/interpreted, tiny/large batches); all must agree. */
export async function runAll(plan: PlanNode, tables: Record<string, Table>, params: Value[] = [], ordered = false): Promise<Value[][]> {
  const configs = [
    { chunkRows: 1000 },
    { chunkRows: 3, batchRowsMax: 2 },
    { chunkRows: 7, interpret: true },
    { chunkRows: 5, dict: true },
  ];
  const results: Value[][][] = [];
  for (const c of configs) results.push(await run(plan, memoryContext(tables, { ...c, params })));
  for (let k = 1; k < results.length; k++) {
    const same = ordered ? JSON.stringify(results[k], replacer) === JSON.stringify(results[0], replacer) : JSON.stringify(sorted(results[k]!)) === JSON.stringify(sorted(results[0]!));
    if (!same) {
      throw new Error(`configuration ${k} differs:\n${JSON.stringify(results[0], replacer)}\n${JSON.stringify(results[k], replacer)}`);
    }
  }
  return results[0]!;
}

function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

/** Order-insensitive comparison form of a result. */
export function sorted(rows: Value[][]): string[] {
  return rows.map((r) => JSON.stringify(r, replacer)).sort();
}

// What a statement runs with: the transaction, the parameter values, the catalog view for the binder,
// and helpers to bind + plan + execute a query inside it.

import type { Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, type SqlType, type Value } from '../../oltp/types.ts';
import { collectRows } from '../../olap/exec/execute.ts';
import type { OperatorStats, PlanNode } from '../../olap/exec/spec.ts';
import { castConstant } from '../bind/literals.ts';
import type { BindCtx, Catalog } from '../bind/scope.ts';
import { lower, type LowerResult } from '../lower.ts';
import { optimize } from '../optimize/optimize.ts';
import { IdGen, type Col, type Plan } from '../plan/logical.ts';
import { rowScanSource } from './scan.ts';

/** What a plan was bound against: tables by id and schema version; any view makes it uncacheable. */
export interface Deps { tables: Map<string, { id: number; schemaVersion: number } | null>; usedView: boolean }

export function catalogOf(txn: Txn, deps?: Deps): Catalog {
  return {
    getTable: (name) => {
      const t = txn.getTable(name);
      deps?.tables.set(name, t ? { id: t.id, schemaVersion: t.schemaVersion } : null);
      return t;
    },
    getView: (name) => {
      const v = txn.getView(name);
      if (v && deps) deps.usedView = true;
      return v;
    },
    tableNames: () => [...txn.listTables().map((t) => t.name), ...txn.listViews().map((v) => v.name)],
  };
}

export function newBindCtx(txn: Txn, text: string, offset: number, paramTypes?: ReadonlyMap<number, SqlType>, deps?: Deps): BindCtx {
  return { ids: new IdGen(), catalog: catalogOf(txn, deps), text, offset, ctes: [], viewStack: [], ...(paramTypes ? { paramTypes } : {}) };
}

/** True if every table the plan was bound against still has the same definition in this transaction. */
export function depsValid(txn: Txn, deps: Deps): boolean {
  if (deps.usedView) return false;
  for (const [name, d] of deps.tables) {
    const t = txn.getTable(name);
    if (d === null ? t !== undefined || txn.getView(name) !== undefined : !t || t.id !== d.id || t.schemaVersion !== d.schemaVersion) return false;
  }
  return true;
}

export interface PlannedQuery {
  readonly lowered: LowerResult;
  readonly cols: readonly Col[];
  readonly logical: Plan;
}

export function planQuery(ctx: BindCtx, plan: Plan, cols: readonly Col[]): PlannedQuery {
  const optimized = optimize(plan, ctx.ids);
  return { lowered: lower(optimized), cols, logical: optimized };
}

/** Converts the caller's parameter values to the types the plan uses for $1..$n. */
export function convertParams(params: readonly Value[], types: readonly (SqlType | undefined)[]): Value[] {
  const out: Value[] = [];
  const n = Math.max(params.length, types.length);
  for (let i = 0; i < n; i++) {
    const v = params[i];
    const t = types[i];
    if (v === undefined) {
      if (t !== undefined) throw new DuetError(SqlState.syntaxError, `there is no parameter $${i + 1}`, { hint: `the statement uses $${i + 1} but ${params.length} parameter(s) were given` });
      out.push(null);
      continue;
    }
    out.push(t === undefined ? v : castConstant(v, jsType(v), t));
  }
  return out;
}

function jsType(v: Value): SqlType {
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 2147483647 ? Types.integer : Types.bigint) : Types.double;
  if (typeof v === 'bigint') return Types.decimal(38, 0);
  if (typeof v === 'boolean') return Types.boolean;
  if (v === null) return Types.null;
  return Types.text;
}

export async function runPlanned(txn: Txn, root: PlanNode, params: readonly Value[], stats?: Map<PlanNode, OperatorStats>, signal?: AbortSignal): Promise<Value[][]> {
  return collectRows(root, { params, scan: rowScanSource(txn, params), ...(stats ? { stats } : {}), ...(signal ? { signal } : {}) });
}

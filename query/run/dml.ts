// INSERT / UPDATE / DELETE with RETURNING: the rows to write are computed by an ordinary query plan
// (so WHERE uses the same access paths as SELECT), then written through the transaction.

import type { TableDef, Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, typeName, type Row, type SqlType, type Value } from '../../oltp/types.ts';
import { bindExpr, identName, toBool, type ExprEnv } from '../bind/expr.ts';
import { bindQuery } from '../bind/select.ts';
import { missingTable, posOpt, Scope, type BindCtx } from '../bind/scope.ts';
import { coerce, isNumeric } from '../bind/types.ts';
import { E, exprCols, hasSubquery, type Expr } from '../plan/expr.ts';
import { lower } from '../lower.ts';
import { castValue } from '../../olap/exec/cast.ts';
import { evalConstant } from '../../olap/exec/expr/evaluator.ts';
import { CancelPoint } from '../../olap/exec/cancel.ts';
import type { ValuesNode } from '../../olap/exec/spec.ts';
import type { Col, Plan } from '../plan/logical.ts';
import type { Ast } from '../parse/parse.ts';
import { convertParams, planQuery, runPlanned, type PlannedQuery } from './context.ts';
import { isPointPlan, pointEvalRow, pointRead } from './point.ts';
import { evalDefault } from './defaults.ts';

export interface RowsResult {
  command: string;
  rowCount: number;
  columns: { name: string; type: SqlType }[];
  rows: Value[][];
}

export interface DmlInput { txn: Txn; ctx: BindCtx; ast: Ast; params: readonly Value[]; signal?: AbortSignal; memo?: DmlMemo }

/** Writes `rows` one by one (each through `write`), giving the event loop turns on a long run. */
async function eachRow<T>(pacer: Pacer, rows: readonly T[], write: (row: T) => Promise<unknown>): Promise<void> {
  for (const row of rows) {
    await write(row);
    if (pacer.due()) await pacer.turn();
  }
}

/**
 * Kept by the caller per parsed statement while the tables it was bound against keep their definitions
 * (query/execute.ts): an UPDATE/DELETE whose target query is a primary-key point read is bound and
 * planned once, then runs without the executor (run/point.ts), re-evaluation included.
 */
export interface DmlMemo { target?: { planned: PlannedQuery; width: number } }

/**
 * A large INSERT/UPDATE/DELETE works in memory (binding, row values, the write set) and would otherwise
 * hold the event loop for its whole run: a Raft leader sends no heartbeats meanwhile and loses its
 * leadership (oltp/replication/README.md, known limits), and a cancel cannot land. Row loops ask the
 * executor's cancel point (olap/exec/cancel.ts: a setImmediate turn after 20 ms of work, 57014 once
 * cancelled). The statement keeps its transaction and row locks across a turn: semantics are unchanged.
 * Tests set `everyRows` to also take a turn every n rows, independent of the machine's speed.
 */
export const dmlTurns = { everyRows: 0 };

/**
 * One statement's turns: the cancel point's clock plus the test knob's row count. The cancel point (and so
 * the session's AbortSignal) is made only once a statement reaches `QUIET_ROWS` rows: the usual one-row
 * write creates neither.
 */
class Pacer {
  private static readonly QUIET_ROWS = 32;
  private rows = 0;
  private point: CancelPoint | undefined;

  constructor(private readonly input: DmlInput) {}

  due(): boolean {
    const n = ++this.rows;
    if (n >= Pacer.QUIET_ROWS && this.cancelPoint().due()) return true;
    return dmlTurns.everyRows > 0 && n % dmlTurns.everyRows === 0;
  }

  turn(): Promise<void> {
    return this.cancelPoint().pause();
  }

  private cancelPoint(): CancelPoint {
    this.point ??= new CancelPoint(this.input.signal ?? new AbortController().signal);
    return this.point;
  }
}

function env(ctx: BindCtx, scope: Scope): ExprEnv {
  return { ctx, scope, agg: null, bindQuery: (a, s) => bindQuery(ctx, a, s) };
}

function tableOf(input: DmlInput, tableAst: Ast): TableDef {
  const name = String(tableAst?.table ?? '').toLowerCase();
  const t = input.ctx.catalog.getTable(name); // through the catalog: a cached plan depends on this table
  if (!t) {
    if (input.txn.getView(name)) throw new DuetError(SqlState.featureNotSupported, `cannot change view "${name}"`);
    throw missingTable(input.ctx, name);
  }
  return t;
}

/** Assignment of a value of one type to a column (PostgreSQL's assignment casts). */
export function assign(ctx: BindCtx, e: Expr, t: SqlType, column: string): Expr {
  if (e.type.id === 'null') return coerce(e, t);
  if (e.type.id === 'varchar' && t.id === 'varchar') return e;
  if (e.kind === 'const' && e.type.id === 'varchar') return coerce(e, t);
  if (e.kind === 'param') return e.type.id === t.id ? e : E.param(e.index, t);
  const ok = (isNumeric(e.type) && isNumeric(t)) || e.type.id === t.id || t.id === 'varchar' ||
    ((e.type.id === 'date' || e.type.id === 'timestamp') && (t.id === 'date' || t.id === 'timestamp'));
  if (!ok) {
    throw new DuetError(SqlState.datatypeMismatch, `column "${column}" is of type ${typeName(t)} but expression is of type ${typeName(e.type)}`, {
      ...posOpt(ctx, column),
      hint: 'You will need to rewrite or cast the expression.',
    });
  }
  return coerce(e, t);
}

function defaultExpr(table: TableDef, i: number): Expr {
  const c = table.columns[i]!;
  return E.const(c.defaultSql === undefined ? null : evalDefault(c.defaultSql, c.type), c.type);
}

export async function runInsert(input: DmlInput): Promise<RowsResult> {
  const { ctx, ast, txn } = input;
  const table = tableOf(input, ast.table?.[0]);
  const targets: number[] = Array.isArray(ast.columns) && ast.columns.length > 0
    ? (ast.columns as Ast[]).map((c) => {
      const n = identName(c).toLowerCase();
      const i = table.columns.findIndex((tc) => tc.name === n);
      if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${n}" of relation "${table.name}" does not exist`, posOpt(ctx, n));
      return i;
    })
    : table.columns.map((_c, i) => i);
  const source = ast.values;
  const pacer = new Pacer(input);
  let rows: Row[];
  if (source?.type === 'values') {
    const exprRows: Expr[][] = [];
    for (const r of source.values as Ast[]) {
      const cells: Ast[] = r.value ?? [];
      if (cells.length > targets.length) throw new DuetError(SqlState.syntaxError, 'INSERT has more expressions than target columns');
      if (cells.length < targets.length) throw new DuetError(SqlState.syntaxError, 'INSERT has more target columns than expressions');
      const full: Expr[] = table.columns.map((_c, i) => defaultExpr(table, i));
      cells.forEach((cell, k) => {
        const col = table.columns[targets[k]!]!;
        full[targets[k]!] = cell?.type === 'default' && String(cell.value).toUpperCase() === 'DEFAULT'
          ? defaultExpr(table, targets[k]!)
          : assign(ctx, bindExpr(env(ctx, new Scope(null)), cell), col.type, col.name);
      });
      exprRows.push(full);
      if (pacer.due()) await pacer.turn();
    }
    rows = await valuesRows(input, exprRows, table, pacer);
  } else {
    const q = bindQuery(ctx, source?.ast ?? source, new Scope(null));
    if (q.cols.length > targets.length) throw new DuetError(SqlState.syntaxError, 'INSERT has more expressions than target columns');
    const exprs = table.columns.map((c, i) => {
      const k = targets.indexOf(i);
      if (k < 0 || k >= q.cols.length) return defaultExpr(table, i);
      const src = q.cols[k]!;
      return assign(ctx, E.col(src.id, src.type), c.type, c.name);
    });
    const cols = table.columns.map((c) => ctx.ids.col(c.name, c.type));
    rows = await execPlan(input, { kind: 'project', input: q.plan, exprs, cols });
  }
  await eachRow(pacer, rows, (row) => txn.insert(table, row));
  const returning = await returningRows(input, table, rows);
  return { command: `INSERT 0 ${rows.length}`, rowCount: rows.length, ...returning };
}

/** Rows of VALUES: constants and parameters are converted here directly; other cells run through the executor. */
async function valuesRows(input: DmlInput, exprRows: Expr[][], table: TableDef, pacer: Pacer): Promise<Row[]> {
  const simple = exprRows.every((r) => r.every((e) => e.kind === 'const' || e.kind === 'param'));
  if (simple) {
    const out: Row[] = [];
    for (const r of exprRows) {
      out.push(r.map((e, i) => {
        if (e.kind === 'const') return e.value;
        const p = e as Extract<Expr, { kind: 'param' }>;
        const v = input.params[p.index - 1];
        if (v === undefined) throw new DuetError(SqlState.syntaxError, `there is no parameter $${p.index}`);
        return convertParams([v], [table.columns[i]!.type])[0]!;
      }));
      if (pacer.due()) await pacer.turn();
    }
    return out;
  }
  const cols = table.columns.map((c) => input.ctx.ids.col(c.name, c.type));
  const plan: Plan = { kind: 'values', rows: exprRows, cols };
  // cells over constants and parameters only (`-$4`, CURRENT_TIMESTAMP, casts): computed as the VALUES
  // operator computes them (olap/exec/ops/simple.ts valuesOp), without planning and running a pipeline
  // (one cell at a time, so a parameter used in columns of different types is converted for each)
  if (exprRows.every((r) => r.every((e) => !hasSubquery(e) && exprCols(e).size === 0))) {
    const out: Row[] = [];
    for (const r of exprRows) {
      out.push(r.map((e, c) => {
        if (e.kind === 'const') return e.value;
        const lowered = lower({ kind: 'values', rows: [[e]], cols: [cols[c]!] });
        const cell = (lowered.root as ValuesNode).rows[0]![0]!;
        return castValue(evalConstant(cell, convertParams(input.params, lowered.paramTypes)), cell.type, cols[c]!.type);
      }));
      if (pacer.due()) await pacer.turn();
    }
    return out;
  }
  return execPlan(input, plan);
}

async function execPlan(input: DmlInput, plan: Plan): Promise<Row[]> {
  const planned = planQuery(input.ctx, plan, []);
  const params = convertParams(input.params, planned.lowered.paramTypes);
  return runPlanned(input.txn, planned.lowered.root, params, undefined, input.signal);
}

function tableScope(ctx: BindCtx, table: TableDef, withRowId: boolean): { scope: Scope; cols: Col[]; plan: Plan } {
  const cols = table.columns.map((c) => ctx.ids.col(c.name, c.type));
  if (withRowId) cols.push(ctx.ids.col('?rowid', Types.bigint));
  const scope = new Scope(null);
  scope.add(table.columns.map((c, i) => ({ table: table.name, name: c.name, col: cols[i]! })));
  return { scope, cols, plan: { kind: 'scan', table, cols, access: null, ...(withRowId ? { withRowId: true } : {}) } };
}

/**
 * The rows a statement changes, each as [current row (+ row id)..., extra values...]. With `source`, the
 * same WHERE and expressions are evaluated over those rows instead of a scan (re-evaluation on the
 * newest version of a row under READ COMMITTED).
 */
async function targetRows(input: DmlInput, table: TableDef, extra: (scope: Scope) => Expr[], source?: Row[]): Promise<{ rows: Row[]; width: number }> {
  const { ctx, ast, txn } = input;
  const known = input.memo?.target;
  if (known) {
    const root = known.planned.lowered.root;
    const params = convertParams(input.params, known.planned.lowered.paramTypes);
    const rows = source ? source.flatMap((r) => pointEvalRow(txn, root, r, params)) : pointRead(txn, root, params) ?? await runPlanned(txn, root, params, undefined, input.signal);
    return { rows, width: known.width };
  }
  const ts = tableScope(ctx, table, table.hiddenRowId);
  const alias = ast.table?.[0]?.as ? String(ast.table[0].as).toLowerCase() : null;
  if (alias) ts.scope.items = ts.scope.items.map((i) => ({ ...i, table: alias }));
  let plan: Plan = source ? { kind: 'values', rows: source.map((r) => r.map((v, i) => E.const(v, ts.cols[i]!.type))), cols: ts.cols } : ts.plan;
  if (ast.where) {
    const e = env(ctx, ts.scope);
    plan = { kind: 'filter', input: plan, pred: toBool(e, bindExpr(e, ast.where), ast.where) };
  }
  const more = extra(ts.scope);
  const exprs = [...ts.cols.map((c) => E.col(c.id, c.type)), ...more];
  const cols = exprs.map((x, i) => ctx.ids.col(`c${i}`, x.type));
  const planned = planQuery(ctx, { kind: 'project', input: plan, exprs, cols }, []);
  const root = planned.lowered.root;
  const params = convertParams(input.params, planned.lowered.paramTypes);
  // a point target (the usual OLTP UPDATE/DELETE by primary key) is kept for the statement's next runs
  const point = !source && isPointPlan(root);
  if (point && input.memo && !ctx.volatile) input.memo.target = { planned, width: ts.cols.length };
  const rows = (point ? pointRead(txn, root, params) : undefined) ?? await runPlanned(txn, root, params, undefined, input.signal);
  return { rows, width: ts.cols.length };
}

/**
 * Locks each target row; under READ COMMITTED a row changed since the snapshot is re-evaluated on its
 * newest version (WHERE and SET again), like PostgreSQL's EvalPlanQual. A row deleted meanwhile is skipped.
 */
async function lockTargets(input: DmlInput, table: TableDef, rows: Row[], again: (src: Row[]) => Promise<Row[]>, pacer: Pacer): Promise<Row[]> {
  const out: Row[] = [];
  const n = table.columns.length;
  for (const r of rows) {
    if (pacer.due()) await pacer.turn();
    const pk = pkOf(table, r);
    const cur = await input.txn.lockForUpdate(table, pk);
    if (!cur) continue;
    let same = true;
    for (let i = 0; i < n; i++) if (cur[i] !== r[i]) { same = false; break; }
    if (same) { out.push(r); continue; }
    out.push(...(await again([table.hiddenRowId ? [...cur.slice(0, n), pk[0]!] : cur.slice(0, n)])));
  }
  return out;
}

function pkOf(table: TableDef, old: Row): Value[] {
  if (table.hiddenRowId) return [old[table.columns.length]!];
  return table.primaryKey.map((i) => old[i]!);
}

export async function runUpdate(input: DmlInput): Promise<RowsResult> {
  const { ctx, ast, txn } = input;
  const table = tableOf(input, ast.table?.[0]);
  const sets: { index: number; ast: Ast }[] = (ast.set as Ast[]).map((s) => {
    const n = identName(s.column).toLowerCase();
    const i = table.columns.findIndex((c) => c.name === n);
    if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${n}" of relation "${table.name}" does not exist`, posOpt(ctx, n));
    return { index: i, ast: s.value };
  });
  const newValues = (scope: Scope): Expr[] =>
    table.columns.map((c, i) => {
      const s = [...sets].reverse().find((x) => x.index === i);
      const col = scope.items[i]!.col;
      if (!s) return E.col(col.id, col.type);
      if (s.ast?.type === 'default' && String(s.ast.value).toUpperCase() === 'DEFAULT') return defaultExpr(table, i);
      return assign(ctx, bindExpr(env(ctx, scope), s.ast), c.type, c.name);
    });
  const found = await targetRows(input, table, newValues);
  const width = found.width;
  const pacer = new Pacer(input);
  const rows = await lockTargets(input, table, found.rows, async (src) => (await targetRows(input, table, newValues, src)).rows, pacer);
  const written: Row[] = [];
  await eachRow(pacer, rows, (r) => {
    const next = r.slice(width);
    written.push(next);
    return txn.update(table, pkOf(table, r), next);
  });
  const returning = await returningRows(input, table, written);
  return { command: `UPDATE ${rows.length}`, rowCount: rows.length, ...returning };
}

/**
 * SELECT ... FOR UPDATE on one table: locks every row the WHERE selects (waiting for other writers like
 * PostgreSQL); the caller then reads with a fresh statement snapshot so it sees the locked versions.
 */
export async function lockSelected(input: DmlInput): Promise<void> {
  const from: Ast[] = Array.isArray(input.ast.from) ? input.ast.from : [];
  if (from.length !== 1 || from[0].expr || from[0].join || input.ast.groupby?.columns || input.ast._next) {
    throw new DuetError(SqlState.featureNotSupported, 'FOR UPDATE / FOR SHARE is supported on queries over a single table');
  }
  const table = tableOf(input, from[0]);
  const found = await targetRows({ ...input, ast: { table: [from[0]], where: input.ast.where } }, table, () => []);
  await eachRow(new Pacer(input), found.rows, (r) => input.txn.lockForUpdate(table, pkOf(table, r)));
}

/** CREATE TABLE name AS SELECT ...: the query's columns become the table's (no primary key). */
export async function runCreateTableAs(input: DmlInput): Promise<RowsResult> {
  const { ctx, ast, txn } = input;
  const name = String(ast.table?.[0]?.table ?? '').toLowerCase();
  if (txn.getTable(name) || txn.getView(name)) {
    if (ast.if_not_exists) return { command: 'CREATE TABLE AS', rowCount: 0, columns: [], rows: [] };
    throw new DuetError(SqlState.duplicateTable, `relation "${name}" already exists`);
  }
  const q = bindQuery(ctx, ast.query_expr?.ast ?? ast.query_expr, new Scope(null));
  const seen = new Set<string>();
  for (const c of q.cols) {
    if (seen.has(c.name)) throw new DuetError(SqlState.duplicateColumn, `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }
  const table = await txn.createTable({ name, columns: q.cols.map((c) => ({ name: c.name, type: c.type, notNull: false })), primaryKey: [] });
  const rows = await execPlan(input, q.plan);
  await eachRow(new Pacer(input), rows, (row) => txn.insert(table, row));
  return { command: `SELECT ${rows.length}`, rowCount: rows.length, columns: [], rows: [] };
}

export async function runDelete(input: DmlInput): Promise<RowsResult> {
  const { ast, txn } = input;
  const tableAst = ast.from?.[0] ?? ast.table?.[0];
  const table = tableOf(input, tableAst);
  const target = { ...input, ast: { ...ast, table: [tableAst] } };
  const found = await targetRows(target, table, () => []);
  const pacer = new Pacer(input);
  const rows = await lockTargets(input, table, found.rows, async (src) => (await targetRows(target, table, () => [], src)).rows, pacer);
  await eachRow(pacer, rows, (r) => txn.delete(table, pkOf(table, r)));
  const returning = await returningRows(input, table, rows.map((r) => r.slice(0, table.columns.length)));
  return { command: `DELETE ${rows.length}`, rowCount: rows.length, ...returning };
}

async function returningRows(input: DmlInput, table: TableDef, rows: Row[]): Promise<{ columns: { name: string; type: SqlType }[]; rows: Value[][] }> {
  const items: Ast[] | undefined = input.ast.returning?.columns;
  if (!items || items.length === 0) return { columns: [], rows: [] };
  const { ctx } = input;
  const cols = table.columns.map((c) => ctx.ids.col(c.name, c.type));
  const scope = new Scope(null);
  scope.add(table.columns.map((c, i) => ({ table: table.name, name: c.name, col: cols[i]! })));
  const exprs: Expr[] = [];
  const names: string[] = [];
  for (const it of items) {
    if (it.expr?.type === 'column_ref' && identName(it.expr.column) === '*') {
      cols.forEach((c) => { exprs.push(E.col(c.id, c.type)); names.push(c.name); });
      continue;
    }
    exprs.push(bindExpr(env(ctx, scope), it.expr));
    names.push(it.as ? identName(it.as).toLowerCase() : it.expr?.type === 'column_ref' ? identName(it.expr.column).toLowerCase() : '?column?');
  }
  const outCols = exprs.map((e, i) => ctx.ids.col(names[i]!, e.type.id === 'null' ? Types.text : e.type));
  const values: Plan = { kind: 'values', rows: rows.map((r) => r.map((v, i) => E.const(v, table.columns[i]!.type))), cols };
  const out = rows.length === 0 ? [] : await execPlan(input, { kind: 'project', input: values, exprs: exprs.map((e, i) => (e.type.id === 'null' ? coerce(e, outCols[i]!.type) : e)), cols: outCols });
  return { columns: outCols.map((c) => ({ name: c.name, type: c.type })), rows: out };
}


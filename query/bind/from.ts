// Binds the FROM clause: base tables, views, CTE references, derived tables and joins (inner, left,
// right, full, cross, comma, USING) into a plan, adding each relation's columns to the scope.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import NSP from 'node-sql-parser';
import { E, type Expr } from '../plan/expr.ts';
import type { Col, JoinType, Plan } from '../plan/logical.ts';
import type { Ast } from '../parse/parse.ts';
import { prepass } from '../parse/prepass.ts';
import { bindExpr, identName, toBool, unify, type ExprEnv } from './expr.ts';
import { locPos, missingTable, posOpt, Scope, type BindCtx, type ScopeItem } from './scope.ts';
import { coerce, commonType } from './types.ts';
import { Types, type SqlType } from '../../oltp/types.ts';

type QueryBinder = (ast: Ast, scope: Scope) => { plan: Plan; cols: readonly Col[] };

const viewParser = new NSP.Parser();

export function bindFrom(ctx: BindCtx, from: Ast, scope: Scope, bindQuery: QueryBinder): Plan {
  if (!Array.isArray(from) || from.length === 0) {
    return { kind: 'values', rows: [[]], cols: [] };
  }
  let plan: Plan | null = null;
  let natural = false;
  const items = from as Ast[];
  for (let k = 0; k < items.length; k++) {
    let item = items[k]!;
    // node-sql-parser reads `a NATURAL JOIN b` as table a aliased "natural" joined to b without ON
    const naturalNext = String(item.as ?? '').toLowerCase() === 'natural' && items[k + 1]?.join !== undefined;
    if (naturalNext) item = { ...item, as: null };
    const rel = bindRelation(ctx, item, scope, bindQuery);
    const before = scope.items.length;
    scope.add(rel.items);
    if (plan === null) { plan = rel.plan; natural = naturalNext; continue; }
    const joinText = String(item.join ?? '').toUpperCase();
    if (joinText === '' || joinText === 'CROSS JOIN') {
      plan = { kind: 'join', joinType: 'cross', left: plan, right: rel.plan, cond: null, nullAware: false };
      natural = naturalNext;
      continue;
    }
    const joinType: JoinType = joinText.startsWith('LEFT') ? 'left' : joinText.startsWith('RIGHT') ? 'right' : joinText.startsWith('FULL') ? 'full' : 'inner';
    const env: ExprEnv = { ctx, scope, agg: null, bindQuery };
    let cond: Expr | null = null;
    if (natural) {
      const leftNames = new Set(scope.items.slice(0, before).filter((i) => !i.hidden).map((i) => i.name));
      const common = [...new Set(rel.items.map((i) => i.name))].filter((n) => leftNames.has(n));
      cond = common.length === 0 ? null : usingCondition(ctx, env, scope, before, common);
    } else if (Array.isArray(item.using)) {
      cond = usingCondition(ctx, env, scope, before, item.using as Ast[]);
    } else if (item.on) {
      cond = toBool(env, bindExpr(env, item.on), item.on);
    }
    plan = { kind: 'join', joinType: cond === null && joinType === 'inner' ? 'cross' : joinType, left: plan, right: rel.plan, cond, nullAware: false };
    natural = naturalNext;
  }
  return plan!;
}

function usingCondition(ctx: BindCtx, env: ExprEnv, scope: Scope, rightStart: number, names: Ast[]): Expr {
  const parts: Expr[] = [];
  for (const n of names) {
    const name = identName(n).toLowerCase();
    const left = scope.items.slice(0, rightStart).filter((i) => i.name === name && !i.hidden);
    const rightIdx = scope.items.findIndex((i, k) => k >= rightStart && i.name === name);
    if (left.length !== 1 || rightIdx < 0) {
      throw new DuetError(SqlState.undefinedColumn, `column "${name}" specified in USING clause does not exist in ${left.length === 0 ? 'left' : 'right'} table`, posOpt(ctx, name));
    }
    const right = scope.items[rightIdx]!;
    scope.items[rightIdx] = { ...right, hidden: true };
    const [a, b] = unify(env, E.col(left[0]!.col.id, left[0]!.col.type), E.col(right.col.id, right.col.type), '=', n);
    parts.push(E.call('=', [a, b], { id: 'boolean' }));
  }
  return parts.length === 1 ? parts[0]! : E.call('and', parts, { id: 'boolean' });
}

interface Relation { plan: Plan; items: ScopeItem[] }

function parseAlias(as: Ast): { alias: string | null; columns: string[] | null } {
  if (as === null || as === undefined) return { alias: null, columns: null };
  const text = identName(as);
  const m = /^\s*"?([^"(\s]+)"?\s*\(([^)]*)\)\s*$/.exec(text);
  if (m) return { alias: m[1]!.toLowerCase(), columns: m[2]!.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase()) };
  return { alias: text.toLowerCase(), columns: null };
}

function renamed(cols: readonly Col[], alias: string | null, columns: string[] | null, ctx: BindCtx): ScopeItem[] {
  if (columns && columns.length > cols.length) {
    throw new DuetError(SqlState.syntaxError, `table "${alias}" has ${cols.length} columns available but ${columns.length} columns specified`);
  }
  void ctx;
  return cols.map((c, i) => ({ table: alias, name: columns?.[i] ?? c.name, col: c }));
}

function bindRelation(ctx: BindCtx, item: Ast, scope: Scope, bindQuery: QueryBinder): Relation {
  const { alias, columns } = parseAlias(item.as);
  if (item.expr?.ast) {
    // derived table: it cannot see columns of sibling FROM items (no LATERAL), only enclosing queries'
    const sub = bindQuery(item.expr.ast, new Scope(scope.parent));
    return { plan: sub.plan, items: renamed(sub.cols, alias, columns, ctx) };
  }
  if (item.expr?.type === 'values') return bindValues(ctx, item.expr.values as Ast[], alias, columns, bindQuery);
  if (item.expr) throw new DuetError(SqlState.featureNotSupported, 'this kind of FROM item is not supported', locPos(ctx, item.expr));
  const name = String(item.table).toLowerCase();
  const cte = findCte(ctx, name);
  if (cte) {
    const sub = bindQuery(cte.ast, new Scope(null));
    return { plan: sub.plan, items: renamed(sub.cols, alias ?? name, columns ?? (cte.columns ? [...cte.columns] : null), ctx) };
  }
  const view = ctx.catalog.getView(name);
  if (view) {
    if (ctx.viewStack.includes(name)) throw new DuetError(SqlState.featureNotSupported, `infinite recursion detected in view "${name}"`);
    const viewAst = viewParser.astify(prepass(view.sql), { database: 'PostgreSQL' });
    const one = Array.isArray(viewAst) ? viewAst[0] : viewAst;
    ctx.viewStack.push(name);
    try {
      const sub = bindQuery(one, new Scope(null));
      return { plan: sub.plan, items: renamed(sub.cols, alias ?? name, columns ?? (view.columnNames ? [...view.columnNames] : null), ctx) };
    } finally {
      ctx.viewStack.pop();
    }
  }
  const table = ctx.catalog.getTable(name);
  if (!table) throw missingTable(ctx, name);
  const cols = table.columns.map((c) => ctx.ids.col(c.name, c.type));
  return { plan: { kind: 'scan', table, cols, access: null }, items: renamed(cols, alias ?? name, columns, ctx) };
}

function findCte(ctx: BindCtx, name: string): { ast: Ast; columns: readonly string[] | null } | undefined {
  for (let i = ctx.ctes.length - 1; i >= 0; i--) {
    const hit = ctx.ctes[i]!.get(name);
    if (hit) return hit;
  }
  return undefined;
}

/** (VALUES (...), (...)) AS v(a, b): literal rows; each column takes the common type of its cells. */
function bindValues(ctx: BindCtx, rowsAst: Ast[], alias: string | null, columns: string[] | null, bindQuery: QueryBinder): Relation {
  const env: ExprEnv = { ctx, scope: new Scope(null), agg: null, bindQuery };
  const cells = rowsAst.map((r) => ((r.value ?? []) as Ast[]).map((c) => bindExpr(env, c)));
  const width = cells[0]?.length ?? 0;
  if (cells.some((r) => r.length !== width)) throw new DuetError(SqlState.syntaxError, 'VALUES lists must all be the same length');
  const types = Array.from({ length: width }, (_v, j) => {
    let t: SqlType = Types.null;
    for (const r of cells) t = commonType(t, r[j]!.type, 'VALUES');
    return t.id === 'null' ? Types.text : t;
  });
  const cols = types.map((t, j) => ctx.ids.col(columns?.[j] ?? `column${j + 1}`, t));
  const rows = cells.map((r) => r.map((e, j) => coerce(e, types[j]!)));
  return { plan: { kind: 'values', rows, cols }, items: renamed(cols, alias, columns, ctx) };
}

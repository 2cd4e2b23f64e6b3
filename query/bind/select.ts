// Binds a SELECT (with WITH, set operations, FROM/joins, WHERE, GROUP BY/HAVING, DISTINCT, ORDER BY,
// LIMIT) into a logical plan. Aggregation is split out into an Aggregate node here.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, type SqlType } from '../../oltp/types.ts';
import { E, exprKey, type Expr } from '../plan/expr.ts';
import { outputCols, type Col, type Plan, type SortKey } from '../plan/logical.ts';
import { renameCols } from '../plan/walk.ts';
import type { Ast } from '../parse/parse.ts';
import { AggCollector, bindExpr, containsAggregate, identName, toBool, type ExprEnv } from './expr.ts';
import { bindFrom } from './from.ts';
import { locPos, posOpt, Scope, type BindCtx } from './scope.ts';
import { coerce, commonType } from './types.ts';

export interface BoundQuery {
  readonly plan: Plan;
  /** Visible output columns (names as the client sees them). */
  readonly cols: readonly Col[];
}

export function bindQuery(ctx: BindCtx, ast: Ast, scope: Scope): BoundQuery {
  const pushed = pushCtes(ctx, ast, scope);
  try {
    if (ast._next) return bindSetOp(ctx, ast, scope);
    return bindSelect(ctx, ast, scope, ast.orderby, ast.limit);
  } finally {
    if (pushed) ctx.ctes.pop();
  }
}

function pushCtes(ctx: BindCtx, ast: Ast, _scope: Scope): boolean {
  if (!Array.isArray(ast.with) || ast.with.length === 0) return false;
  const frame = new Map<string, { ast: Ast; columns: string[] | null }>();
  ctx.ctes.push(frame);
  for (const w of ast.with as Ast[]) {
    const name = identName(w.name).toLowerCase();
    const columns = Array.isArray(w.columns) && w.columns.length > 0 ? (w.columns as Ast[]).map((c) => identName(c).toLowerCase()) : null;
    frame.set(name, { ast: w.stmt?.ast ?? w.stmt, columns });
  }
  return true;
}

function envFor(ctx: BindCtx, scope: Scope, agg: AggCollector | null): ExprEnv {
  return { ctx, scope, agg, bindQuery: (a, s) => bindQuery(ctx, a, s) };
}

function bindSetOp(ctx: BindCtx, ast: Ast, scope: Scope): BoundQuery {
  // node-sql-parser chains set operations left to right; ORDER BY / LIMIT of the last arm apply to all
  const arms: Ast[] = [];
  const ops: string[] = [];
  for (let a: Ast = ast; a; a = a._next) {
    arms.push(a);
    if (a._next) ops.push(String(a.set_op).toLowerCase());
  }
  const last = arms[arms.length - 1]!;
  // each arm is its own query level; its outer references count as this level's
  const armScope = (): Scope => new Scope(scope.parent);
  const firstScope = armScope();
  let left = bindSelect(ctx, arms[0]!, firstScope, null, null);
  for (const id of firstScope.outerRefs) scope.outerRefs.add(id);
  for (let i = 1; i < arms.length; i++) {
    const s = armScope();
    const right = bindSelect(ctx, arms[i]!, s, null, null);
    for (const id of s.outerRefs) scope.outerRefs.add(id);
    left = combine(ctx, ops[i - 1]!, left, right);
  }
  return orderAndLimit(ctx, scope, left, last.orderby, last.limit);
}

function combine(ctx: BindCtx, opText: string, l: BoundQuery, r: BoundQuery): BoundQuery {
  const all = /\ball\b/.test(opText);
  const op = opText.startsWith('union') ? 'union' : opText.startsWith('intersect') ? 'intersect' : opText.startsWith('except') || opText.startsWith('minus') ? 'except' : null;
  if (!op) throw new DuetError(SqlState.featureNotSupported, `set operation ${opText} is not supported`);
  if (l.cols.length !== r.cols.length) {
    throw new DuetError(SqlState.syntaxError, `each ${op.toUpperCase()} query must have the same number of columns`);
  }
  const types: SqlType[] = l.cols.map((c, i) => {
    const t = commonType(c.type, r.cols[i]!.type, `${op.toUpperCase()}`);
    return t.id === 'null' ? Types.text : t;
  });
  const lp = castTo(ctx, l, types);
  const rp = castTo(ctx, r, types);
  const cols = l.cols.map((c, i) => ctx.ids.col(c.name, types[i]!));
  const plan: Plan = { kind: 'setop', op, all, left: lp.plan, right: rp.plan, cols };
  return { plan, cols };
}

/** Adds a projection casting a query's columns to `types` where they differ. */
function castTo(ctx: BindCtx, q: BoundQuery, types: SqlType[]): BoundQuery {
  const need = q.cols.some((c, i) => c.type.id !== types[i]!.id || (c.type.scale ?? 0) !== (types[i]!.scale ?? 0) || c.type.length !== types[i]!.length);
  if (!need) return q;
  const exprs = q.cols.map((c, i) => coerce(E.col(c.id, c.type), types[i]!));
  const cols = q.cols.map((c, i) => ctx.ids.col(c.name, types[i]!));
  return { plan: { kind: 'project', input: q.plan, exprs, cols }, cols };
}

interface SelectItem { expr: Expr; name: string; ast: Ast | null }

function bindSelect(ctx: BindCtx, ast: Ast, scope: Scope, orderby: Ast, limit: Ast): BoundQuery {
  if (ast.type !== 'select') throw new DuetError(SqlState.featureNotSupported, `a ${String(ast.type)} statement cannot be used as a query here`);
  let plan: Plan = bindFrom(ctx, ast.from, scope, (a, s) => bindQuery(ctx, a, s));
  const plainEnv = envFor(ctx, scope, null);
  if (ast.where) {
    if (containsAggregate(ast.where)) throw new DuetError(SqlState.groupingError, 'aggregate functions are not allowed in WHERE', locPos(ctx, ast.where));
    plan = { kind: 'filter', input: plan, pred: toBool(plainEnv, bindExpr(plainEnv, ast.where), ast.where) };
  }
  const columnsAst: Ast[] = Array.isArray(ast.columns) ? ast.columns : [{ expr: { type: 'column_ref', table: null, column: '*' }, as: null }];
  const groupAsts: Ast[] = ast.groupby?.columns ?? (Array.isArray(ast.groupby) ? ast.groupby : []);
  const grouped = groupAsts.length > 0 || ast.having || columnsAst.some((c) => containsAggregate(c.expr)) || (orderby ?? []).some((o: Ast) => containsAggregate(o.expr));
  const agg = grouped ? new AggCollector(ctx) : null;
  const env = envFor(ctx, scope, agg);

  // select list (bound before GROUP BY so GROUP BY can name output columns or positions)
  const items: SelectItem[] = [];
  for (const c of columnsAst) {
    if (c.expr?.type === 'column_ref' && identName(c.expr.column) === '*') {
      items.push(...expandStar(ctx, scope, c.expr.table ? identName(c.expr.table).toLowerCase() : null));
      continue;
    }
    const expr = bindExpr(env, c.expr);
    items.push({ expr, name: outputName(c), ast: c.expr });
  }

  let groups: Expr[] = [];
  if (grouped) {
    groups = groupAsts.map((g) => bindGroupItem(ctx, env, scope, g, items));
    const groupCols = groups.map((g, i) => ctx.ids.col(g.kind === 'col' ? (outputCols(plan).find((c) => c.id === g.id)?.name ?? `group${i}`) : `group${i}`, g.type));
    const having = ast.having ? toBool(env, bindExpr(env, ast.having), ast.having) : null;
    // ORDER BY may add aggregates too: bind it now, while the collector is open
    const orderKeys = bindOrderKeys(ctx, env, orderby, items);
    const aggCols = agg!.cols;
    plan = { kind: 'aggregate', input: plan, groups, aggs: agg!.aggs, cols: [...groupCols, ...aggCols] };
    const rewrite = (e: Expr): Expr => overGroups(ctx, e, groups, groupCols, new Set(aggCols.map((c) => c.id)), scope);
    if (having) plan = { kind: 'filter', input: plan, pred: rewrite(having) };
    for (const it of items) it.expr = rewrite(it.expr);
    const keys = orderKeys.map((k) => (k.kind === 'expr' ? { ...k, expr: rewrite(k.expr) } : k));
    return finish(ctx, ast, plan, items, keys, limit);
  }
  const orderKeys = bindOrderKeys(ctx, env, orderby, items);
  return finish(ctx, ast, plan, items, orderKeys, limit);
}

function outputName(c: Ast): string {
  if (c.as) return identName(c.as).toLowerCase();
  const e = c.expr;
  if (e?.type === 'column_ref') return identName(e.column).toLowerCase();
  if (e?.type === 'aggr_func') return String(e.name).toLowerCase();
  if (e?.type === 'function') {
    const n = e.name?.name ? identName(e.name.name[0]) : identName(e.name);
    const m = /^__(\w+)_distinct$/.exec(n);
    return (m ? m[1]! : n).toLowerCase();
  }
  if (e?.type === 'cast') return outputName({ expr: e.expr }) === '?column?' ? String(e.target?.[0]?.dataType ?? '?column?').toLowerCase() : outputName({ expr: e.expr });
  if (e?.type === 'extract') return 'extract';
  if (e?.type === 'case') return 'case';
  if (e?.ast && !e.type) return '?column?';
  return '?column?';
}

function expandStar(ctx: BindCtx, scope: Scope, table: string | null): SelectItem[] {
  const items = scope.items.filter((i) => !i.hidden && (table === null || i.table === table));
  if (table !== null && items.length === 0 && !scope.tables().has(table)) {
    throw new DuetError(SqlState.undefinedTable, `missing FROM-clause entry for table "${table}"`, posOpt(ctx, table));
  }
  if (table === null && scope.items.length === 0) {
    throw new DuetError(SqlState.syntaxError, 'SELECT * with no tables specified is not valid');
  }
  return items.map((i) => ({ expr: E.col(i.col.id, i.col.type), name: i.name, ast: null }));
}

function bindGroupItem(ctx: BindCtx, env: ExprEnv, scope: Scope, g: Ast, items: SelectItem[]): Expr {
  const plain: ExprEnv = { ...env, agg: null };
  if (g.type === 'number' && Number.isInteger(Number(g.value))) {
    const it = items[Number(g.value) - 1];
    if (!it) throw new DuetError(SqlState.syntaxError, `GROUP BY position ${g.value} is not in select list`, locPos(ctx, g));
    return it.expr;
  }
  if (g.type === 'column_ref' && !g.table) {
    const name = identName(g.column).toLowerCase();
    const inScope = scope.items.some((i) => i.name === name);
    if (!inScope) {
      const it = items.find((i) => i.name === name);
      if (it) return it.expr;
    }
  }
  return bindExpr(plain, g);
}

/**
 * After aggregation only group keys and aggregates exist: replaces group-key subexpressions by the
 * Aggregate's output columns; any other column of this query level is a grouping error (42803).
 */
function overGroups(ctx: BindCtx, e: Expr, groups: Expr[], groupCols: Col[], aggIds: Set<number>, scope: Scope): Expr {
  const keys = new Map(groups.map((g, i) => [exprKey(g), groupCols[i]!]));
  const local = new Set(scope.items.map((i) => i.col.id));
  const walk = (x: Expr): Expr => {
    const hit = keys.get(exprKey(x));
    if (hit) return E.col(hit.id, hit.type);
    switch (x.kind) {
      case 'col':
        if (aggIds.has(x.id) || !local.has(x.id)) return x;
        {
          const name = scope.items.find((i) => i.col.id === x.id)!;
          throw new DuetError(SqlState.groupingError, `column "${name.table ? name.table + '.' : ''}${name.name}" must appear in the GROUP BY clause or be used in an aggregate function`, posOpt(ctx, name.name));
        }
      case 'call': return { ...x, args: x.args.map(walk) };
      case 'case': return { ...x, whens: x.whens.map((w) => ({ when: walk(w.when), then: walk(w.then) })), otherwise: x.otherwise ? walk(x.otherwise) : null };
      case 'cast': return { ...x, expr: walk(x.expr) };
      case 'subquery': {
        // a subquery reading this level's columns after GROUP BY reads the group keys instead
        const rename = new Map<number, number>();
        for (const id of x.outerRefs) {
          if (!local.has(id)) continue;
          const hitCol = keys.get(`#${id}`);
          if (!hitCol) {
            const name = scope.items.find((i) => i.col.id === id)!;
            throw new DuetError(SqlState.groupingError, `subquery uses ungrouped column "${name.table ? name.table + '.' : ''}${name.name}" from outer query`, posOpt(ctx, name.name));
          }
          rename.set(id, hitCol.id);
        }
        const plan = rename.size > 0 ? renameCols(x.plan, rename) : x.plan;
        const outerRefs = x.outerRefs.map((id) => rename.get(id) ?? id);
        return { ...x, plan, outerRefs, lhs: x.lhs ? walk(x.lhs) : null };
      }
      default: return x;
    }
  };
  return walk(e);
}

type OrderKey = { kind: 'item'; index: number; desc: boolean; nullsFirst: boolean } | { kind: 'expr'; expr: Expr; desc: boolean; nullsFirst: boolean };

function bindOrderKeys(ctx: BindCtx, env: ExprEnv, orderby: Ast, items: SelectItem[]): OrderKey[] {
  if (!Array.isArray(orderby)) return [];
  return (orderby as Ast[]).map((o) => {
    const desc = String(o.type ?? '').toUpperCase() === 'DESC';
    const nulls = String(o.nulls ?? '').toLowerCase();
    const nullsFirst = nulls.includes('first') ? true : nulls.includes('last') ? false : desc;
    const e = o.expr;
    if (e?.type === 'number' && Number.isInteger(Number(e.value))) {
      const index = Number(e.value) - 1;
      if (!items[index]) throw new DuetError(SqlState.syntaxError, `ORDER BY position ${e.value} is not in select list`, locPos(ctx, e));
      return { kind: 'item', index, desc, nullsFirst };
    }
    if (e?.type === 'column_ref' && !e.table) {
      const name = identName(e.column).toLowerCase();
      const matches = items.map((it, i) => (it.name === name ? i : -1)).filter((i) => i >= 0);
      if (matches.length >= 1 && !(matches.length > 1 && !matches.every((m) => exprKey(items[m]!.expr) === exprKey(items[matches[0]!]!.expr)))) {
        return { kind: 'item', index: matches[0]!, desc, nullsFirst };
      }
    }
    return { kind: 'expr', expr: bindExpr(env, e), desc, nullsFirst };
  });
}

function finish(ctx: BindCtx, ast: Ast, input: Plan, items: SelectItem[], orderKeys: OrderKey[], limit: Ast): BoundQuery {
  const distinct = String(ast.distinct?.type ?? ast.distinct ?? '').toUpperCase() === 'DISTINCT';
  const exprs = items.map((i) => i.expr);
  const visible = items.map((it) => ctx.ids.col(it.name, it.expr.type === Types.null || it.expr.type.id === 'null' ? Types.text : it.expr.type));
  const hidden: Expr[] = [];
  const sortKeys: SortKey[] = [];
  for (const k of orderKeys) {
    if (k.kind === 'item') {
      sortKeys.push({ expr: E.col(visible[k.index]!.id, visible[k.index]!.type), desc: k.desc, nullsFirst: k.nullsFirst });
      continue;
    }
    const at = exprs.findIndex((x) => exprKey(x) === exprKey(k.expr));
    if (at >= 0) {
      sortKeys.push({ expr: E.col(visible[at]!.id, visible[at]!.type), desc: k.desc, nullsFirst: k.nullsFirst });
      continue;
    }
    if (distinct) throw new DuetError(SqlState.syntaxError, 'for SELECT DISTINCT, ORDER BY expressions must appear in select list');
    hidden.push(k.expr);
    sortKeys.push({ expr: k.expr, desc: k.desc, nullsFirst: k.nullsFirst });
  }
  const hiddenCols = hidden.map((h, i) => ctx.ids.col(`?sort${i}`, h.type));
  // null-typed outputs (SELECT NULL) become text so every layer sees a concrete type
  const projExprs = [...exprs.map((x, i) => (x.type.id === 'null' ? coerce(x, visible[i]!.type) : x)), ...hidden];
  let plan: Plan = { kind: 'project', input, exprs: projExprs, cols: [...visible, ...hiddenCols] };
  if (distinct) plan = { kind: 'distinct', input: plan };
  if (sortKeys.length > 0) {
    const keys = sortKeys.map((k) => {
      const hi = hidden.indexOf(k.expr);
      return hi >= 0 ? { ...k, expr: E.col(hiddenCols[hi]!.id, hiddenCols[hi]!.type) } : k;
    });
    plan = { kind: 'sort', input: plan, keys };
  }
  plan = applyLimit(ctx, plan, limit);
  if (hidden.length > 0) plan = { kind: 'project', input: plan, exprs: visible.map((c) => E.col(c.id, c.type)), cols: visible };
  return { plan, cols: visible };
}

function orderAndLimit(ctx: BindCtx, scope: Scope, q: BoundQuery, orderby: Ast, limit: Ast): BoundQuery {
  let plan = q.plan;
  if (Array.isArray(orderby) && orderby.length > 0) {
    const items: SelectItem[] = q.cols.map((c) => ({ expr: E.col(c.id, c.type), name: c.name, ast: null }));
    const s = new Scope(scope.parent);
    s.add(q.cols.map((c) => ({ table: null, name: c.name, col: c })));
    const keys = bindOrderKeys(ctx, envFor(ctx, s, null), orderby, items).map((k) =>
      k.kind === 'item' ? { expr: items[k.index]!.expr, desc: k.desc, nullsFirst: k.nullsFirst } : { expr: k.expr, desc: k.desc, nullsFirst: k.nullsFirst },
    );
    plan = { kind: 'sort', input: plan, keys };
  }
  return { plan: applyLimit(ctx, plan, limit), cols: q.cols };
}

function applyLimit(ctx: BindCtx, plan: Plan, limit: Ast): Plan {
  const values: Ast[] = (limit?.value ?? []).map((v: Ast) => (v?.type === 'origin' && String(v.value).toLowerCase() === 'all' ? { type: 'null', value: null } : v));
  if (values.length === 0) return plan;
  const env = envFor(ctx, new Scope(null), null);
  const sep = String(limit.seperator ?? '').toLowerCase();
  let lim: Expr | null = null;
  let off: Expr | null = null;
  if (values.length === 2) {
    if (sep === ',') { off = bindExpr(env, values[0]); lim = bindExpr(env, values[1]); } else { lim = bindExpr(env, values[0]); off = bindExpr(env, values[1]); }
  } else if (sep === 'offset' && values.length === 1) off = bindExpr(env, values[0]);
  else lim = bindExpr(env, values[0]);
  const asInt = (e: Expr | null): Expr | null => (e === null ? null : coerce(e, Types.bigint));
  return { kind: 'limit', input: plan, limit: asInt(lim), offset: asInt(off) };
}

// Generic traversals of logical plans: rebuild with mapped children or expressions, and collect the
// column ids a subtree's expressions read.

import { exprCols, mapExpr, type Expr } from './expr.ts';
import type { Plan } from './logical.ts';

/** Rebuilds `p` with each direct child replaced by f(child). */
export function withChildren(p: Plan, f: (c: Plan) => Plan): Plan {
  switch (p.kind) {
    case 'scan': case 'values': return p;
    case 'join': return { ...p, left: f(p.left), right: f(p.right) };
    case 'setop': return { ...p, left: f(p.left), right: f(p.right) };
    default: return { ...p, input: f(p.input) } as Plan;
  }
}

/** Rebuilds one node with every expression it holds (not its children's) mapped by f. */
export function mapNodeExprs(p: Plan, f: (e: Expr) => Expr): Plan {
  switch (p.kind) {
    case 'scan': return p;
    case 'values': return { ...p, rows: p.rows.map((r) => r.map(f)) };
    case 'filter': return { ...p, pred: f(p.pred) };
    case 'project': return { ...p, exprs: p.exprs.map(f) };
    case 'join': return { ...p, cond: p.cond ? f(p.cond) : null };
    case 'aggregate': return { ...p, groups: p.groups.map(f), aggs: p.aggs.map((a) => ({ ...a, arg: a.arg ? f(a.arg) : null, ...(a.filter ? { filter: f(a.filter) } : {}) })) };
    case 'sort': return { ...p, keys: p.keys.map((k) => ({ ...k, expr: f(k.expr) })) };
    case 'limit': return { ...p, limit: p.limit ? f(p.limit) : null, offset: p.offset ? f(p.offset) : null };
    default: return p;
  }
}

/** The expressions one node holds. */
export function nodeExprs(p: Plan): Expr[] {
  const out: Expr[] = [];
  mapNodeExprs(p, (e) => { out.push(e); return e; });
  return out;
}

/** Maps every expression in the whole subtree (bottom-up, through f applied to each whole expression). */
export function mapPlanExprs(p: Plan, f: (e: Expr) => Expr): Plan {
  return mapNodeExprs(withChildren(p, (c) => mapPlanExprs(c, f)), f);
}

/** Column ids read anywhere in the subtree (including subqueries' outer references). */
export function planRefs(p: Plan, out: Set<number> = new Set()): Set<number> {
  for (const e of nodeExprs(p)) exprCols(e, out);
  withChildren(p, (c) => { planRefs(c, out); return c; });
  return out;
}

/** Renames column references by id in all expressions of a subtree. */
export function renameCols(p: Plan, map: Map<number, number>): Plan {
  return mapPlanExprs(p, (e) => mapExpr(e, (x) => (x.kind === 'col' && map.has(x.id) ? { ...x, id: map.get(x.id)! } : x)));
}

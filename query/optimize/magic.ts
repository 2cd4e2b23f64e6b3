// Magic-set reduction for a decorrelated aggregate: the outer query's keys (a superset of them, read from
// the part of the outer plan that produces them) filter the aggregate's input by a semi join, so the
// aggregate computes only the groups the outer query can meet (TPC-H Q17: 20 parts instead of 20,000).

import { conjuncts, E, exprCols, hasSubquery, type Expr } from '../plan/expr.ts';
import { outputCols, type Col, type IdGen, type Plan } from '../plan/logical.ts';
import { renameCols, withChildren } from '../plan/walk.ts';

const BOOL = { id: 'boolean' } as const;

/**
 * A plan whose output holds every value tuple of the columns `keyIds` that `p` produces (maybe more), and
 * is cheaper than `p`: the input of the join side that produces the keys, with the filters over it alone.
 */
export function keySource(p: Plan, keyIds: readonly number[]): Plan {
  const has = (x: Plan): boolean => {
    const ids = new Set(outputCols(x).map((c) => c.id));
    return keyIds.every((id) => ids.has(id));
  };
  switch (p.kind) {
    case 'filter': {
      const src = keySource(p.input, keyIds);
      if (src === p.input) return p;
      // a conjunct over the source's columns alone held for every row of p, so it holds for the source
      const ids = new Set(outputCols(src).map((c) => c.id));
      const local = conjuncts(p.pred).filter((c) => !hasSubquery(c) && [...exprCols(c)].every((id) => ids.has(id)));
      return local.length === 0 ? src : { kind: 'filter', input: src, pred: local.length === 1 ? local[0]! : E.call('and', local, BOOL) };
    }
    case 'join':
      if (p.joinType === 'inner' || p.joinType === 'cross') {
        if (has(p.left)) return keySource(p.left, keyIds);
        if (has(p.right)) return keySource(p.right, keyIds);
        return p;
      }
      // a left join keeps every left row; semi/anti joins only remove rows (kept whole: they restrict)
      if (p.joinType === 'left' && has(p.left)) return keySource(p.left, keyIds);
      return p;
    default: return p;
  }
}

/** Number of joins in a plan (how much recomputing a copy of it would cost, roughly). */
export function joinCount(p: Plan): number {
  let n = p.kind === 'join' ? 1 : 0;
  withChildren(p, (c) => { n += joinCount(c); return c; });
  return n;
}

/** A copy of `p` whose every column has a fresh id (a plan tree may not produce one id twice). */
export function freshCopy(p: Plan, ids: IdGen): { plan: Plan; map: Map<number, number> } {
  const map = new Map<number, number>();
  const fresh = (cols: readonly Col[]): Col[] => cols.map((c) => {
    const n = ids.col(c.name, c.type);
    map.set(c.id, n.id);
    return n;
  });
  const redefine = (x: Plan): Plan => {
    const y = withChildren(x, redefine);
    switch (y.kind) {
      case 'scan': case 'values': case 'project': case 'aggregate': case 'setop': return { ...y, cols: fresh(y.cols) } as Plan;
      default: return y;
    }
  };
  const defined = redefine(p);
  return { plan: renameCols(defined, map), map };
}

/**
 * `semi(p, keys)`, placed as deep as the inner key columns allow: through filters and into the inner-join
 * side that produces them, so the reduction happens before the other joins of the subquery.
 */
export function placeSemi(p: Plan, innerKeys: readonly Expr[], keys: Plan, cond: Expr): Plan {
  const need = new Set<number>();
  for (const k of innerKeys) exprCols(k, need);
  const within = (x: Plan): boolean => {
    const ids = new Set(outputCols(x).map((c) => c.id));
    return [...need].every((id) => ids.has(id));
  };
  if (p.kind === 'filter' && within(p.input)) return { ...p, input: placeSemi(p.input, innerKeys, keys, cond) };
  if (p.kind === 'join' && (p.joinType === 'inner' || p.joinType === 'cross')) {
    if (within(p.left)) return { ...p, left: placeSemi(p.left, innerKeys, keys, cond) };
    if (within(p.right)) return { ...p, right: placeSemi(p.right, innerKeys, keys, cond) };
  }
  return { kind: 'join', joinType: 'semi', left: p, right: keys, cond, nullAware: false };
}

// Predicate pushdown and join ordering: WHERE conjuncts move as close to the scans as they can go
// (through projections and group keys by substitution), and each region of inner/comma joins is
// re-ordered greedily so every join has an equi-predicate when one exists (no accidental cross products).

import { conjuncts, E, exprCols, exprKey, mapExpr, hasSubquery, type Expr } from '../plan/expr.ts';
import { outputCols, type Plan } from '../plan/logical.ts';

const BOOL = { id: 'boolean' } as const;

export function pushDown(plan: Plan): Plan {
  return push(plan, []);
}

function filterOver(p: Plan, preds: Expr[]): Plan {
  if (preds.length === 0) return p;
  return { kind: 'filter', input: p, pred: preds.length === 1 ? preds[0]! : E.call('and', preds, BOOL) };
}

function idsOf(p: Plan): Set<number> {
  return new Set(outputCols(p).map((c) => c.id));
}

function within(e: Expr, ids: Set<number>): boolean {
  for (const id of exprCols(e)) if (!ids.has(id)) return false;
  return true;
}

function push(p: Plan, preds: Expr[]): Plan {
  switch (p.kind) {
    case 'filter': return push(p.input, [...preds, ...conjuncts(p.pred).flatMap(factorOr)]);
    case 'join': return pushJoin(p, preds);
    case 'project': {
      const map = new Map(p.cols.map((c, i) => [c.id, p.exprs[i]!]));
      const down: Expr[] = [];
      const keep: Expr[] = [];
      for (const pr of preds) {
        if (hasSubquery(pr)) { keep.push(pr); continue; }
        const inlined = mapExpr(pr, (x) => (x.kind === 'col' && map.has(x.id) ? map.get(x.id)! : x));
        (hasSubquery(inlined) ? keep : down).push(hasSubquery(inlined) ? pr : inlined);
      }
      return filterOver({ ...p, input: push(p.input, down) }, keep);
    }
    case 'aggregate': {
      const groupMap = new Map(p.groups.map((g, i) => [p.cols[i]!.id, g]));
      const down: Expr[] = [];
      const keep: Expr[] = [];
      for (const pr of preds) {
        const cols = [...exprCols(pr)];
        if (p.groups.length > 0 && cols.length > 0 && cols.every((id) => groupMap.has(id)) && !hasSubquery(pr)) {
          down.push(mapExpr(pr, (x) => (x.kind === 'col' && groupMap.has(x.id) ? groupMap.get(x.id)! : x)));
        } else keep.push(pr);
      }
      return filterOver({ ...p, input: push(p.input, down) }, keep);
    }
    case 'sort': case 'distinct': return { ...p, input: push(p.input, preds) };
    case 'limit': case 'singlerow': return filterOver({ ...p, input: push(p.input, []) }, preds);
    case 'setop': return filterOver({ ...p, left: push(p.left, []), right: push(p.right, []) }, preds);
    case 'scan': case 'values': return filterOver(p, preds);
  }
}

function pushJoin(p: Extract<Plan, { kind: 'join' }>, preds: Expr[]): Plan {
  if (p.joinType === 'inner' || p.joinType === 'cross') return orderRegion(p, preds);
  const leftIds = idsOf(p.left);
  const rightIds = idsOf(p.right);
  const cond = p.cond ? conjuncts(p.cond) : [];
  if (p.joinType === 'left' || p.joinType === 'semi' || p.joinType === 'anti') {
    const toLeft = preds.filter((x) => within(x, leftIds));
    const above = preds.filter((x) => !within(x, leftIds));
    // ON conjuncts over the inner (right) side alone can filter it before the join
    const toRight = cond.filter((c) => within(c, rightIds) && exprCols(c).size > 0);
    const stay = cond.filter((c) => !toRight.includes(c));
    const joined: Plan = { ...p, left: push(p.left, toLeft), right: push(p.right, toRight), cond: stay.length === 0 ? null : stay.length === 1 ? stay[0]! : E.call('and', stay, BOOL) };
    return filterOver(joined, above);
  }
  return filterOver({ ...p, left: push(p.left, []), right: push(p.right, []) }, preds);
}

/** Flattens a tree of inner/cross joins, pushes single-relation predicates down, joins greedily. */
function orderRegion(root: Extract<Plan, { kind: 'join' }>, preds: Expr[]): Plan {
  const leaves: Plan[] = [];
  const all: Expr[] = [...preds];
  const flatten = (x: Plan): void => {
    if (x.kind === 'join' && (x.joinType === 'inner' || x.joinType === 'cross')) {
      flatten(x.left);
      flatten(x.right);
      if (x.cond) all.push(...conjuncts(x.cond));
    } else if (x.kind === 'filter' && x.input.kind === 'join' && (x.input.joinType === 'inner' || x.input.joinType === 'cross')) {
      all.push(...conjuncts(x.pred));
      flatten(x.input);
    } else leaves.push(x);
  };
  flatten(root);
  const leafIds = leaves.map(idsOf);
  const multi: Expr[] = [];
  const perLeaf: Expr[][] = leaves.map(() => []);
  for (const pr of all) {
    const cols = exprCols(pr);
    const owner = cols.size === 0 ? -1 : leafIds.findIndex((ids) => within(pr, ids));
    if (owner >= 0 && !hasSubquery(pr)) perLeaf[owner]!.push(pr);
    else multi.push(pr);
  }
  const pending = leaves.map((l, i) => ({ plan: push(l, perLeaf[i]!), ids: leafIds[i]! }));
  let current = pending.shift()!;
  let rest = multi;
  while (pending.length > 0) {
    const connects = (cand: { ids: Set<number> }): boolean =>
      rest.some((pr) => isEquiBetween(pr, current.ids, cand.ids));
    let k = pending.findIndex(connects);
    if (k < 0) k = pending.findIndex((cand) => rest.some((pr) => touchesBoth(pr, current.ids, cand.ids)));
    if (k < 0) k = 0;
    const next = pending.splice(k, 1)[0]!;
    const ids = new Set([...current.ids, ...next.ids]);
    const cond = rest.filter((pr) => exprCols(pr).size > 0 && within(pr, ids) && !hasSubquery(pr));
    rest = rest.filter((pr) => !cond.includes(pr));
    current = {
      plan: { kind: 'join', joinType: cond.length > 0 ? 'inner' : 'cross', left: current.plan, right: next.plan, cond: cond.length === 0 ? null : cond.length === 1 ? cond[0]! : E.call('and', cond, BOOL), nullAware: false },
      ids,
    };
  }
  return filterOver(current.plan, rest);
}

/** (A AND B) OR (A AND C) → A AND (B OR C): exposes join predicates repeated in every disjunct. */
function factorOr(e: Expr): Expr[] {
  if (e.kind !== 'call' || e.fn !== 'or') return [e];
  const arms = flattenOr(e).map(conjuncts);
  const firstKeys = arms[0]!.map(exprKey);
  const common = firstKeys.filter((k) => arms.every((a) => a.some((c) => exprKey(c) === k)));
  if (common.length === 0) return [e];
  const commonSet = new Set(common);
  const commonExprs = arms[0]!.filter((c) => commonSet.has(exprKey(c)));
  const rests = arms.map((a) => a.filter((c) => !commonSet.has(exprKey(c))));
  // an arm left empty is TRUE, which makes the whole OR true
  if (rests.some((r) => r.length === 0)) return commonExprs;
  const orArms = rests.map((r) => (r.length === 1 ? r[0]! : E.call('and', r, BOOL)));
  return [...commonExprs, E.call('or', orArms, BOOL)];
}

function flattenOr(e: Expr): Expr[] {
  if (e.kind === 'call' && e.fn === 'or') return e.args.flatMap(flattenOr);
  return [e];
}

function isEquiBetween(pr: Expr, a: Set<number>, b: Set<number>): boolean {
  if (pr.kind !== 'call' || pr.fn !== '=' || pr.args.length !== 2) return false;
  const [x, y] = pr.args as [Expr, Expr];
  const xs = exprCols(x);
  const ys = exprCols(y);
  if (xs.size === 0 || ys.size === 0) return false;
  return (within(x, a) && within(y, b)) || (within(x, b) && within(y, a));
}

function touchesBoth(pr: Expr, a: Set<number>, b: Set<number>): boolean {
  const cols = [...exprCols(pr)];
  const ab = new Set([...a, ...b]);
  return cols.some((c) => a.has(c)) && cols.some((c) => b.has(c)) && cols.every((c) => ab.has(c));
}

// Predicate pushdown and join ordering: WHERE conjuncts move as close to the scans as they can go
// (through projections and group keys by substitution), and each region of inner/comma joins is
// re-ordered greedily so every join has an equi-predicate when one exists (no accidental cross products).

import { conjuncts, E, exprCols, exprKey, mapExpr, hasSubquery, type Expr } from '../plan/expr.ts';
import { outputCols, type Plan } from '../plan/logical.ts';
import { equiClasses, withoutRedundant } from './join-graph.ts';

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
  if (p.joinType === 'semi' && selectiveByShape(p.right)) {
    const sunk = sinkSemi(p, p.left);
    if (sunk) return push(sunk, preds);
  }
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

/**
 * A semi join's build side that keeps few rows by its shape: groups kept by a HAVING filter (TPC-H Q18's
 * `IN (SELECT l_orderkey ... GROUP BY ... HAVING sum(...) > 300)`). Without row statistics that is the
 * one case where reducing a relation before the other joins is sure to pay.
 */
function selectiveByShape(p: Plan): boolean {
  let x = p;
  while (x.kind === 'project' || x.kind === 'distinct') x = x.input;
  return x.kind === 'filter' && x.input.kind === 'aggregate';
}

/**
 * semi(A ⋈ B, R) = semi(A, R) ⋈ B when the semi join's condition reads only A (and R): the semi join moves
 * onto the relation of the inner-join region that holds its columns; null when no single one does.
 */
function sinkSemi(semi: Extract<Plan, { kind: 'join' }>, x: Plan): Plan | null {
  const rightIds = idsOf(semi.right);
  const need = [...exprCols(semi.cond ?? E.const(true, BOOL))].filter((id) => !rightIds.has(id));
  const holds = (y: Plan): boolean => { const ids = idsOf(y); return need.every((id) => ids.has(id)); };
  const sink = (y: Plan, top: boolean): Plan | null => {
    if (y.kind === 'filter') { const i = sink(y.input, top); return i && { ...y, input: i }; }
    if (y.kind === 'join' && (y.joinType === 'inner' || y.joinType === 'cross')) {
      if (holds(y.left)) { const l = sink(y.left, false); return l && { ...y, left: l }; }
      if (holds(y.right)) { const r = sink(y.right, false); return r && { ...y, right: r }; }
      return null;
    }
    return top ? null : { ...semi, left: y };
  };
  return need.length === 0 ? null : sink(x, true);
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
  for (const pr of multi) {
    leafIds.forEach((ids, i) => {
      const implied = impliedFor(pr, ids);
      if (implied) perLeaf[i]!.push(implied);
    });
  }
  const classes = equiClasses(multi, leafIds);
  multi.push(...classes.implied);
  const pending = leaves.map((l, i) => ({ plan: push(l, perLeaf[i]!), ids: leafIds[i]!, leaf: l, filtered: perLeaf[i]!.length > 0 }));
  let current: { plan: Plan; ids: Set<number> } = pending.splice(startLeaf(pending, multi), 1)[0]!;
  let rest = multi;
  while (pending.length > 0) {
    let k = bestConnected(pending, rest, current.ids);
    if (k < 0) k = pending.findIndex((cand) => rest.some((pr) => touchesBoth(pr, current.ids, cand.ids)));
    if (k < 0) k = 0;
    const next = pending.splice(k, 1)[0]!;
    const ids = new Set([...current.ids, ...next.ids]);
    const met = rest.filter((pr) => exprCols(pr).size > 0 && within(pr, ids) && !hasSubquery(pr));
    rest = rest.filter((pr) => !met.includes(pr));
    const cond = withoutRedundant(met, classes.classOf, current.ids);
    current = {
      plan: { kind: 'join', joinType: cond.length > 0 ? 'inner' : 'cross', left: current.plan, right: next.plan, cond: cond.length === 0 ? null : cond.length === 1 ? cond[0]! : E.call('and', cond, BOOL), nullAware: false },
      ids,
    };
  }
  return filterOver(current.plan, rest);
}

/**
 * Where the greedy order starts: the first relation (FROM order) that has its own filter and is joined on its
 * whole primary key (a filtered dimension: TPC-H Q5's region), else the first one. Starting there never makes
 * an intermediate result larger than reaching it later would (a key join cannot multiply rows), and the
 * filter cuts every join after it. Which filtered dimension is the best start depends on its filter's
 * selectivity, which nothing here knows (see README: starting at the tip of the key-reference chain helped Q21
 * and hurt Q7/Q8).
 */
function startLeaf(pending: readonly { ids: Set<number>; leaf: Plan; filtered: boolean }[], preds: readonly Expr[]): number {
  const k = pending.findIndex((cand) => cand.filtered && pending.some((other) => other !== cand &&
    onPrimaryKey(cand.leaf, preds.filter((pr) => isEquiBetween(pr, other.ids, cand.ids)), cand.ids)));
  return k < 0 ? 0 : k;
}

/**
 * Greedy choice among the leaves joined to `current` by an equi-predicate: first a leaf joined on its whole
 * primary key that has its own filter (the join can only shrink the rows), then one joined on its primary
 * key (the rows never grow), then any; ties keep FROM order. -1 when none is equi-connected.
 */
function bestConnected(pending: readonly { ids: Set<number>; leaf: Plan; filtered: boolean }[], preds: readonly Expr[], current: Set<number>): number {
  let best = -1;
  let bestScore = -1;
  pending.forEach((cand, i) => {
    const equis = preds.filter((pr) => isEquiBetween(pr, current, cand.ids));
    if (equis.length === 0) return;
    const score = (onPrimaryKey(cand.leaf, equis, cand.ids) ? 2 : 0) + (cand.filtered ? 1 : 0);
    if (score > bestScore) { best = i; bestScore = score; }
  });
  return best;
}

/** True when the equalities bind every primary-key column of `leaf` (a table scan) to the other side. */
function onPrimaryKey(leaf: Plan, equis: readonly Expr[], ids: Set<number>): boolean {
  if (leaf.kind !== 'scan' || leaf.table.hiddenRowId || leaf.table.primaryKey.length === 0) return false;
  const bound = new Set<number>();
  for (const pr of equis) {
    for (const side of (pr as Extract<Expr, { kind: 'call' }>).args) {
      if (side.kind === 'col' && ids.has(side.id)) bound.add(side.id);
    }
  }
  return leaf.table.primaryKey.every((ord) => {
    const col = leaf.cols[ord];
    return col !== undefined && bound.has(col.id);
  });
}

/**
 * An OR whose every arm has conjuncts over one relation alone implies the OR of those conjuncts for that
 * relation: `(n1.a = 'X' AND n2.a = 'Y') OR (n1.a = 'Y' AND n2.a = 'X')` implies `n1.a = 'X' OR n1.a = 'Y'`.
 * The implied predicate filters the relation before the join; the OR itself stays above it.
 */
function impliedFor(pr: Expr, ids: Set<number>): Expr | null {
  if (pr.kind !== 'call' || pr.fn !== 'or' || hasSubquery(pr) || within(pr, ids)) return null;
  const arms: Expr[] = [];
  for (const arm of flattenOr(pr)) {
    const local = conjuncts(arm).filter((c) => exprCols(c).size > 0 && within(c, ids));
    if (local.length === 0) return null;
    arms.push(local.length === 1 ? local[0]! : E.call('and', local, BOOL));
  }
  return E.call('or', arms, BOOL);
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

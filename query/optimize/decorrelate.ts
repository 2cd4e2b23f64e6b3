// Removes subqueries from expressions by turning them into joins, so no subquery runs once per row:
// - [NOT] EXISTS / [NOT] IN in a WHERE conjunct → semi / anti join (null-aware for NOT IN), with the
//   correlated predicates pulled up into the join condition;
// - scalar subqueries (and EXISTS / IN anywhere else) → a left join: uncorrelated ones through a
//   single-row guard, correlated ones by "magic set" unnesting: the distinct values of the outer columns
//   the subquery reads (D) are pushed into the subquery, which is then grouped by them.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types } from '../../oltp/types.ts';
import { conjuncts, E, exprCols, mapExpr, type Expr, type Subquery } from '../plan/expr.ts';
import { outputCols, type Col, type IdGen, type Plan } from '../plan/logical.ts';
import { mapNodeExprs, nodeExprs, planRefs, renameCols, withChildren } from '../plan/walk.ts';
import { foldConstant } from './fold.ts';
import { freshCopy, joinCount, keySource, placeSemi } from './magic.ts';

const BOOL = Types.boolean;

export function decorrelate(plan: Plan, ids: IdGen): Plan {
  return new Decorrelator(ids).plan(plan);
}

function and(parts: Expr[]): Expr | null {
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : E.call('and', parts, BOOL);
}

function hasSub(e: Expr): boolean {
  let found = false;
  mapExpr(e, (x) => { if (x.kind === 'subquery') found = true; return x; });
  return found;
}

function unsupported(what: string): DuetError {
  return new DuetError(SqlState.featureNotSupported, `this correlated subquery cannot be run: ${what}`, {
    hint: 'Correlated subqueries are supported in WHERE/SELECT when the correlation is in the subquery\'s WHERE clause.',
  });
}

class Decorrelator {
  constructor(private readonly ids: IdGen) {}

  plan(p: Plan): Plan {
    // subqueries nested inside subqueries are unnested first, inside their own query
    const inner = mapNodeExprs(p, (e) => (hasSub(e) ? mapExpr(e, (x) => (x.kind === 'subquery' ? { ...x, plan: this.plan(x.plan) } : x)) : e));
    const q = withChildren(inner, (c) => this.plan(c));
    const exprs = nodeExprs(q);
    if (!exprs.some(hasSub)) return q;
    switch (q.kind) {
      case 'filter': return this.filter(q);
      case 'join':
        throw new DuetError(SqlState.featureNotSupported, 'subqueries in JOIN ... ON conditions are not supported; move the condition to WHERE');
      default: return this.generic(q);
    }
  }

  /** Any node: attach each subquery to the node's input as a join, then restore the input's columns. */
  private generic(q: Plan): Plan {
    if (q.kind === 'scan' || q.kind === 'values' || q.kind === 'join' || q.kind === 'setop') {
      if (q.kind === 'values') throw new DuetError(SqlState.featureNotSupported, 'subqueries in VALUES are not supported');
      return q;
    }
    const input = (q as { input: Plan }).input;
    const original = outputCols(q);
    const state = { input };
    const rewritten = { ...mapNodeExprs(q, (e) => this.replaceScalars(e, state)), input: state.input } as Plan;
    // nodes that pass their input's columns through (sort...) must not leak the joined columns
    if (outputCols(rewritten).length !== original.length) {
      return { kind: 'project', input: rewritten, exprs: original.map((c) => E.col(c.id, c.type)), cols: original };
    }
    return rewritten;
  }

  private filter(q: Extract<Plan, { kind: 'filter' }>): Plan {
    const original = outputCols(q.input);
    let input = q.input;
    const rest: Expr[] = [];
    for (const c of conjuncts(q.pred)) {
      const semi = hasSub(c) ? this.trySemi(input, c) : null;
      if (semi) { input = semi; continue; }
      rest.push(c);
    }
    // plain conjuncts filter the input first: a correlated subquery's magic set is then taken from
    // the filtered rows only
    const plain = and(rest.filter((c) => !hasSub(c)));
    const state = { input: plain ? ({ kind: 'filter', input, pred: plain } as Plan) : input };
    const rewritten = rest.filter(hasSub).map((c) => this.replaceScalars(c, state));
    const pred = and(rewritten);
    let out: Plan = pred ? { kind: 'filter', input: state.input, pred } : state.input;
    if (outputCols(out).length !== original.length) {
      out = { kind: 'project', input: out, exprs: original.map((c) => E.col(c.id, c.type)), cols: original };
    }
    return out;
  }

  /** EXISTS / IN (or their negations) as a whole conjunct → semi/anti join; null if not applicable. */
  private trySemi(input: Plan, c: Expr): Plan | null {
    let negated = false;
    let e = c;
    if (e.kind === 'call' && e.fn === 'not' && e.args[0]?.kind === 'subquery') { negated = true; e = e.args[0]; }
    if (e.kind !== 'subquery' || e.mode === 'scalar') return null;
    if (e.lhs && hasSub(e.lhs)) return null;
    const available = new Set(outputCols(input).map((x) => x.id));
    if (!e.outerRefs.every((id) => available.has(id))) return null;
    const outer = new Set(e.outerRefs);
    let right = e.plan;
    let preds: Expr[] = [];
    if (outer.size > 0) {
      const pulled = pullUp(right, outer);
      if (!pulled) return null;
      right = pulled.plan;
      preds = pulled.preds;
    }
    if (e.mode === 'exists') {
      return { kind: 'join', joinType: negated ? 'anti' : 'semi', left: input, right, cond: and(preds), nullAware: false };
    }
    // a null-aware anti join looks at NULLs of the whole right side, but a correlated NOT IN must only
    // see the rows of its own outer row: leave that case to the scalar rewrite
    if (negated && preds.length > 0) return null;
    const rc = outputCols(right)[0]!;
    const lhs = e.lhs!;
    const rhs = lhs.type.id === rc.type.id && (lhs.type.scale ?? 0) === (rc.type.scale ?? 0) ? E.col(rc.id, rc.type) : E.cast(E.col(rc.id, rc.type), lhs.type);
    const eq = E.call('=', [lhs, rhs], BOOL);
    return { kind: 'join', joinType: negated ? 'anti' : 'semi', left: input, right, cond: and([eq, ...preds]), nullAware: negated };
  }

  /** Replaces every subquery in `e` by a column of a join attached to state.input. */
  private replaceScalars(e: Expr, state: { input: Plan }): Expr {
    return mapExpr(e, (x) => (x.kind === 'subquery' ? this.attach(state, x) : x));
  }

  private attach(state: { input: Plan }, s: Subquery): Expr {
    if (s.mode === 'exists') {
      const cnt = this.ids.col('count', Types.bigint);
      const plan: Plan = { kind: 'aggregate', input: s.plan, groups: [], aggs: [{ fn: 'count_star', arg: null, distinct: false, type: Types.bigint }], cols: [cnt] };
      const v = this.attach(state, { ...s, mode: 'scalar', plan, type: Types.bigint, lhs: null });
      return E.call('>', [E.call('coalesce', [v, E.const(0, Types.bigint)], Types.bigint), E.const(0, Types.bigint)], BOOL);
    }
    if (s.mode === 'in') {
      // x IN (q) ≡ max(CASE WHEN c = x THEN 1 WHEN c IS NULL OR x IS NULL THEN 0 ELSE -1 END) over q: 1 → true, 0 → NULL, else false
      const c = outputCols(s.plan)[0]!;
      const lhs = s.lhs!;
      const cref = E.col(c.id, c.type);
      const rhs = lhs.type.id === c.type.id ? cref : E.cast(cref, lhs.type);
      const arg: Expr = {
        kind: 'case',
        whens: [
          { when: E.call('=', [rhs, lhs], BOOL), then: E.const(1, Types.integer) },
          { when: E.call('or', [E.call('is_null', [cref], BOOL), E.call('is_null', [lhs], BOOL)], BOOL), then: E.const(0, Types.integer) },
        ],
        otherwise: E.const(-1, Types.integer),
        type: Types.integer,
      };
      const m = this.ids.col('max', Types.integer);
      const plan: Plan = { kind: 'aggregate', input: s.plan, groups: [], aggs: [{ fn: 'max', arg, distinct: false, type: Types.integer }], cols: [m] };
      const refs = [...new Set([...s.outerRefs, ...exprCols(lhs)])];
      const v = this.attach(state, { ...s, mode: 'scalar', plan, type: Types.integer, lhs: null, outerRefs: refs });
      return {
        kind: 'case',
        whens: [
          { when: E.call('=', [v, E.const(1, Types.integer)], BOOL), then: E.const(true, BOOL) },
          { when: E.call('=', [v, E.const(0, Types.integer)], BOOL), then: E.const(null, BOOL) },
        ],
        otherwise: E.const(false, BOOL),
        type: BOOL,
      };
    }
    const valueCol = outputCols(s.plan)[0]!;
    if (s.outerRefs.length === 0) {
      state.input = { kind: 'join', joinType: 'cross', left: state.input, right: { kind: 'singlerow', input: s.plan }, cond: null, nullAware: false };
      return E.col(valueCol.id, valueCol.type);
    }
    return this.magic(state, s, valueCol);
  }

  private magic(state: { input: Plan }, s: Subquery, valueCol: Col): Expr {
    const available = new Map(outputCols(state.input).map((c) => [c.id, c]));
    const outerCols = s.outerRefs.map((id) => available.get(id));
    if (outerCols.some((c) => c === undefined)) throw unsupported('it refers to a query more than one level out');
    const direct = this.equiAggregate(state, s, valueCol);
    if (direct) return direct;
    const dCols = outerCols.map((c) => this.ids.col(`d_${c!.name}`, c!.type));
    const d: Plan = {
      kind: 'distinct',
      input: { kind: 'project', input: state.input, exprs: outerCols.map((c) => E.col(c!.id, c!.type)), cols: dCols },
    };
    const rename = new Map(s.outerRefs.map((id, i) => [id, dCols[i]!.id]));
    const renamed = renameCols(s.plan, rename);
    const empty = emptyValue(s.plan);
    const pushed = this.pushD(renamed, d, dCols);
    const matched = this.ids.col('matched', BOOL);
    const top: Plan = {
      kind: 'project',
      input: pushed,
      exprs: [E.col(valueCol.id, valueCol.type), ...dCols.map((c) => E.col(c.id, c.type)), E.const(true, BOOL)],
      cols: [valueCol, ...dCols, matched],
    };
    // null-safe: an outer row whose correlated value is NULL must meet D's NULL row, because the
    // subquery's value for NULL is not always its value over no rows (e.g. NULL IN (...) is NULL)
    const cond = and(outerCols.map((c, i) => E.call('is_not_distinct_from', [E.col(c!.id, c!.type), E.col(dCols[i]!.id, dCols[i]!.type)], BOOL)))!;
    state.input = { kind: 'join', joinType: 'left', left: state.input, right: top, cond, nullAware: false };
    const v = E.col(valueCol.id, valueCol.type);
    if (empty === null) return v;
    // the subquery's value over no rows (e.g. count(*) = 0) where no group matched
    return { kind: 'case', whens: [{ when: E.call('is_null', [E.col(matched.id, BOOL)], BOOL), then: E.const(empty, valueCol.type) }], otherwise: v, type: valueCol.type };
  }

  /**
   * Fast path for `(SELECT agg(...) FROM ... WHERE inner = outer AND ...)`: group the subquery by the
   * inner side of its correlated equalities and left-join on them (no magic set, outer side read once).
   */
  private equiAggregate(state: { input: Plan }, s: Subquery, valueCol: Col): Expr | null {
    const projects: Extract<Plan, { kind: 'project' }>[] = [];
    let top = s.plan;
    while (top.kind === 'project' || top.kind === 'singlerow') {
      if (top.kind === 'project') projects.push(top);
      top = top.input;
    }
    if (top.kind !== 'aggregate' || top.groups.length > 0) return null;
    const outer = new Set(s.outerRefs);
    if (top.aggs.some((a) => a.arg && [...exprCols(a.arg)].some((id) => outer.has(id)))) return null;
    if (projects.some((p) => p.exprs.some((e) => [...exprCols(e)].some((id) => outer.has(id))))) return null;
    const pulled = pullUp(top.input, outer);
    if (!pulled) return null;
    const innerKeys: Expr[] = [];
    const outerKeys: Expr[] = [];
    for (const pr of pulled.preds) {
      if (pr.kind !== 'call' || pr.fn !== '=' || pr.args.length !== 2) return null;
      const [a, b] = pr.args as [Expr, Expr];
      const aOuter = [...exprCols(a)].every((id) => outer.has(id)) && exprCols(a).size > 0;
      const bOuter = [...exprCols(b)].every((id) => outer.has(id)) && exprCols(b).size > 0;
      const aInner = ![...exprCols(a)].some((id) => outer.has(id)) && exprCols(a).size > 0;
      const bInner = ![...exprCols(b)].some((id) => outer.has(id)) && exprCols(b).size > 0;
      if (aOuter && bInner) { outerKeys.push(a); innerKeys.push(b); } else if (bOuter && aInner) { outerKeys.push(b); innerKeys.push(a); } else return null;
    }
    if (innerKeys.length === 0) return null;
    const empty = emptyValue(s.plan);
    const gCols = innerKeys.map((k, i) => this.ids.col(`k${i}`, k.type));
    const gRefs = gCols.map((c) => E.col(c.id, c.type));
    const aggCols = top.cols;
    const input = this.reduceToOuterKeys(state.input, pulled.plan, innerKeys, outerKeys);
    let plan: Plan = { kind: 'aggregate', input, groups: innerKeys, aggs: top.aggs, cols: [...gCols, ...aggCols] };
    for (let i = projects.length - 1; i >= 0; i--) {
      const pr = projects[i]!;
      plan = { ...pr, input: plan, exprs: [...pr.exprs, ...gRefs], cols: [...pr.cols, ...gCols] };
    }
    const matched = this.ids.col('matched', BOOL);
    const right: Plan = {
      kind: 'project',
      input: plan,
      exprs: [E.col(valueCol.id, valueCol.type), ...gRefs, E.const(true, BOOL)],
      cols: [valueCol, ...gCols, matched],
    };
    const cond = and(outerKeys.map((o, i) => {
      const g = gRefs[i]!;
      const same = o.type.id === g.type.id && (o.type.scale ?? 0) === (g.type.scale ?? 0);
      return E.call('=', [o, same ? g : E.cast(g, o.type)], BOOL);
    }))!;
    state.input = { kind: 'join', joinType: 'left', left: state.input, right, cond, nullAware: false };
    const v = E.col(valueCol.id, valueCol.type);
    if (empty === null) return v;
    return { kind: 'case', whens: [{ when: E.call('is_null', [E.col(matched.id, BOOL)], BOOL), then: E.const(empty, valueCol.type) }], otherwise: v, type: valueCol.type };
  }

  /**
   * The aggregate's input semi-joined with (a superset of) the outer keys (magic.ts), when those can be read
   * from a part of the outer plan, or the whole of it has at most one join: recomputing them costs less
   * than aggregating groups the outer query never meets.
   */
  private reduceToOuterKeys(outerPlan: Plan, input: Plan, innerKeys: readonly Expr[], outerKeys: readonly Expr[]): Plan {
    const keyIds: number[] = [];
    for (const o of outerKeys) if (o.kind === 'col') keyIds.push(o.id);
    if (keyIds.length !== outerKeys.length) return input;
    const src = keySource(outerPlan, keyIds);
    if (src === outerPlan && joinCount(outerPlan) > 1) return input;
    const copy = freshCopy(src, this.ids);
    const cond = and(innerKeys.map((k, i) => {
      const o = outerKeys[i]!;
      const same = o.type.id === k.type.id && (o.type.scale ?? 0) === (k.type.scale ?? 0);
      return E.call('=', [same ? k : E.cast(k, o.type), E.col(copy.map.get(keyIds[i]!)!, o.type)], BOOL);
    }))!;
    return placeSemi(input, innerKeys, copy.plan, cond);
  }

  /** Makes the subquery compute its result per D row; output gains D's columns. */
  private pushD(p: Plan, d: Plan, dCols: Col[]): Plan {
    const dIds = new Set(dCols.map((c) => c.id));
    const dRefs = dCols.map((c) => E.col(c.id, c.type));
    switch (p.kind) {
      case 'project': return { ...p, input: this.pushD(p.input, d, dCols), exprs: [...p.exprs, ...dRefs], cols: [...p.cols, ...dCols] };
      case 'aggregate': {
        const groupCols = p.cols.slice(0, p.groups.length);
        const aggCols = p.cols.slice(p.groups.length);
        return { ...p, input: this.pushD(p.input, d, dCols), groups: [...p.groups, ...dRefs], cols: [...groupCols, ...dCols, ...aggCols] };
      }
      case 'filter': return { ...p, input: this.pushD(p.input, d, dCols) };
      case 'sort': return this.pushD(p.input, d, dCols);
      case 'singlerow': return this.pushD(p.input, d, dCols);
      case 'distinct': return { ...p, input: this.pushD(p.input, d, dCols) };
      case 'limit': throw unsupported('LIMIT inside a correlated subquery');
      default: {
        const refs = planRefs(p);
        if ([...refs].some((id) => dIds.has(id))) throw unsupported('the correlation is inside its FROM clause');
        return { kind: 'join', joinType: 'cross', left: d, right: p, cond: null, nullAware: false };
      }
    }
  }
}

/**
 * Pulls predicates that read outer columns up out of a subquery (for semi/anti joins: only existence
 * matters, so projections may be widened and sorts dropped). Null when the shape does not allow it.
 */
function pullUp(p: Plan, outer: Set<number>): { plan: Plan; preds: Expr[] } | null {
  const touches = (e: Expr): boolean => [...exprCols(e)].some((id) => outer.has(id));
  const clean = (x: Plan): boolean => ![...planRefs(x)].some((id) => outer.has(id));
  switch (p.kind) {
    case 'filter': {
      const r = pullUp(p.input, outer);
      if (!r) return null;
      const corr: Expr[] = [];
      const local: Expr[] = [];
      for (const c of conjuncts(p.pred)) (touches(c) ? corr : local).push(c);
      const pred = and(local);
      return { plan: pred ? { kind: 'filter', input: r.plan, pred } : r.plan, preds: [...r.preds, ...corr] };
    }
    case 'project': {
      if (p.exprs.some(touches)) return null;
      const r = pullUp(p.input, outer);
      if (!r) return null;
      const have = new Set(p.cols.map((c) => c.id));
      const inner = new Map(outputCols(r.plan).map((c) => [c.id, c]));
      const need: Col[] = [];
      for (const e of r.preds) for (const id of exprCols(e)) if (!have.has(id) && inner.has(id) && !need.some((n) => n.id === id)) need.push(inner.get(id)!);
      return { plan: { ...p, input: r.plan, exprs: [...p.exprs, ...need.map((c) => E.col(c.id, c.type))], cols: [...p.cols, ...need] }, preds: r.preds };
    }
    case 'sort': return pullUp(p.input, outer);
    case 'distinct': {
      const r = pullUp(p.input, outer);
      return r ? { plan: { ...p, input: r.plan }, preds: r.preds } : null;
    }
    case 'join': {
      if (p.joinType === 'inner' || p.joinType === 'cross') {
        const l = pullUp(p.left, outer);
        const r = pullUp(p.right, outer);
        if (!l || !r) return null;
        const corr: Expr[] = [];
        const local: Expr[] = [];
        for (const c of p.cond ? conjuncts(p.cond) : []) (touches(c) ? corr : local).push(c);
        const cond = and(local);
        return { plan: { ...p, joinType: cond ? 'inner' : 'cross', left: l.plan, right: r.plan, cond }, preds: [...l.preds, ...r.preds, ...corr] };
      }
      return clean(p) ? { plan: p, preds: [] } : null;
    }
    default:
      return clean(p) ? { plan: p, preds: [] } : null;
  }
}

/** The value a scalar subquery has over no input rows, when it is a non-NULL constant (count → 0). */
function emptyValue(p: Plan): import('../../oltp/types.ts').Value {
  let top = p;
  const projects: Extract<Plan, { kind: 'project' }>[] = [];
  while (top.kind === 'project' || top.kind === 'sort' || top.kind === 'singlerow') {
    if (top.kind === 'project') projects.push(top);
    top = top.input;
  }
  if (top.kind !== 'aggregate' || top.groups.length > 0) return null;
  const aggValues = new Map<number, Expr>();
  top.aggs.forEach((a, i) => aggValues.set(top.cols[i]!.id, E.const(a.fn === 'count' || a.fn === 'count_star' ? 0 : null, a.type)));
  let value: Expr = E.col(outputCols(p)[0]!.id, outputCols(p)[0]!.type);
  for (let i = 0; i < projects.length; i++) {
    const pr = projects[i]!;
    value = mapExpr(value, (x) => {
      if (x.kind !== 'col') return x;
      const k = pr.cols.findIndex((c) => c.id === x.id);
      return k >= 0 ? pr.exprs[k]! : x;
    });
  }
  value = mapExpr(value, (x) => (x.kind === 'col' && aggValues.has(x.id) ? aggValues.get(x.id)! : x));
  try {
    return foldConstant(value)?.value ?? null;
  } catch {
    return null;
  }
}

// Lowers the logical plan into the executor's operator spec (olap/exec/spec.ts): column ids become
// input positions, equi-join keys are split out for hash joins, ORDER BY + LIMIT becomes top-N.

import { assert } from '../oltp/errors.ts';
import type { SqlType } from '../oltp/types.ts';
import type * as S from '../olap/exec/spec.ts';
import { conjuncts, exprCols, type Expr } from './plan/expr.ts';
import { outputCols, type Plan } from './plan/logical.ts';
import { isNumeric, numericCommon } from './bind/types.ts';

export interface Lowered {
  readonly node: S.PlanNode;
  /** Column ids of the node's output, by position. */
  readonly layout: readonly number[];
}

export interface LowerResult {
  readonly root: S.PlanNode;
  /** Types of $1..$n as the plan uses them (undefined where a parameter is unused or untyped). */
  readonly paramTypes: (SqlType | undefined)[];
  /** Logical node each spec node came from (EXPLAIN labels). */
  readonly origin: Map<S.PlanNode, Plan>;
}

export function lower(plan: Plan): LowerResult {
  const paramTypes: (SqlType | undefined)[] = [];
  const origin = new Map<S.PlanNode, Plan>();
  const l = new Lowerer(paramTypes, origin);
  return { root: l.plan(plan).node, paramTypes, origin };
}

class Lowerer {
  constructor(
    private readonly paramTypes: (SqlType | undefined)[],
    private readonly origin: Map<S.PlanNode, Plan>,
  ) {}

  plan(p: Plan): Lowered {
    const out = this.node(p);
    this.origin.set(out.node, p);
    return out;
  }

  private node(p: Plan): Lowered {
    switch (p.kind) {
      case 'scan': {
        const node: S.ScanNode = {
          kind: 'scan',
          table: p.table.name,
          columns: p.cols.map((c) => ({ name: c.name, type: c.type })),
          access: p.access
            ? { index: p.access.index, range: p.access.range, lowerExprs: p.access.lowerExprs?.map((e) => this.expr(e, [])), upperExprs: p.access.upperExprs?.map((e) => this.expr(e, [])), point: p.access.point, withRowId: p.withRowId === true, ...(p.columnIndexes ? { columns: p.columnIndexes } : {}) }
            : p.withRowId || p.columnIndexes ? { index: null, range: {}, point: false, withRowId: p.withRowId === true, full: true, ...(p.columnIndexes ? { columns: p.columnIndexes } : {}) } : undefined,
        };
        return { node, layout: p.cols.map((c) => c.id) };
      }
      case 'values':
        return {
          node: { kind: 'values', columns: p.cols.map((c) => ({ name: c.name, type: c.type })), rows: p.rows.map((r) => r.map((e) => this.expr(e, []))) },
          layout: p.cols.map((c) => c.id),
        };
      case 'filter': {
        const input = this.plan(p.input);
        return { node: { kind: 'filter', input: input.node, predicate: this.expr(p.pred, input.layout) }, layout: input.layout };
      }
      case 'project': {
        const input = this.plan(p.input);
        return {
          node: { kind: 'project', input: input.node, exprs: p.exprs.map((e) => this.expr(e, input.layout)), names: p.cols.map((c) => c.name) },
          layout: p.cols.map((c) => c.id),
        };
      }
      case 'aggregate': {
        const input = this.plan(p.input);
        const aggregates: S.AggregateSpec[] = p.aggs.map((a) => {
          const spec: S.AggregateSpec = { fn: a.fn, distinct: a.distinct, type: a.type, ...(a.filter ? { filter: this.expr(a.filter, input.layout) } : {}) };
          return a.arg ? { ...spec, arg: this.expr(a.arg, input.layout) } : spec;
        });
        return {
          node: { kind: 'aggregate', input: input.node, groupBy: p.groups.map((g) => this.expr(g, input.layout)), aggregates, names: p.cols.map((c) => c.name) },
          layout: p.cols.map((c) => c.id),
        };
      }
      case 'join': return this.join(p);
      case 'sort': {
        const input = this.plan(p.input);
        return { node: { kind: 'sort', input: input.node, keys: this.keys(p.keys, input.layout) }, layout: input.layout };
      }
      case 'limit': {
        if (p.input.kind === 'sort' && p.limit !== null) {
          const sortIn = this.plan(p.input.input);
          const node: S.TopNNode = {
            kind: 'topN',
            input: sortIn.node,
            keys: this.keys(p.input.keys, sortIn.layout),
            limit: this.expr(p.limit, []),
            ...(p.offset ? { offset: this.expr(p.offset, []) } : {}),
          };
          return { node, layout: sortIn.layout };
        }
        const input = this.plan(p.input);
        const node: S.LimitNode = {
          kind: 'limit',
          input: input.node,
          ...(p.limit ? { limit: this.expr(p.limit, []) } : {}),
          ...(p.offset ? { offset: this.expr(p.offset, []) } : {}),
        };
        return { node, layout: input.layout };
      }
      case 'distinct': {
        const input = this.plan(p.input);
        return { node: { kind: 'distinct', input: input.node }, layout: input.layout };
      }
      case 'singlerow': {
        const input = this.plan(p.input);
        return { node: { kind: 'singleRow', input: input.node }, layout: input.layout };
      }
      case 'setop': {
        const l = this.plan(p.left);
        const r = this.plan(p.right);
        return { node: { kind: 'setOp', op: p.op, all: p.all, left: l.node, right: r.node, names: p.cols.map((c) => c.name) }, layout: p.cols.map((c) => c.id) };
      }
    }
  }

  private keys(keys: readonly { expr: Expr; desc: boolean; nullsFirst: boolean }[], layout: readonly number[]): S.SortKey[] {
    return keys.map((k) => ({ expr: this.expr(k.expr, layout), descending: k.desc, nullsFirst: k.nullsFirst }));
  }

  private join(p: Extract<Plan, { kind: 'join' }>): Lowered {
    const l = this.plan(p.left);
    const r = this.plan(p.right);
    const both = [...l.layout, ...r.layout];
    const layout = p.joinType === 'semi' || p.joinType === 'anti' ? l.layout : both;
    const joinType: S.JoinType = p.joinType === 'cross' ? 'inner' : p.joinType;
    if (p.cond === null) {
      return { node: { kind: 'nestedLoopJoin', joinType, left: l.node, right: r.node }, layout };
    }
    const leftIds = new Set(outputCols(p.left).map((c) => c.id));
    const rightIds = new Set(outputCols(p.right).map((c) => c.id));
    const leftKeys: S.Expr[] = [];
    const rightKeys: S.Expr[] = [];
    const residual: Expr[] = [];
    for (const c of conjuncts(p.cond)) {
      if (c.kind === 'call' && c.fn === '=' && c.args.length === 2) {
        const a = c.args[0]!;
        const b = c.args[1]!;
        const side = (e: Expr): 'l' | 'r' | null => {
          const ids = [...exprCols(e)];
          if (ids.length === 0) return null;
          if (ids.every((i) => leftIds.has(i))) return 'l';
          if (ids.every((i) => rightIds.has(i))) return 'r';
          return null;
        };
        const sa = side(a);
        const sb = side(b);
        // hash keys compare representations: only same-typed keys (decimals of one scale) may hash
        const sameRep = a.type.id === b.type.id && (a.type.id !== 'decimal' || (a.type.scale ?? 0) === (b.type.scale ?? 0));
        if (!sameRep && isNumeric(a.type) && isNumeric(b.type) && ((sa === 'l' && sb === 'r') || (sa === 'r' && sb === 'l'))) {
          // mixed numeric keys hash in their common type
          const t = numericCommon(a.type, b.type);
          const ca: Expr = a.type.id === t.id && (a.type.scale ?? 0) === (t.scale ?? 0) ? a : { kind: 'cast', expr: a, type: t };
          const cb: Expr = b.type.id === t.id && (b.type.scale ?? 0) === (t.scale ?? 0) ? b : { kind: 'cast', expr: b, type: t };
          if (sa === 'l') { leftKeys.push(this.expr(ca, l.layout)); rightKeys.push(this.expr(cb, r.layout)); } else { leftKeys.push(this.expr(cb, l.layout)); rightKeys.push(this.expr(ca, r.layout)); }
          continue;
        }
        if (!sameRep) { residual.push(c); continue; }
        if (sa === 'l' && sb === 'r' && a.type.id === b.type.id) { leftKeys.push(this.expr(a, l.layout)); rightKeys.push(this.expr(b, r.layout)); continue; }
        if (sa === 'r' && sb === 'l' && a.type.id === b.type.id) { leftKeys.push(this.expr(b, l.layout)); rightKeys.push(this.expr(a, r.layout)); continue; }
      }
      residual.push(c);
    }
    const resid = residual.length === 0 ? undefined : residual.length === 1 ? residual[0]! : ({ kind: 'call', fn: 'and', args: residual, type: { id: 'boolean' } } as Expr);
    if (leftKeys.length === 0) {
      const node: S.NestedLoopJoinNode = { kind: 'nestedLoopJoin', joinType, left: l.node, right: r.node, ...(resid ? { predicate: this.expr(resid, both) } : {}) };
      return { node, layout };
    }
    const node: S.HashJoinNode = {
      kind: 'hashJoin',
      joinType,
      left: l.node,
      right: r.node,
      leftKeys,
      rightKeys,
      ...(resid ? { residual: this.expr(resid, both) } : {}),
      ...(p.nullAware ? { nullAware: true } : {}),
    };
    return { node, layout };
  }

  expr(e: Expr, layout: readonly number[]): S.Expr {
    const rec = (x: Expr): S.Expr => this.expr(x, layout);
    switch (e.kind) {
      case 'col': {
        const index = layout.indexOf(e.id);
        assert(index >= 0, `column #${e.id} is not in the input of its operator`);
        return { kind: 'col', index, type: e.type };
      }
      case 'const': return { kind: 'const', value: e.value, type: e.type };
      case 'param':
        if (e.type.id !== 'null') this.paramTypes[e.index - 1] = e.type;
        else if (this.paramTypes[e.index - 1] === undefined) this.paramTypes[e.index - 1] = { id: 'varchar' };
        return { kind: 'param', index: e.index, type: e.type.id === 'null' ? { id: 'varchar' } : e.type };
      case 'cast': return { kind: 'cast', arg: rec(e.expr), type: e.type };
      case 'case': {
        const node: S.CaseExpr = { kind: 'case', whens: e.whens.map((w) => ({ when: rec(w.when), then: rec(w.then) })), type: e.type, ...(e.otherwise ? { else: rec(e.otherwise) } : {}) };
        return node;
      }
      case 'subquery': assert(false, 'subqueries must be decorrelated before lowering'); break;
      case 'call': return this.call(e, rec);
    }
    throw new Error('unreachable');
  }

  private call(e: Extract<Expr, { kind: 'call' }>, rec: (x: Expr) => S.Expr): S.Expr {
    const args = e.args;
    switch (e.fn) {
      case 'and': case 'or': return { kind: e.fn, args: args.map(rec), type: e.type };
      case 'not': return { kind: 'not', arg: rec(args[0]!), type: e.type };
      case 'is_null': case 'is_not_null': return { kind: 'isNull', arg: rec(args[0]!), negated: e.fn === 'is_not_null', type: e.type };
      case 'in': case 'not_in': return { kind: 'in', arg: rec(args[0]!), list: args.slice(1).map(rec), negated: e.fn === 'not_in', type: e.type };
      case 'like': case 'not_like': case 'ilike': case 'not_ilike':
        return { kind: 'like', arg: rec(args[0]!), pattern: rec(args[1]!), negated: e.fn.startsWith('not_'), caseInsensitive: e.fn.endsWith('ilike'), type: e.type };
      default: return { kind: 'call', fn: e.fn, args: args.map(rec), type: e.type };
    }
  }
}

/** Lowers one expression over no input (constants and parameters only). */
export function lowerExpr(e: Expr): S.Expr {
  return new Lowerer([], new Map()).expr(e, []);
}

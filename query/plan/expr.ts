// Bound scalar expressions of duetdb's logical plan: typed, resolved, free of parser AST.
// Columns are referenced by plan-wide unique ids (not positions) so rewrites never renumber.

import type { SqlType, Value } from '../../oltp/types.ts';
import type { Plan } from './logical.ts';

export type Expr = ColRef | Const | Param | Call | Case | Cast | Subquery;

export interface ColRef { readonly kind: 'col'; readonly id: number; readonly type: SqlType }
export interface Const { readonly kind: 'const'; readonly value: Value; readonly type: SqlType }
/** `$n`: index is 1-based as in SQL. */
export interface Param { readonly kind: 'param'; readonly index: number; readonly type: SqlType }
export interface Call { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[]; readonly type: SqlType }
export interface Case {
  readonly kind: 'case';
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly otherwise: Expr | null;
  readonly type: SqlType;
}
export interface Cast { readonly kind: 'cast'; readonly expr: Expr; readonly type: SqlType }
/**
 * A subquery inside an expression; removed by optimize/decorrelate.ts before lowering.
 * `outerRefs` are the ids of columns of enclosing queries the subquery reads (empty = uncorrelated).
 */
export interface Subquery {
  readonly kind: 'subquery';
  readonly mode: 'scalar' | 'exists' | 'in';
  readonly plan: Plan;
  /** For 'in': the left-hand expression. */
  readonly lhs: Expr | null;
  readonly outerRefs: readonly number[];
  readonly type: SqlType;
}

export const E = {
  col(id: number, type: SqlType): ColRef { return Object.freeze({ kind: 'col', id, type }); },
  const(value: Value, type: SqlType): Const { return Object.freeze({ kind: 'const', value, type }); },
  param(index: number, type: SqlType): Param { return Object.freeze({ kind: 'param', index, type }); },
  call(fn: string, args: readonly Expr[], type: SqlType): Call { return Object.freeze({ kind: 'call', fn, args, type }); },
  cast(expr: Expr, type: SqlType): Cast { return Object.freeze({ kind: 'cast', expr, type }); },
};

/** Every column id an expression reads (subqueries contribute their outer references). */
export function exprCols(e: Expr, out: Set<number> = new Set()): Set<number> {
  switch (e.kind) {
    case 'col': out.add(e.id); break;
    case 'const': case 'param': break;
    case 'call': for (const a of e.args) exprCols(a, out); break;
    case 'case':
      for (const w of e.whens) { exprCols(w.when, out); exprCols(w.then, out); }
      if (e.otherwise) exprCols(e.otherwise, out);
      break;
    case 'cast': exprCols(e.expr, out); break;
    case 'subquery':
      for (const id of e.outerRefs) out.add(id);
      if (e.lhs) exprCols(e.lhs, out);
      break;
  }
  return out;
}

/** Rebuilds an expression bottom-up through `f` (f sees children already mapped). */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'call': return f({ ...e, args: e.args.map((a) => mapExpr(a, f)) });
    case 'case':
      return f({
        ...e,
        whens: e.whens.map((w) => ({ when: mapExpr(w.when, f), then: mapExpr(w.then, f) })),
        otherwise: e.otherwise ? mapExpr(e.otherwise, f) : null,
      });
    case 'cast': return f({ ...e, expr: mapExpr(e.expr, f) });
    case 'subquery': return f({ ...e, lhs: e.lhs ? mapExpr(e.lhs, f) : null });
    default: return f(e);
  }
}

export function hasSubquery(e: Expr): boolean {
  let found = false;
  mapExpr(e, (x) => { if (x.kind === 'subquery') found = true; return x; });
  return found;
}

/** Structural identity key (used to match GROUP BY expressions and deduplicate aggregates). */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case 'col': return `#${e.id}`;
    case 'const': return `c:${typeof e.value}:${String(e.value)}:${e.type.id}:${e.type.scale ?? ''}`;
    case 'param': return `$${e.index}`;
    case 'call': return `${e.fn}(${e.args.map(exprKey).join(',')})`;
    case 'case': return `case(${e.whens.map((w) => exprKey(w.when) + '=>' + exprKey(w.then)).join(';')};${e.otherwise ? exprKey(e.otherwise) : ''})`;
    case 'cast': return `cast(${exprKey(e.expr)} as ${e.type.id}:${e.type.precision ?? ''}:${e.type.scale ?? ''}:${e.type.length ?? ''})`;
    case 'subquery': return `subq@${Math.random()}`; // never equal: subqueries are not deduplicated
  }
}

/** Splits a predicate into its AND-ed conjuncts. */
export function conjuncts(e: Expr): Expr[] {
  if (e.kind === 'call' && e.fn === 'and') return e.args.flatMap(conjuncts);
  return [e];
}

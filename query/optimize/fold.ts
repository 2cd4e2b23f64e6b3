// Constant folding: an expression over constants only is evaluated once at plan time by the
// executor's own evaluator (so folding can never disagree with execution).

import { evalConstant } from '../../olap/exec/expr/evaluator.ts';
import { exprCols, hasSubquery, E, type Const, type Expr } from '../plan/expr.ts';
import { lowerExpr } from '../lower.ts';

/** The value of a constant expression (no columns, parameters or subqueries), else undefined. */
export function foldConstant(e: Expr): Const | undefined {
  if (e.kind === 'const') return e;
  if (exprCols(e).size > 0 || hasSubquery(e) || hasParam(e)) return undefined;
  return E.const(evalConstant(lowerExpr(e), []), e.type);
}

function hasParam(e: Expr): boolean {
  switch (e.kind) {
    case 'param': return true;
    case 'call': return e.args.some(hasParam);
    case 'case': return e.whens.some((w) => hasParam(w.when) || hasParam(w.then)) || (e.otherwise !== null && hasParam(e.otherwise));
    case 'cast': return hasParam(e.expr);
    default: return false;
  }
}

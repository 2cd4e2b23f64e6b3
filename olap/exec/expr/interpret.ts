// The reference expression evaluator: one row at a time, straight from the spec's semantics. The
// compiled kernels (compile.ts) must agree with it on every input; it is also their fallback.

import { assert } from '../../../oltp/errors.ts';
import type { SqlType, Value } from '../../../oltp/types.ts';
import { getValue, VectorBuilder } from '../batch.ts';
import { castValue } from '../cast.ts';
import { resolveScalar } from '../scalar.ts';
import type { Batch, Expr, Vector } from '../spec.ts';
import { compareValues, valueToText } from '../values.ts';
import { likeMatch } from './like.ts';

export const BOOLEAN: SqlType = Object.freeze({ id: 'boolean' }) as SqlType;

export function exprType(e: Expr): SqlType {
  return e.type;
}

/** Evaluates `e` for physical row `i` of `cols`. */
export function evalRow(e: Expr, cols: readonly Vector[], i: number, params: readonly Value[]): Value {
  switch (e.kind) {
    case 'col': {
      const v = cols[e.index];
      assert(v !== undefined, `column ${e.index} out of range`);
      return getValue(v, i);
    }
    case 'const': return e.value;
    case 'param': {
      assert(e.index >= 1 && e.index <= params.length, `parameter $${e.index} has no value`);
      return params[e.index - 1]!;
    }
    case 'cast': return castValue(evalRow(e.arg, cols, i, params), e.arg.type, e.type);
    case 'and': case 'or': {
      const stopOn = e.kind === 'or';
      let sawNull = false;
      for (const arg of e.args) {
        const v = evalRow(arg, cols, i, params);
        if (v === null) sawNull = true;
        else if (v === stopOn) return stopOn;
      }
      return sawNull ? null : !stopOn;
    }
    case 'not': {
      const v = evalRow(e.arg, cols, i, params);
      return v === null ? null : !v;
    }
    case 'isNull': {
      const isNull = evalRow(e.arg, cols, i, params) === null;
      return e.negated ? !isNull : isNull;
    }
    case 'case': return evalCase(e, cols, i, params);
    case 'in': {
      const v = evalRow(e.arg, cols, i, params);
      if (v === null) return null;
      let sawNull = false;
      for (const item of e.list) {
        const w = evalRow(item, cols, i, params);
        if (w === null) sawNull = true;
        else if (compareValues(v, e.arg.type, w, item.type) === 0) return !e.negated;
      }
      return sawNull ? null : e.negated;
    }
    case 'like': {
      const s = evalRow(e.arg, cols, i, params);
      const p = evalRow(e.pattern, cols, i, params);
      if (s === null || p === null) return null;
      const text = typeof s === 'string' ? s : valueToText(s, e.arg.type);
      const matched = likeMatch(text, typeof p === 'string' ? p : valueToText(p, e.pattern.type), e.escape, e.caseInsensitive);
      return matched !== e.negated;
    }
    case 'call': return evalCall(e, cols, i, params);
  }
}

function evalCase(e: Extract<Expr, { kind: 'case' }>, cols: readonly Vector[], i: number, params: readonly Value[]): Value {
  const operand = e.operand === undefined ? undefined : evalRow(e.operand, cols, i, params);
  for (const w of e.whens) {
    const c = evalRow(w.when, cols, i, params);
    let hit: boolean;
    if (e.operand === undefined) hit = c === true;
    else hit = operand !== null && c !== null && compareValues(operand!, e.operand.type, c, w.when.type) === 0;
    if (hit) return castValue(evalRow(w.then, cols, i, params), w.then.type, e.type);
  }
  return e.else === undefined ? null : castValue(evalRow(e.else, cols, i, params), e.else.type, e.type);
}

function evalCall(e: Extract<Expr, { kind: 'call' }>, cols: readonly Vector[], i: number, params: readonly Value[]): Value {
  if (e.fn === 'coalesce') {
    // lazy: later arguments are evaluated only when earlier ones are NULL
    for (const arg of e.args) {
      const v = evalRow(arg, cols, i, params);
      if (v !== null) return castValue(v, arg.type, e.type);
    }
    return null;
  }
  const fn = resolveScalar(e.fn, e.args.map((a) => a.type));
  // every argument is evaluated before the NULL check, like the compiled kernels (errors agree)
  const args: Value[] = new Array(e.args.length);
  let anyNull = false;
  for (let k = 0; k < e.args.length; k++) {
    const v = evalRow(e.args[k]!, cols, i, params);
    if (v === null) anyNull = true;
    args[k] = v;
  }
  if (anyNull && fn.strict) return null;
  return fn.impl(args, e.args.map((a) => a.type), e.type);
}

/** Checks that every function in the expression exists (42883 at plan time, not on the first row). */
export function checkExpr(e: Expr): void {
  switch (e.kind) {
    case 'call':
      if (e.fn !== 'coalesce') resolveScalar(e.fn, e.args.map((a) => a.type));
      e.args.forEach(checkExpr);
      return;
    case 'cast': case 'not': case 'isNull': checkExpr(e.arg); return;
    case 'and': case 'or': e.args.forEach(checkExpr); return;
    case 'case':
      if (e.operand !== undefined) checkExpr(e.operand);
      for (const w of e.whens) { checkExpr(w.when); checkExpr(w.then); }
      if (e.else !== undefined) checkExpr(e.else);
      return;
    case 'in': checkExpr(e.arg); e.list.forEach(checkExpr); return;
    case 'like': checkExpr(e.arg); checkExpr(e.pattern); return;
    default: return;
  }
}

/** Evaluates `e` for every live row of the batch; the vector is aligned with the batch's physical rows. */
export function interpretVector(e: Expr, batch: Batch, params: readonly Value[]): Vector {
  const b = new VectorBuilder(e.type, batch.length);
  const sel = batch.selection;
  let next = 0;
  const n = sel === undefined ? batch.length : sel.length;
  for (let k = 0; k < n; k++) {
    const i = sel === undefined ? k : sel[k]!;
    while (next < i) { b.appendNull(); next++; }
    b.append(evalRow(e, batch.columns, i, params));
    next++;
  }
  while (next < batch.length) { b.appendNull(); next++; }
  return b.build();
}

/** Live rows of the batch for which predicate `e` is TRUE. */
export function interpretSelection(e: Expr, batch: Batch, params: readonly Value[]): Uint32Array {
  const sel = batch.selection;
  const n = sel === undefined ? batch.length : sel.length;
  const out = new Uint32Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = sel === undefined ? k : sel[k]!;
    if (evalRow(e, batch.columns, i, params) === true) out[m++] = i;
  }
  return out.subarray(0, m);
}

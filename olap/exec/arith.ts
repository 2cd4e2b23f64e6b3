// Arithmetic operators on values (+ - * / % and unary minus) for every numeric type and for dates, with
// PostgreSQL's results: truncating integer division, exact decimals, 22012 and 22003 errors.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { checkPrecision, divRound, doubleToDecimal, pow10, rescale } from './decimal.ts';
import { castValue, checkIntRange, outOfRange, roundHalfEven } from './cast.ts';
import { scaleOf, toDouble, toScaled } from './values.ts';

export type ArithOp = '+' | '-' | '*' | '/' | '%';

export function divisionByZero(): DuetError {
  return new DuetError(SqlState.divisionByZero, 'division by zero');
}

const DECIMAL_ANY: SqlType = Object.freeze({ id: 'decimal' }) as SqlType;

/** A double result converted to type t (22003 on overflow). */
export function fromDouble(x: number, t: SqlType): Value {
  switch (t.id) {
    case 'double':
      if (!Number.isFinite(x) && !Number.isNaN(x)) throw new DuetError(SqlState.numericValueOutOfRange, 'value out of range: overflow');
      return x;
    case 'decimal': return checkPrecision(doubleToDecimal(x, scaleOf(t)), t.precision, scaleOf(t));
    case 'integer': case 'bigint':
      if (!Number.isFinite(x)) throw outOfRange(t);
      return checkIntRange(roundHalfEven(x), t);
    default: return castValue(x, { id: 'double' }, t);
  }
}

function intDiv(a: number, b: number): number {
  let q = Math.trunc(a / b);
  const r = a - q * b;
  // a/b in floating point can round a quotient just below an integer up to it; correct by the remainder.
  if (r !== 0 && Math.sign(r) !== Math.sign(a)) q -= Math.sign(a) * Math.sign(b);
  return q;
}

function intArith(op: ArithOp, a: number, b: number, t: SqlType): number {
  switch (op) {
    case '+': return checkIntRange(a + b, t);
    case '-': return checkIntRange(a - b, t);
    case '*': {
      const r = a * b;
      if (!Number.isSafeInteger(r)) throw outOfRange(t);
      return checkIntRange(r, t);
    }
    case '/':
      if (b === 0) throw divisionByZero();
      return checkIntRange(intDiv(a, b), t);
    case '%':
      if (b === 0) throw divisionByZero();
      return checkIntRange(a % b + 0, t);
  }
}

function doubleArith(op: ArithOp, x: number, y: number): number {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/':
      if (y === 0) throw divisionByZero();
      return x / y;
    case '%':
      if (y === 0) throw divisionByZero();
      return x % y;
  }
}

/** Exact decimal arithmetic; the result is at scale `s`. */
export function decimalArith(op: ArithOp, a: bigint, sa: number, b: bigint, sb: number, s: number): bigint {
  switch (op) {
    case '+': case '-': {
      const m = Math.max(sa, sb);
      const x = rescale(a, sa, m);
      const y = rescale(b, sb, m);
      return rescale(op === '+' ? x + y : x - y, m, s);
    }
    case '*': return rescale(a * b, sa + sb, s);
    case '/':
      if (b === 0n) throw divisionByZero();
      return divRound(a * pow10(sb + s), b * pow10(sa));
    case '%': {
      if (b === 0n) throw divisionByZero();
      const m = Math.max(sa, sb);
      return rescale(rescale(a, sa, m) % rescale(b, sb, m), m, s);
    }
  }
}

function isDateLike(t: SqlType): boolean {
  return t.id === 'date' || t.id === 'timestamp';
}

function dateArith(op: ArithOp, a: Value, ta: SqlType, b: Value, tb: SqlType): Value {
  if (op === '-' && ta.id === 'date' && tb.id === 'date') return (a as number) - (b as number);
  if (op === '+' && ta.id === 'date' && !isDateLike(tb)) return (a as number) + (b as number);
  if (op === '+' && tb.id === 'date' && !isDateLike(ta)) return (a as number) + (b as number);
  if (op === '-' && ta.id === 'date' && !isDateLike(tb)) return (a as number) - (b as number);
  throw new DuetError(SqlState.undefinedFunction, `operator does not exist: ${ta.id} ${op} ${tb.id}`);
}

/** a op b for non-NULL a (type ta), b (type tb) with result type t. */
export function arith(op: ArithOp, a: Value, ta: SqlType, b: Value, tb: SqlType, t: SqlType): Value {
  if (isDateLike(ta) || isDateLike(tb)) return dateArith(op, a, ta, b, tb);
  if (t.id === 'double' || ta.id === 'double' || tb.id === 'double') {
    const x = toDouble(a, ta);
    const y = toDouble(b, tb);
    const r = doubleArith(op, x, y);
    // PostgreSQL: overflow is an error only when finite inputs give an infinite result
    if (t.id === 'double' && !Number.isFinite(r) && !Number.isNaN(r) && !(Number.isFinite(x) && Number.isFinite(y))) return r;
    return fromDouble(r, t);
  }
  if (t.id === 'decimal') {
    const sa = scaleOf(ta);
    const sb = scaleOf(tb);
    const r = decimalArith(op, toScaled(a, ta, sa), sa, toScaled(b, tb, sb), sb, scaleOf(t));
    return checkPrecision(r, t.precision, scaleOf(t));
  }
  if (ta.id === 'decimal' || tb.id === 'decimal') {
    // integer-typed result from decimal operands (binder's choice): compute exactly, then cast.
    const sa = scaleOf(ta);
    const sb = scaleOf(tb);
    const s = Math.max(sa, sb);
    const r = decimalArith(op, toScaled(a, ta, sa), sa, toScaled(b, tb, sb), sb, s);
    return castValue(r, { ...DECIMAL_ANY, scale: s }, t);
  }
  return intArith(op, a as number, b as number, t);
}

/** Unary minus. */
export function negate(a: Value, t: SqlType): Value {
  if (typeof a === 'bigint') return -a;
  const r = -(a as number);
  return t.id === 'integer' || t.id === 'bigint' ? checkIntRange(r + 0, t) : r;
}

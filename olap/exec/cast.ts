// CAST between every pair of SQL types with PostgreSQL's rules: rounding (numeric half away from zero,
// double half to even), range checks (22003), text parsing errors (22P02), varchar truncation.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { typeName } from '../../oltp/types.ts';
import { checkPrecision, decimalToNumber, divRound, doubleToDecimal, parseDecimal, pow10, rescale } from './decimal.ts';
import { MICROS_PER_DAY, parseDate, parseTimestamp } from './datetime.ts';
import { scaleOf, trimBlanks, valueToText } from './values.ts';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function outOfRange(t: SqlType): DuetError {
  return new DuetError(SqlState.numericValueOutOfRange, `${t.id === 'integer' ? 'integer' : t.id === 'bigint' ? 'bigint' : typeName(t)} out of range`);
}

/** Checks an integer-typed result against its type's range (BIGINT: duetdb's ±2^53-1). */
export function checkIntRange(x: number, t: SqlType): number {
  if (t.id === 'integer') {
    if (x < INT32_MIN || x > INT32_MAX || Number.isNaN(x)) throw outOfRange(t);
  } else if (!Number.isSafeInteger(x)) {
    throw outOfRange(t);
  }
  return x;
}

function badText(text: string, to: SqlType): DuetError {
  return new DuetError(SqlState.invalidTextRepresentation, `invalid input syntax for type ${typeName(to)}: "${text}"`);
}

/** Round half to even, like C's rint() that PostgreSQL uses for float → integer. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const INT_TEXT = /^\s*([+-]?\d+)\s*$/;
const BOOL_TRUE = new Set(['t', 'tr', 'tru', 'true', 'y', 'ye', 'yes', 'on', '1']);
const BOOL_FALSE = new Set(['f', 'fa', 'fal', 'fals', 'false', 'n', 'no', 'of', 'off', '0']);

function parseDouble(text: string, to: SqlType): number {
  const s = text.trim().toLowerCase();
  if (s === 'nan') return NaN;
  if (s === 'infinity' || s === '+infinity' || s === 'inf') return Infinity;
  if (s === '-infinity' || s === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) throw badText(text, to);
  const x = Number(s);
  if (!Number.isFinite(x)) throw new DuetError(SqlState.numericValueOutOfRange, `"${text}" is out of range for type double precision`);
  return x;
}

function toInteger(v: Value, from: SqlType, to: SqlType): number {
  switch (from.id) {
    case 'integer': case 'bigint': return checkIntRange(v as number, to);
    case 'double': {
      const x = v as number;
      if (!Number.isFinite(x)) throw outOfRange(to);
      return checkIntRange(roundHalfEven(x), to);
    }
    case 'decimal': {
      const r = rescale(v as bigint, scaleOf(from), 0);
      if (r > BigInt(Number.MAX_SAFE_INTEGER) || r < -BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange(to);
      return checkIntRange(Number(r), to);
    }
    case 'boolean': return v === true ? 1 : 0;
    case 'varchar': {
      const m = INT_TEXT.exec(v as string);
      if (m === null) throw badText(v as string, to);
      const x = Number(m[1]);
      if (to.id === 'integer' ? x < INT32_MIN || x > INT32_MAX : !Number.isSafeInteger(x)) {
        throw new DuetError(SqlState.numericValueOutOfRange, `value "${(v as string).trim()}" is out of range for type ${typeName(to)}`);
      }
      return x;
    }
    default: throw cannotCast(from, to);
  }
}

function toDecimal(v: Value, from: SqlType, to: SqlType): bigint {
  const s = scaleOf(to);
  let r: bigint;
  switch (from.id) {
    case 'integer': case 'bigint': r = BigInt(v as number) * pow10(s); break;
    case 'decimal': r = rescale(v as bigint, scaleOf(from), s); break;
    case 'double': r = doubleToDecimal(v as number, s); break;
    case 'varchar': {
      const p = parseDecimal(v as string, s);
      if (p === undefined) throw badText(v as string, to);
      r = p;
      break;
    }
    default: throw cannotCast(from, to);
  }
  return checkPrecision(r, to.precision, s);
}

function toDouble(v: Value, from: SqlType, to: SqlType): number {
  switch (from.id) {
    case 'integer': case 'bigint': case 'double': return v as number;
    case 'decimal': return decimalToNumber(v as bigint, scaleOf(from));
    case 'varchar': return parseDouble(v as string, to);
    default: throw cannotCast(from, to);
  }
}

function toText(v: Value, from: SqlType, to: SqlType): string {
  // CHAR(n) loses its padding on the way to text (PostgreSQL: 'ab '::char(3)::text = 'ab')
  let s = from.fixed === true ? trimBlanks(valueToText(v, from)) : valueToText(v, from);
  if (to.length !== undefined) {
    if (s.length > to.length) s = s.slice(0, to.length);
    else if (to.fixed === true && s.length < to.length) s = s.padEnd(to.length, ' ');
  }
  return s;
}

function toBoolean(v: Value, from: SqlType, to: SqlType): boolean {
  switch (from.id) {
    case 'boolean': return v as boolean;
    case 'integer': case 'bigint': return v !== 0;
    case 'varchar': {
      const s = (v as string).trim().toLowerCase();
      if (BOOL_TRUE.has(s)) return true;
      if (BOOL_FALSE.has(s)) return false;
      throw badText(v as string, to);
    }
    default: throw cannotCast(from, to);
  }
}

function toDate(v: Value, from: SqlType, to: SqlType): number {
  switch (from.id) {
    case 'date': return v as number;
    case 'timestamp': return Math.floor((v as number) / MICROS_PER_DAY);
    case 'varchar': return parseDate(v as string);
    default: throw cannotCast(from, to);
  }
}

function toTimestamp(v: Value, from: SqlType, to: SqlType): number {
  switch (from.id) {
    case 'timestamp': return v as number;
    case 'date': return (v as number) * MICROS_PER_DAY;
    case 'varchar': return parseTimestamp(v as string);
    default: throw cannotCast(from, to);
  }
}

export function cannotCast(from: SqlType, to: SqlType): DuetError {
  return new DuetError(SqlState.datatypeMismatch, `cannot cast type ${typeName(from)} to ${typeName(to)}`);
}

/** CAST(v AS to) for a value of type `from`. NULL stays NULL. */
export function castValue(v: Value, from: SqlType, to: SqlType): Value {
  if (v === null) return null;
  switch (to.id) {
    case 'integer': case 'bigint': return toInteger(v, from, to);
    case 'decimal': return toDecimal(v, from, to);
    case 'double': return toDouble(v, from, to);
    case 'varchar': return toText(v, from, to);
    case 'boolean': return toBoolean(v, from, to);
    case 'date': return toDate(v, from, to);
    case 'timestamp': return toTimestamp(v, from, to);
    case 'null': return null;
  }
}

/** Converts an exact rational n/d (bigints) to a value of numeric type t, rounding like a cast. */
export function rationalToType(n: bigint, d: bigint, t: SqlType): Value {
  switch (t.id) {
    case 'decimal': return checkPrecision(divRound(n * pow10(scaleOf(t)), d), t.precision, scaleOf(t));
    case 'double': return Number(n) / Number(d);
    default: {
      const r = divRound(n, d);
      if (r > BigInt(Number.MAX_SAFE_INTEGER) || r < -BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange(t);
      return checkIntRange(Number(r), t);
    }
  }
}

// Value-level semantics shared by the interpreter, the compiled kernels' slow paths and the operators:
// numeric domains, comparison (NULL-free), equality keys for hashing, and text forms of values.

import { assert } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { decimalToNumber, decimalToString, pow10, rescale } from './decimal.ts';
import { formatDate, formatTimestamp, MICROS_PER_DAY } from './datetime.ts';

export function isNumericType(t: SqlType): boolean {
  return t.id === 'integer' || t.id === 'bigint' || t.id === 'decimal' || t.id === 'double';
}

export function scaleOf(t: SqlType): number {
  return t.scale ?? 0;
}

/** A numeric value (number or scaled bigint) as a double. */
export function toDouble(v: Value, t: SqlType): number {
  if (typeof v === 'bigint') return decimalToNumber(v, scaleOf(t));
  assert(typeof v === 'number', `expected a numeric value, got ${typeof v}`);
  return v;
}

/** An exact numeric value (integer number or scaled bigint) as a bigint at `scale`. */
export function toScaled(v: Value, t: SqlType, scale: number): bigint {
  if (typeof v === 'bigint') return rescale(v, scaleOf(t), scale);
  assert(typeof v === 'number' && Number.isInteger(v), `expected an exact numeric value, got ${String(v)}`);
  return BigInt(v) * pow10(scale);
}

/** The type both sides of a comparison are converted to. */
export type CompareDomain = 'number' | 'double' | 'decimal' | 'string' | 'bool' | 'datetime';

export function compareDomain(a: SqlType, b: SqlType): CompareDomain {
  if (a.id === 'null') return compareDomain(b, b.id === 'null' ? Object.freeze({ id: 'integer' }) as SqlType : b);
  if (b.id === 'null') return compareDomain(a, a);
  if (isNumericType(a) && isNumericType(b)) {
    if (a.id === 'double' || b.id === 'double') return 'double';
    if (a.id === 'decimal' || b.id === 'decimal') return 'decimal';
    return 'number';
  }
  if ((a.id === 'date' || a.id === 'timestamp') && (b.id === 'date' || b.id === 'timestamp')) {
    return a.id === b.id ? 'number' : 'datetime';
  }
  if (a.id === 'varchar' && b.id === 'varchar') return 'string';
  if (a.id === 'boolean' && b.id === 'boolean') return 'bool';
  if (a.id === b.id) return 'number';
  // The binder should have cast; compare as text rather than crash on a loose plan.
  return 'string';
}

function cmp<T>(x: T, y: T): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Code point order (PostgreSQL's C collation, i.e. UTF-8 byte order). JS's own string comparison orders
 * UTF-16 code units, which differs only where a surrogate (an astral character) meets U+E000..U+FFFF.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

/** Surrogates (0xD800-0xDFFF) move above 0xE000-0xFFFF, as their code points (≥ 0x10000) are. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** CHAR(n) compares without trailing blanks. */
export function trimBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Compares two non-NULL values of types ta, tb: negative, 0, positive. Strings by code unit. */
export function compareValues(a: Value, ta: SqlType, b: Value, tb: SqlType): number {
  assert(a !== null && b !== null, 'compareValues on NULL');
  switch (compareDomain(ta, tb)) {
    case 'number': return cmp(a as number, b as number);
    case 'double': {
      const x = toDouble(a, ta);
      const y = toDouble(b, tb);
      // PostgreSQL orders NaN above everything and equal to itself.
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
      return cmp(x, y);
    }
    case 'decimal': {
      const s = Math.max(scaleOf(ta), scaleOf(tb));
      return cmp(toScaled(a, ta, s), toScaled(b, tb, s));
    }
    case 'datetime': {
      const x = ta.id === 'date' ? (a as number) * MICROS_PER_DAY : (a as number);
      const y = tb.id === 'date' ? (b as number) * MICROS_PER_DAY : (b as number);
      return cmp(x, y);
    }
    case 'string': {
      let x = typeof a === 'string' ? a : valueToText(a, ta);
      let y = typeof b === 'string' ? b : valueToText(b, tb);
      if (ta.fixed === true || tb.fixed === true) { x = trimBlanks(x); y = trimBlanks(y); }
      return compareText(x, y);
    }
    case 'bool': return cmp(a === true ? 1 : 0, b === true ? 1 : 0);
  }
}

/** PostgreSQL's float8 output: shortest round-trip digits, exponent form below 1e-4 or from 1e15. */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = x.toExponential();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  assert(m !== null, `unexpected exponential form ${exp}`);
  const e = Number(m[4]);
  if (e < -4 || e >= 15) {
    const mantissa = m[3] === undefined ? m[2]! : `${m[2]}.${m[3]}`;
    const absE = Math.abs(e);
    return `${m[1]}${mantissa}e${e < 0 ? '-' : '+'}${absE < 10 ? '0' : ''}${absE}`;
  }
  return String(x);
}

/** The text form of a non-NULL value (CAST(x AS text), concatenation). */
export function valueToText(v: Value, t: SqlType): string {
  assert(v !== null, 'valueToText on NULL');
  switch (t.id) {
    case 'varchar': return v as string;
    case 'boolean': return v === true ? 'true' : 'false';
    case 'decimal': return decimalToString(v as bigint, scaleOf(t));
    case 'double': return formatDouble(v as number);
    case 'date': return formatDate(v as number);
    case 'timestamp': return formatTimestamp(v as number);
    default: return typeof v === 'bigint' ? v.toString() : String(v);
  }
}

/**
 * A primitive usable as a Map key such that two values are equal under SQL '=' exactly when their keys
 * are equal, across the numeric types (so an integer join key matches a decimal one). NULL is not keyed.
 */
export function equalityKey(v: Value, t: SqlType): string | number | boolean {
  assert(v !== null, 'equalityKey on NULL');
  switch (t.id) {
    case 'decimal': {
      const s = scaleOf(t);
      const big = v as bigint;
      if (s === 0) return Number.isSafeInteger(Number(big)) ? Number(big) : big.toString();
      const unit = pow10(s);
      if (big % unit === 0n) {
        const whole = big / unit;
        return Number.isSafeInteger(Number(whole)) ? Number(whole) : whole.toString();
      }
      return decimalToString(big, s).replace(/0+$/, '');
    }
    case 'double': {
      const x = v as number;
      if (Number.isInteger(x) && Number.isSafeInteger(x)) return x === 0 ? 0 : x;
      // Non-integral doubles: their exact decimal expansion is what a decimal would need to match.
      return Number.isNaN(x) ? 'NaN' : x.toString();
    }
    case 'varchar': return t.fixed === true ? 's' + trimBlanks(v as string) : 's' + (v as string);
    case 'timestamp': return v as number;
    default: return typeof v === 'bigint' ? v.toString() : v as number | boolean;
  }
}

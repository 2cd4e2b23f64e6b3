// Scalar functions and operators by name, evaluated on single values (the interpreter's core and the
// compiled kernels' fallback). Each takes the argument values, the argument types and the result type
// the binder decided. Strict functions are never called with a NULL argument.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { arith, fromDouble, negate, type ArithOp } from './arith.ts';
import { castValue, rationalToType } from './cast.ts';
import { addMonths, addMonthsMicros, civilFromDays, daysFromCivil, MICROS_PER_DAY } from './datetime.ts';
import { pow10, rescale } from './decimal.ts';
import { compareValues, scaleOf, toDouble, toScaled, trimBlanks, valueToText } from './values.ts';

export type ScalarImpl = (args: readonly Value[], argTypes: readonly SqlType[], type: SqlType) => Value;

export interface ScalarFn {
  /** NULL in any argument gives NULL without calling impl. */
  readonly strict: boolean;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly impl: ScalarImpl;
}

function strict(minArgs: number, maxArgs: number, impl: ScalarImpl): ScalarFn {
  return { strict: true, minArgs, maxArgs, impl };
}

function lenient(minArgs: number, maxArgs: number, impl: ScalarImpl): ScalarFn {
  return { strict: false, minArgs, maxArgs, impl };
}

/** The text form of an argument; CHAR(n) without its padding, as PostgreSQL's char → text does. */
function text(v: Value, t: SqlType): string {
  if (typeof v === 'string') return t.fixed === true ? trimBlanks(v) : v;
  return valueToText(v, t);
}

function int(v: Value, t: SqlType): number {
  if (typeof v === 'number') return v;
  return Number(castValue(v, t, { id: 'bigint' }));
}

function arithFn(op: ArithOp): ScalarFn {
  return strict(2, 2, (a, ta, t) => arith(op, a[0]!, ta[0]!, a[1]!, ta[1]!, t));
}

function compareFn(test: (c: number) => boolean): ScalarFn {
  return strict(2, 2, (a, ta) => test(compareValues(a[0]!, ta[0]!, a[1]!, ta[1]!)));
}

function isDistinct(a: readonly Value[], ta: readonly SqlType[]): boolean {
  const x = a[0]!;
  const y = a[1]!;
  if (x === null || y === null) return (x === null) !== (y === null);
  return compareValues(x, ta[0]!, y, ta[1]!) !== 0;
}

// Positions and lengths count characters (code points) like PostgreSQL, not UTF-16 code units; strings
// without surrogates (nearly all) take the plain code-unit path.
const SURROGATE = /[\uD800-\uDFFF]/;

function chars(s: string): string[] | undefined {
  return SURROGATE.test(s) ? Array.from(s) : undefined;
}

function charLength(s: string): number {
  const cs = chars(s);
  return cs === undefined ? s.length : cs.length;
}

/** Characters [start, end) (0-based, clamped). */
function charSlice(s: string, start: number, end?: number): string {
  const cs = chars(s);
  return cs === undefined ? s.slice(start, end) : cs.slice(start, end).join('');
}

function charPosition(haystack: string, needle: string): number {
  const unit = haystack.indexOf(needle);
  if (unit <= 0) return unit + 1;
  return charLength(haystack.slice(0, unit)) + 1;
}

function substring(s: string, from: number, count: number | undefined): string {
  if (count !== undefined && count < 0) throw new DuetError('22011', 'negative substring length not allowed');
  const start = Math.max(from, 1);
  const end = count === undefined ? Infinity : from + count;
  if (end <= start) return '';
  return charSlice(s, start - 1, end === Infinity ? undefined : end - 1);
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  let start = 0;
  let end = s.length;
  if (left) while (start < end && chars.includes(s[start]!)) start++;
  if (right) while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

function pad(s: string, length: number, fill: string, left: boolean): string {
  if (length <= 0) return '';
  const have = charLength(s);
  if (have >= length) return charSlice(s, 0, length);
  if (fill === '') return s;
  let padding = '';
  while (charLength(padding) < length - have) padding += fill;
  padding = charSlice(padding, 0, length - have);
  return left ? padding + s : s + padding;
}

/** A numeric function computed exactly for integers/decimals and in double otherwise. */
function exactOrDouble(exact: (v: bigint, scale: number) => bigint, dbl: (x: number) => number): ScalarImpl {
  return (a, ta, t) => {
    const at = ta[0]!;
    if (at.id === 'double' || t.id === 'double') return fromDouble(dbl(toDouble(a[0]!, at)), t);
    const s = scaleOf(at);
    const r = exact(toScaled(a[0]!, at, s), s);
    return rationalToType(r, pow10(s), t);
  };
}

function floorDiv(v: bigint, unit: bigint): bigint {
  const q = v / unit;
  return v % unit !== 0n && v < 0n ? q - 1n : q;
}

function roundTo(v: bigint, scale: number, digits: number, mode: 'round' | 'trunc'): bigint {
  // result keeps `scale` digits but is rounded/truncated at `digits` after the point
  if (digits >= scale) return v;
  const unit = pow10(scale - digits);
  const q = mode === 'round' ? rescale(v, scale, digits) : v / unit;
  return q * unit;
}

function roundImpl(mode: 'round' | 'trunc'): ScalarImpl {
  return (a, ta, t) => {
    const at = ta[0]!;
    const digits = a.length > 1 ? int(a[1]!, ta[1]!) : 0;
    if (at.id === 'double' && t.id === 'double' && a.length === 1) {
      const x = a[0] as number;
      return mode === 'trunc' ? Math.trunc(x) : roundHalfEvenDouble(x);
    }
    // numeric: exact at max(arg scale, digits)
    const s = Math.max(scaleOf(at), digits, 0);
    const v = at.id === 'double' ? castValue(a[0]!, at, { id: 'decimal', scale: s }) as bigint : toScaled(a[0]!, at, s);
    const r = roundTo(v, s, digits, mode);
    return rationalToType(r, pow10(s), t);
  };
}

function roundHalfEvenDouble(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function extract(field: string, v: number, t: SqlType, resultType: SqlType): Value {
  const micros = t.id === 'date' ? v * MICROS_PER_DAY : v;
  const days = Math.floor(micros / MICROS_PER_DAY);
  const timeOfDay = micros - days * MICROS_PER_DAY;
  const c = civilFromDays(days);
  let n: bigint;
  let d = 1n;
  switch (field.toLowerCase()) {
    case 'year': n = BigInt(c.year); break;
    case 'month': n = BigInt(c.month); break;
    case 'day': n = BigInt(c.day); break;
    case 'quarter': n = BigInt(Math.floor((c.month - 1) / 3) + 1); break;
    case 'dow': n = BigInt((((days + 4) % 7) + 7) % 7); break;
    case 'isodow': n = BigInt(((((days + 4) % 7) + 7) % 7) || 7); break;
    case 'doy': n = BigInt(days - daysFromCivil(c.year, 1, 1) + 1); break;
    case 'decade': n = BigInt(Math.floor(c.year / 10)); break;
    case 'century': n = BigInt(c.year > 0 ? Math.floor((c.year + 99) / 100) : -Math.floor((99 - c.year) / 100)); break;
    case 'hour': n = BigInt(Math.floor(timeOfDay / 3_600_000_000)); break;
    case 'minute': n = BigInt(Math.floor(timeOfDay / 60_000_000) % 60); break;
    case 'second': n = BigInt(timeOfDay % 60_000_000); d = 1_000_000n; break;
    case 'millisecond': case 'milliseconds': n = BigInt(timeOfDay % 60_000_000); d = 1000n; break;
    case 'microsecond': case 'microseconds': n = BigInt(timeOfDay % 60_000_000); break;
    case 'epoch': n = BigInt(micros); d = 1_000_000n; break;
    default: throw new DuetError(SqlState.invalidParameterValue, `unit "${field}" not supported for type ${t.id}`);
  }
  return rationalToType(n, d, resultType);
}

function dateTrunc(field: string, v: number, t: SqlType): number {
  const micros = t.id === 'date' ? v * MICROS_PER_DAY : v;
  const days = Math.floor(micros / MICROS_PER_DAY);
  const c = civilFromDays(days);
  const timeOfDay = micros - days * MICROS_PER_DAY;
  switch (field.toLowerCase()) {
    case 'year': return daysFromCivil(c.year, 1, 1) * MICROS_PER_DAY;
    case 'quarter': return daysFromCivil(c.year, Math.floor((c.month - 1) / 3) * 3 + 1, 1) * MICROS_PER_DAY;
    case 'month': return daysFromCivil(c.year, c.month, 1) * MICROS_PER_DAY;
    case 'week': return (days - ((((days + 3) % 7) + 7) % 7)) * MICROS_PER_DAY;
    case 'day': return days * MICROS_PER_DAY;
    case 'hour': return days * MICROS_PER_DAY + Math.floor(timeOfDay / 3_600_000_000) * 3_600_000_000;
    case 'minute': return days * MICROS_PER_DAY + Math.floor(timeOfDay / 60_000_000) * 60_000_000;
    case 'second': return days * MICROS_PER_DAY + Math.floor(timeOfDay / 1_000_000) * 1_000_000;
    default: throw new DuetError(SqlState.invalidParameterValue, `unit "${field}" not recognized for type timestamp`);
  }
}

function greatestLeast(sign: number): ScalarImpl {
  return (a, ta, t) => {
    let best: Value = null;
    let bestType: SqlType = t;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v === null) continue;
      if (best === null || sign * compareValues(v, ta[i]!, best, bestType) > 0) { best = v; bestType = ta[i]!; }
    }
    return best === null ? null : castValue(best, bestType, t);
  };
}

function mathError(code: string, message: string): DuetError {
  return new DuetError(code, message);
}

export const SCALARS: Readonly<Record<string, ScalarFn>> = {
  '+': arithFn('+'),
  '-': arithFn('-'),
  '*': arithFn('*'),
  '/': arithFn('/'),
  '%': arithFn('%'),
  mod: arithFn('%'),
  neg: strict(1, 1, (a, ta, t) => negate(ta[0]!.id === t.id && scaleOf(ta[0]!) === scaleOf(t) ? a[0]! : castValue(a[0]!, ta[0]!, t), t)),
  '=': compareFn((c) => c === 0),
  '<>': compareFn((c) => c !== 0),
  '!=': compareFn((c) => c !== 0),
  '<': compareFn((c) => c < 0),
  '<=': compareFn((c) => c <= 0),
  '>': compareFn((c) => c > 0),
  '>=': compareFn((c) => c >= 0),
  is_distinct_from: lenient(2, 2, (a, ta) => isDistinct(a, ta)),
  is_not_distinct_from: lenient(2, 2, (a, ta) => !isDistinct(a, ta)),
  add_interval: strict(4, 4, (a, ta, t) => {
    const months = int(a[1]!, ta[1]!);
    const days = int(a[2]!, ta[2]!);
    const micros = int(a[3]!, ta[3]!);
    const base = a[0] as number;
    if (ta[0]!.id === 'date' && t.id === 'date') {
      return addMonths(base, months) + days + Math.trunc(micros / MICROS_PER_DAY);
    }
    const start = ta[0]!.id === 'date' ? base * MICROS_PER_DAY : base;
    const r = addMonthsMicros(start, months) + days * MICROS_PER_DAY + micros;
    return t.id === 'date' ? Math.floor(r / MICROS_PER_DAY) : r;
  }),
  '||': strict(2, 2, (a, ta) => text(a[0]!, ta[0]!) + text(a[1]!, ta[1]!)),
  concat: lenient(0, 1000, (a, ta) => {
    let s = '';
    for (let i = 0; i < a.length; i++) if (a[i] !== null) s += text(a[i]!, ta[i]!);
    return s;
  }),
  substring: strict(2, 3, (a, ta) => substring(text(a[0]!, ta[0]!), int(a[1]!, ta[1]!), a.length > 2 ? int(a[2]!, ta[2]!) : undefined)),
  substr: strict(2, 3, (a, ta) => substring(text(a[0]!, ta[0]!), int(a[1]!, ta[1]!), a.length > 2 ? int(a[2]!, ta[2]!) : undefined)),
  position: strict(2, 2, (a, ta) => charPosition(text(a[1]!, ta[1]!), text(a[0]!, ta[0]!))),
  strpos: strict(2, 2, (a, ta) => charPosition(text(a[0]!, ta[0]!), text(a[1]!, ta[1]!))),
  length: strict(1, 1, (a, ta) => charLength(text(a[0]!, ta[0]!))),
  char_length: strict(1, 1, (a, ta) => charLength(text(a[0]!, ta[0]!))),
  character_length: strict(1, 1, (a, ta) => charLength(text(a[0]!, ta[0]!))),
  octet_length: strict(1, 1, (a, ta) => Buffer.byteLength(text(a[0]!, ta[0]!), 'utf8')),
  upper: strict(1, 1, (a, ta) => text(a[0]!, ta[0]!).toUpperCase()),
  lower: strict(1, 1, (a, ta) => text(a[0]!, ta[0]!).toLowerCase()),
  trim: strict(1, 2, (a, ta) => trimChars(text(a[0]!, ta[0]!), a.length > 1 ? text(a[1]!, ta[1]!) : ' ', true, true)),
  btrim: strict(1, 2, (a, ta) => trimChars(text(a[0]!, ta[0]!), a.length > 1 ? text(a[1]!, ta[1]!) : ' ', true, true)),
  ltrim: strict(1, 2, (a, ta) => trimChars(text(a[0]!, ta[0]!), a.length > 1 ? text(a[1]!, ta[1]!) : ' ', true, false)),
  rtrim: strict(1, 2, (a, ta) => trimChars(text(a[0]!, ta[0]!), a.length > 1 ? text(a[1]!, ta[1]!) : ' ', false, true)),
  replace: strict(3, 3, (a, ta) => {
    const s = text(a[0]!, ta[0]!);
    const from = text(a[1]!, ta[1]!);
    return from === '' ? s : s.split(from).join(text(a[2]!, ta[2]!));
  }),
  left: strict(2, 2, (a, ta) => {
    const s = text(a[0]!, ta[0]!);
    const n = int(a[1]!, ta[1]!);
    return n >= 0 ? charSlice(s, 0, n) : charSlice(s, 0, Math.max(0, charLength(s) + n));
  }),
  right: strict(2, 2, (a, ta) => {
    const s = text(a[0]!, ta[0]!);
    const n = int(a[1]!, ta[1]!);
    const len = charLength(s);
    return n >= 0 ? charSlice(s, Math.max(0, len - n)) : charSlice(s, Math.min(len, -n));
  }),
  lpad: strict(2, 3, (a, ta) => pad(text(a[0]!, ta[0]!), int(a[1]!, ta[1]!), a.length > 2 ? text(a[2]!, ta[2]!) : ' ', true)),
  rpad: strict(2, 3, (a, ta) => pad(text(a[0]!, ta[0]!), int(a[1]!, ta[1]!), a.length > 2 ? text(a[2]!, ta[2]!) : ' ', false)),
  reverse: strict(1, 1, (a, ta) => [...text(a[0]!, ta[0]!)].reverse().join('')),
  repeat: strict(2, 2, (a, ta) => text(a[0]!, ta[0]!).repeat(Math.max(0, int(a[1]!, ta[1]!)))),
  extract: strict(2, 2, (a, ta, t) => extract(text(a[0]!, ta[0]!), a[1] as number, ta[1]!, t)),
  date_part: strict(2, 2, (a, ta, t) => extract(text(a[0]!, ta[0]!), a[1] as number, ta[1]!, t)),
  date_trunc: strict(2, 2, (a, ta, t) => {
    const r = dateTrunc(text(a[0]!, ta[0]!), a[1] as number, ta[1]!);
    return t.id === 'date' ? Math.floor(r / MICROS_PER_DAY) : r;
  }),
  abs: strict(1, 1, exactOrDouble((v) => (v < 0n ? -v : v), Math.abs)),
  sign: strict(1, 1, exactOrDouble((v, s) => (v > 0n ? 1n : v < 0n ? -1n : 0n) * pow10(s), Math.sign)),
  floor: strict(1, 1, exactOrDouble((v, s) => floorDiv(v, pow10(s)) * pow10(s), Math.floor)),
  ceil: strict(1, 1, exactOrDouble((v, s) => -floorDiv(-v, pow10(s)) * pow10(s), Math.ceil)),
  ceiling: strict(1, 1, exactOrDouble((v, s) => -floorDiv(-v, pow10(s)) * pow10(s), Math.ceil)),
  round: strict(1, 2, roundImpl('round')),
  trunc: strict(1, 2, roundImpl('trunc')),
  sqrt: strict(1, 1, (a, ta, t) => {
    const x = toDouble(a[0]!, ta[0]!);
    if (x < 0) throw mathError('2201F', 'cannot take square root of a negative number');
    return fromDouble(Math.sqrt(x), t);
  }),
  cbrt: strict(1, 1, (a, ta, t) => fromDouble(Math.cbrt(toDouble(a[0]!, ta[0]!)), t)),
  exp: strict(1, 1, (a, ta, t) => fromDouble(Math.exp(toDouble(a[0]!, ta[0]!)), t)),
  ln: strict(1, 1, (a, ta, t) => {
    const x = toDouble(a[0]!, ta[0]!);
    if (x === 0) throw mathError('2201E', 'cannot take logarithm of zero');
    if (x < 0) throw mathError('2201E', 'cannot take logarithm of a negative number');
    return fromDouble(Math.log(x), t);
  }),
  log10: strict(1, 1, (a, ta, t) => {
    const x = toDouble(a[0]!, ta[0]!);
    if (x === 0) throw mathError('2201E', 'cannot take logarithm of zero');
    if (x < 0) throw mathError('2201E', 'cannot take logarithm of a negative number');
    return fromDouble(Math.log10(x), t);
  }),
  power: strict(2, 2, (a, ta, t) => {
    const x = toDouble(a[0]!, ta[0]!);
    const y = toDouble(a[1]!, ta[1]!);
    if (x === 0 && y < 0) throw mathError('2201F', 'zero raised to a negative power is undefined');
    if (x < 0 && !Number.isInteger(y)) throw mathError('2201F', 'a negative number raised to a non-integer power yields a complex result');
    if (t.id !== 'double' && Number.isInteger(y) && y >= 0 && ta[0]!.id !== 'double') {
      const s = scaleOf(ta[0]!);
      const base = toScaled(a[0]!, ta[0]!, s);
      return rationalToType(base ** BigInt(y), pow10(s * y), t);
    }
    return fromDouble(Math.pow(x, y), t);
  }),
  pow: strict(2, 2, (a, ta, t) => SCALARS.power!.impl(a, ta, t)),
  greatest: lenient(1, 1000, greatestLeast(1)),
  least: lenient(1, 1000, greatestLeast(-1)),
  nullif: lenient(2, 2, (a, ta) => {
    const x = a[0]!;
    const y = a[1]!;
    if (x === null) return null;
    if (y !== null && compareValues(x, ta[0]!, y, ta[1]!) === 0) return null;
    return x;
  }),
  coalesce: lenient(1, 1000, (a, ta, t) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== null) return castValue(a[i]!, ta[i]!, t);
    return null;
  }),
  pi: strict(0, 0, () => Math.PI),
};

/** Looks up a function, checking arity; 42883 if there is no such function. */
export function resolveScalar(name: string, argTypes: readonly SqlType[]): ScalarFn {
  const fn = Object.hasOwn(SCALARS, name) ? SCALARS[name] : undefined;
  if (fn === undefined || argTypes.length < fn.minArgs || argTypes.length > fn.maxArgs) {
    throw new DuetError(SqlState.undefinedFunction, `function ${name}(${argTypes.map((t) => t.id).join(', ')}) does not exist`, {
      hint: 'No function matches the given name and argument types.',
    });
  }
  return fn;
}


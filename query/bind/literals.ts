// Conversion of single values between SQL types: constant folding of casts, COPY input, parameter
// values and DEFAULTs. Errors are PostgreSQL's (22P02 bad text, 22003 out of range).

import { DuetError, SqlState } from '../../oltp/errors.ts';
import { typeName, type SqlType, type Value } from '../../oltp/types.ts';
import { decimalToNumber, decimalToString, doubleToDecimal, parseDecimal, rescale, pow10, checkPrecision } from '../../olap/exec/decimal.ts';
import { formatDate, formatTimestamp, parseDate, parseTimestamp, MICROS_PER_DAY } from '../../olap/exec/datetime.ts';

const INT32_MAX = 2147483647;

export function castConstant(v: Value, from: SqlType, to: SqlType): Value {
  if (v === null) return null;
  switch (to.id) {
    case 'null': return null;
    case 'varchar': {
      const s = valueToText(v, from);
      return to.length !== undefined && !to.fixed && s.length > to.length ? s.slice(0, to.length) : s;
    }
    case 'integer': case 'bigint': return toInteger(v, from, to);
    case 'decimal': return toDecimal(v, from, to);
    case 'double': return toDouble(v, from);
    case 'boolean': return toBoolean(v, from);
    case 'date':
      if (from.id === 'date') return v;
      if (from.id === 'timestamp') return Math.floor((v as number) / MICROS_PER_DAY);
      if (typeof v === 'string') return parseDate(v);
      break;
    case 'timestamp':
      if (from.id === 'timestamp') return v;
      if (from.id === 'date') return (v as number) * MICROS_PER_DAY;
      if (typeof v === 'string') return parseTimestamp(v);
      break;
  }
  throw new DuetError(SqlState.datatypeMismatch, `cannot cast type ${typeName(from)} to ${typeName(to)}`);
}

export function valueToText(v: Value, t: SqlType): string {
  if (v === null) return '';
  switch (t.id) {
    case 'decimal': return decimalToString(v as bigint, t.scale ?? 0);
    case 'date': return formatDate(v as number);
    case 'timestamp': return formatTimestamp(v as number);
    case 'boolean': return v ? 'true' : 'false';
    case 'double': return formatDouble(v as number);
    default: return String(v);
  }
}

export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

function toInteger(v: Value, from: SqlType, to: SqlType): number {
  let n: number;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^[+-]?\d+$/.test(t)) throw new DuetError(SqlState.invalidTextRepresentation, `invalid input syntax for type ${typeName(to)}: "${v}"`);
    n = Number(t);
  } else if (typeof v === 'bigint') {
    n = Number(rescale(v, from.scale ?? 0, 0));
  } else if (typeof v === 'boolean') {
    n = v ? 1 : 0;
  } else {
    n = from.id === 'double' ? roundHalfEven(v as number) : (v as number);
  }
  const max = to.id === 'integer' ? INT32_MAX : Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(n) || n > max || n < -max - (to.id === 'integer' ? 1 : 0)) {
    throw new DuetError(SqlState.numericValueOutOfRange, `${to.id === 'integer' ? 'integer' : 'bigint'} out of range`);
  }
  return n;
}

// PostgreSQL rounds float8 → integer half to even (rint)
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function toDecimal(v: Value, from: SqlType, to: SqlType): bigint {
  const scale = to.scale ?? 0;
  let out: bigint;
  if (typeof v === 'string') {
    const d = parseDecimal(v, scale);
    if (d === undefined) throw new DuetError(SqlState.invalidTextRepresentation, `invalid input syntax for type numeric: "${v}"`);
    out = d;
  } else if (typeof v === 'bigint') out = rescale(v, from.scale ?? 0, scale);
  else if (typeof v === 'number') out = from.id === 'double' ? doubleToDecimal(v, scale) : BigInt(v) * pow10(scale);
  else throw new DuetError(SqlState.datatypeMismatch, `cannot cast type ${typeName(from)} to numeric`);
  return checkPrecision(out, to.precision, scale);
}

function toDouble(v: Value, from: SqlType): number {
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'nan') return NaN;
    if (t === 'infinity' || t === '+infinity') return Infinity;
    if (t === '-infinity') return -Infinity;
    const n = Number(t);
    if (t === '' || Number.isNaN(n)) throw new DuetError(SqlState.invalidTextRepresentation, `invalid input syntax for type double precision: "${v}"`);
    return n;
  }
  if (typeof v === 'bigint') return decimalToNumber(v, from.scale ?? 0);
  if (typeof v === 'boolean') throw new DuetError(SqlState.datatypeMismatch, 'cannot cast type boolean to double precision');
  return v as number;
}

function toBoolean(v: Value, from: SqlType): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (['t', 'true', 'y', 'yes', 'on', '1'].includes(t)) return true;
    if (['f', 'false', 'n', 'no', 'off', '0'].includes(t)) return false;
    throw new DuetError(SqlState.invalidTextRepresentation, `invalid input syntax for type boolean: "${v}"`);
  }
  if (typeof v === 'number' && (from.id === 'integer' || from.id === 'bigint')) return v !== 0;
  throw new DuetError(SqlState.datatypeMismatch, `cannot cast type ${typeName(from)} to boolean`);
}

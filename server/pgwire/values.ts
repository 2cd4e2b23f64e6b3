// PostgreSQL type OIDs for duetdb's SQL types, and the text and binary wire formats of values
// (results out, parameters in). Value representation: see oltp/types.ts.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';

export const Oid = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  numeric: 1700,
} as const;

const usPerDay = 86_400_000_000;
/** PostgreSQL's binary date and timestamp formats count from 2000-01-01. */
const pgEpochDays = 10_957;
const pgEpochUs = 946_684_800_000_000n;

export function oidOf(t: SqlType): number {
  switch (t.id) {
    case 'integer': return Oid.int4;
    case 'bigint': return Oid.int8;
    case 'decimal': return Oid.numeric;
    case 'double': return Oid.float8;
    case 'boolean': return Oid.bool;
    case 'date': return Oid.date;
    case 'timestamp': return Oid.timestamp;
    case 'varchar': return t.length === undefined ? Oid.text : t.fixed ? Oid.bpchar : Oid.varchar;
    case 'null': return Oid.text;
  }
}

/** The fixed size of the type's storage (-1 for variable), as RowDescription reports it. */
export function typeSizeOf(t: SqlType): number {
  switch (t.id) {
    case 'integer': return 4;
    case 'bigint': case 'double': case 'timestamp': return 8;
    case 'boolean': return 1;
    case 'date': return 4;
    default: return -1;
  }
}

/** The type modifier: varchar(n) is n+4, numeric(p,s) is (p<<16 | s)+4, as PostgreSQL encodes them. */
export function typeModOf(t: SqlType): number {
  if (t.id === 'varchar' && t.length !== undefined) return t.length + 4;
  if (t.id === 'decimal' && t.precision !== undefined) return ((t.precision << 16) | (t.scale ?? 0)) + 4;
  return -1;
}

// ---------------------------------------------------------------- text format (out)

export function formatText(v: Value, t: SqlType): string | null {
  if (v === null) return null;
  switch (t.id) {
    case 'decimal': return typeof v === 'bigint' ? formatScaled(v, t.scale ?? 0) : String(v);
    case 'double': return typeof v === 'number' ? formatFloat(v) : String(v);
    case 'boolean': return v === true ? 't' : v === false ? 'f' : String(v);
    case 'date': return typeof v === 'number' ? formatDate(v) : String(v);
    case 'timestamp': return typeof v === 'number' ? formatTimestamp(v) : String(v);
    default:
      if (typeof v === 'boolean') return v ? 't' : 'f';
      return String(v);
  }
}

export function formatScaled(v: bigint, scale: number): string {
  if (scale <= 0) return v.toString();
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const cut = digits.length - scale;
  return `${negative ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function formatDate(days: number): string {
  const d = new Date(days * 86_400_000);
  const year = d.getUTCFullYear();
  const text = `${pad(year > 0 ? year : 1 - year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  return year > 0 ? text : `${text} BC`;
}

export function formatTimestamp(us: number): string {
  const days = Math.floor(us / usPerDay);
  let rest = us - days * usPerDay;
  const hours = Math.floor(rest / 3_600_000_000);
  rest -= hours * 3_600_000_000;
  const minutes = Math.floor(rest / 60_000_000);
  rest -= minutes * 60_000_000;
  const seconds = Math.floor(rest / 1_000_000);
  const micros = rest - seconds * 1_000_000;
  let text = `${formatDate(days)} ${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}`;
  if (micros > 0) text += `.${pad(micros, 6).replace(/0+$/, '')}`;
  if (text.includes(' BC ')) text = text.replace(' BC ', ' ') + ' BC';
  return text;
}

// ---------------------------------------------------------------- binary format (out)

/** A value in binary format; types without a binary form here fall back to their text bytes (see README). */
export function formatBinary(value: Value, t: SqlType): Buffer | null {
  if (value === null) return null;
  // The SQL layer may hand over dates, timestamps and decimals already as text: back to the row form.
  const v = typeof value === 'string' && t.id !== 'varchar' && t.id !== 'decimal' && t.id !== 'null' ? parseTextAs(value, t) : value;
  if (v === null) return null;
  switch (t.id) {
    case 'integer': return int32Buffer(Number(v));
    case 'bigint': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt(v as number));
      return b;
    }
    case 'double': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(Number(v));
      return b;
    }
    case 'boolean': return Buffer.from([v === true ? 1 : 0]);
    case 'date': return int32Buffer(Number(v) - pgEpochDays);
    case 'timestamp': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt(v as number) - pgEpochUs);
      return b;
    }
    case 'decimal': return numericBinary(formatText(v, t)!);
    default: return Buffer.from(formatText(v, t)!, 'utf8');
  }
}

function int32Buffer(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}

/** numeric's binary form: base-10000 digit groups around the decimal point, with weight, sign, scale. */
function numericBinary(text: string): Buffer {
  const negative = text.startsWith('-');
  const [intPart = '0', fracPart = ''] = (negative ? text.slice(1) : text).split('.');
  const intPadded = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  const fracPadded = fracPart.padEnd(Math.ceil(fracPart.length / 4) * 4, '0');
  let groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  let weight = groups.length - 1;
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  while (groups.length > 0 && groups[0] === 0) {
    groups.shift();
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  if (groups.length === 0) weight = 0;
  const b = Buffer.allocUnsafe(8 + groups.length * 2);
  b.writeInt16BE(groups.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(negative && groups.length > 0 ? 0x4000 : 0, 4);
  b.writeInt16BE(fracPart.length, 6);
  groups.forEach((g, i) => b.writeInt16BE(g, 8 + i * 2));
  groups = [];
  return b;
}

// ---------------------------------------------------------------- parameters (in)

function badValue(typeName: string, text: string): DuetError {
  return new DuetError(SqlState.invalidTextRepresentation, `invalid input syntax for type ${typeName}: "${text}"`);
}

/**
 * A parameter sent in text format, decoded by its declared OID. Numbers and booleans become their
 * values; everything else (and untyped parameters, OID 0) stays a string that the SQL layer coerces to
 * the type the statement needs, as PostgreSQL does with an unknown-typed literal.
 */
export function parseTextParam(text: string, oid: number): Value {
  switch (oid) {
    case Oid.int2: case Oid.int4: case Oid.int8: case Oid.oid: {
      if (!/^\s*[+-]?\d+\s*$/.test(text)) throw badValue('integer', text);
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw new DuetError(SqlState.numericValueOutOfRange, `value "${text}" is out of range for type bigint`);
      return n;
    }
    case Oid.float4: case Oid.float8: {
      const t = text.trim().toLowerCase();
      if (t === 'nan') return NaN;
      if (t === 'infinity' || t === '+infinity' || t === 'inf') return Infinity;
      if (t === '-infinity' || t === '-inf') return -Infinity;
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw badValue('double precision', text);
      return n;
    }
    case Oid.bool: {
      const t = text.trim().toLowerCase();
      if (['t', 'true', 'yes', 'y', 'on', '1'].includes(t)) return true;
      if (['f', 'false', 'no', 'n', 'off', '0'].includes(t)) return false;
      throw badValue('boolean', text);
    }
    default:
      return text;
  }
}

/** A parameter sent in binary format: the common fixed-size types, text, and the date/time types. */
export function parseBinaryParam(b: Buffer, oid: number): Value {
  const need = (n: number): void => {
    if (b.length !== n) throw new DuetError('08P01', `binary parameter of type ${oid} has ${b.length} bytes, expected ${n}`);
  };
  switch (oid) {
    case Oid.int2: need(2); return b.readInt16BE(0);
    case Oid.int4: case Oid.oid: need(4); return b.readInt32BE(0);
    case Oid.int8: {
      need(8);
      const v = b.readBigInt64BE(0);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new DuetError(SqlState.numericValueOutOfRange, `value ${v} is out of range for duetdb's bigint`);
      }
      return Number(v);
    }
    case Oid.float4: need(4); return b.readFloatBE(0);
    case Oid.float8: need(8); return b.readDoubleBE(0);
    case Oid.bool: need(1); return b[0] !== 0;
    case Oid.date: need(4); return formatDate(b.readInt32BE(0) + pgEpochDays);
    case Oid.timestamp: need(8); return formatTimestamp(Number(b.readBigInt64BE(0) + pgEpochUs));
    case Oid.text: case Oid.varchar: case Oid.bpchar: case Oid.unknown: case 0: return b.toString('utf8');
    case Oid.numeric: return numericFromBinary(b);
    default:
      throw new DuetError(SqlState.featureNotSupported, `binary format for parameters of type OID ${oid} is not supported`, {
        hint: 'send this parameter in text format',
      });
  }
}

/** numeric's binary form back to its decimal text (passed on like a text parameter). */
function numericFromBinary(b: Buffer): string {
  if (b.length < 8) throw new DuetError('08P01', 'binary numeric parameter is too short');
  const count = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  const scale = b.readInt16BE(6);
  if (sign === 0xc000) return 'NaN';
  if (b.length !== 8 + count * 2) throw new DuetError('08P01', 'binary numeric parameter has the wrong length');
  let intPart = '';
  let fracPart = '';
  for (let i = 0; i < Math.max(count, weight + 1); i++) {
    const group = i < count ? String(b.readInt16BE(8 + i * 2)).padStart(4, '0') : '0000';
    if (i <= weight) intPart += group;
    else fracPart += group;
  }
  // Groups before the first one (negative weight) are zeros after the point.
  if (weight < -1) fracPart = '0000'.repeat(-weight - 1) + fracPart;
  intPart = intPart.replace(/^0+/, '') || '0';
  fracPart = fracPart.padEnd(scale, '0').slice(0, scale);
  return `${sign === 0x4000 ? '-' : ''}${intPart}${scale > 0 ? '.' + fracPart : ''}`;
}

// ---------------------------------------------------------------- text input by column type (COPY FROM)

/** Converts one COPY text field to the value representation of the column's type. */
export function parseTextAs(text: string, t: SqlType): Value {
  switch (t.id) {
    case 'integer': case 'bigint': return parseTextParam(text, Oid.int8);
    case 'double': return parseTextParam(text, Oid.float8);
    case 'boolean': return parseTextParam(text, Oid.bool);
    case 'decimal': return parseDecimal(text, t.scale ?? 0);
    case 'date': return parseDate(text);
    case 'timestamp': return parseTimestamp(text);
    default: return text;
  }
}

function parseDecimal(text: string, scale: number): bigint {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw badValue('numeric', text);
  const frac = m[3] ?? '';
  const kept = frac.slice(0, scale).padEnd(scale, '0');
  let v = BigInt((m[2] || '0') + kept);
  // Round half away from zero on the first dropped digit, as PostgreSQL's numeric input does.
  if (frac.length > scale && Number(frac[scale]) >= 5) v += 1n;
  return m[1] === '-' ? -v : v;
}

function parseDate(text: string): number {
  const m = /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
  if (!m) throw new DuetError(SqlState.invalidDatetimeFormat, `invalid input syntax for type date: "${text}"`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round(ms / 86_400_000);
}

function parseTimestamp(text: string): number {
  const m = /^\s*(\d{4,}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*$/.exec(text);
  if (!m) throw new DuetError(SqlState.invalidDatetimeFormat, `invalid input syntax for type timestamp: "${text}"`);
  const days = parseDate(m[1]!);
  const micros = Number((m[5] ?? '').padEnd(6, '0'));
  return days * usPerDay + ((Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 1_000_000 + micros;
}

// Turns a query result into sqllogictest's canonical value list (I/R/T rendering, sort modes, md5 hash)
// and compares it with a record's expected result. Pure functions; no engine involved.

import { createHash } from 'node:crypto';
import type { SqlType, Value } from '../../oltp/types.ts';
import { pgText } from '../../cli/pgtext.ts';
import type { Expected, SortMode } from './parse.ts';

/**
 * Renders one value as the reference runner does: NULL as `NULL`; I as an integer (a fraction is
 * truncated toward zero, as the reference's int64 read of a real does); R with exactly 3 decimals; T as
 * PostgreSQL's text with '' shown as `(empty)` and non-printable characters as `@`. Booleans read as
 * 1/0 in I and R columns because the reference engine (SQLite) has no boolean type.
 */
export function formatValue(value: Value, typeChar: string, type: SqlType): string {
  if (value === null) return 'NULL';
  if (typeChar === 'I') return integerText(value, type);
  if (typeChar === 'R') return realText(toDouble(value, type));
  const text = pgText(value, type) ?? 'NULL';
  if (text === '') return '(empty)';
  return text.replace(/[^\x20-\x7e]/g, '@');
}

function integerText(value: Exclude<Value, null>, type: SqlType): string {
  if (typeof value === 'bigint') {
    const scale = type.scale ?? 0;
    return (value / 10n ** BigInt(scale)).toString(); // BigInt division truncates toward zero
  }
  if (typeof value === 'string') {
    // Plain decimal text (how the engine hands out DECIMALs): truncate exactly, without a double in between.
    const m = /^\s*([+-]?)(\d+)(\.\d*)?\s*$/.exec(value);
    if (m) {
      const whole = BigInt(m[2] ?? '0');
      return whole === 0n ? '0' : `${m[1] === '-' ? '-' : ''}${whole.toString()}`;
    }
  }
  const x = toDouble(value, type);
  if (!Number.isFinite(x)) return '0';
  const t = Math.trunc(x);
  return Object.is(t, -0) ? '0' : Number.isSafeInteger(t) ? String(t) : BigInt(t).toString();
}

/** The value as a double; text reads its leading number (0 when there is none), like the reference. */
function toDouble(value: Exclude<Value, null>, type: SqlType): number {
  switch (typeof value) {
    case 'number': return value;
    case 'boolean': return value ? 1 : 0;
    case 'bigint': return Number(pgText(value, type)); // through text: correctly rounded to the nearest double
    case 'string': {
      const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(value);
      return m ? Number(m[0]) : 0;
    }
  }
}

/** C's printf("%.3f"): the exact binary value rounded to 3 places, exact ties to even. */
export function realText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return `${BigInt(x).toString()}.000`; // toFixed switches to exponent form there
  let text = x.toFixed(3); // rounds exact ties away from zero
  const four = x.toFixed(4);
  if (four.endsWith('5') && Number(four) === x) {
    // An exact tie: toFixed went away from zero; printf keeps the even last digit.
    const truncated = four.slice(0, -1);
    const lastDigit = Number(truncated.at(-1));
    if (lastDigit % 2 === 0) text = truncated;
  }
  return text;
}

export interface ResultColumn {
  readonly type: SqlType;
}

/** The result as the flat list of rendered values, after the record's sort mode. */
export function canonicalValues(types: string, sortMode: SortMode, columns: readonly ResultColumn[], rows: readonly (readonly Value[])[]): string[] {
  const rendered = rows.map((row) => row.map((v, c) => formatValue(v, types[c] ?? 'T', columns[c]?.type ?? { id: 'varchar' })));
  if (sortMode === 'rowsort') rendered.sort(compareRows);
  const values = rendered.flat();
  if (sortMode === 'valuesort') values.sort(compareStrings);
  return values;
}

// The reference sorts with strcmp: byte order, not locale order.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRows(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** md5 over every value followed by a newline, as in `N values hashing to <md5>`. */
export function hashValues(values: readonly string[]): string {
  const h = createHash('md5');
  for (const v of values) h.update(`${v}\n`);
  return h.digest('hex');
}

/** Undefined when `actual` matches; otherwise a short human-readable description of the difference. */
export function compareResult(expected: Expected, actual: readonly string[]): string | undefined {
  if (expected.kind === 'hash') {
    if (actual.length !== expected.count) return `expected ${expected.count} values, got ${actual.length}${preview(' first: ', actual)}`;
    const md5 = hashValues(actual);
    return md5 === expected.md5 ? undefined : `${actual.length} values hash to ${md5}, expected ${expected.md5}${preview(' first: ', actual)}`;
  }
  const want = expected.values;
  if (want.length !== actual.length) return `expected ${want.length} values, got ${actual.length}${preview(' expected: ', want)}${preview(' got: ', actual)}`;
  for (let i = 0; i < want.length; i++) {
    if (want[i] !== actual[i]) return `value ${i + 1} of ${want.length}: expected ${JSON.stringify(want[i])}, got ${JSON.stringify(actual[i])}`;
  }
  return undefined;
}

function preview(label: string, values: readonly string[]): string {
  const shown = values.slice(0, 6).join(' ');
  return `${label}[${shown}${values.length > 6 ? ' ...' : ''}]`;
}

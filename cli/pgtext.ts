// Renders engine values (oltp/types.ts representation) as PostgreSQL's text output, the way psql shows
// them. Shared by the CLI's formatters and the sqllogictest runner's `T` columns.

import type { SqlType, Value } from '../oltp/types.ts';

const MICROS_PER_DAY = 86_400_000_000n;

/** PostgreSQL's text form of `value` of type `type`; null is returned as null (callers choose how to show it). */
export function pgText(value: Value, type: SqlType): string | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string': return value;
    case 'boolean': return value ? 't' : 'f';
    case 'bigint': return decimalText(value, type.scale ?? 0);
    case 'number':
      if (type.id === 'date') return dateText(value);
      if (type.id === 'timestamp') return timestampText(value);
      if (type.id === 'double') return doubleText(value);
      return String(value);
  }
}

/** A DECIMAL held as an integer scaled by 10^scale, printed with exactly `scale` digits after the point. */
export function decimalText(scaled: bigint, scale: number): string {
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** PostgreSQL prints float8 with the shortest round-trip digits, and exponents as e+NN beyond 1e15. */
export function doubleText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e15 || abs < 1e-4)) {
    const [mantissa, exponent = '0'] = x.toExponential().split('e');
    const expNumber = Number(exponent);
    const expText = String(Math.abs(expNumber)).padStart(2, '0');
    return `${mantissa}e${expNumber < 0 ? '-' : '+'}${expText}`;
  }
  return String(x);
}

/** Days since 1970-01-01 as YYYY-MM-DD. */
export function dateText(days: number): string {
  const d = new Date(days * 86_400_000);
  return `${yearText(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** Microseconds since the epoch as YYYY-MM-DD HH:MM:SS[.ffffff] (trailing zeros of the fraction dropped). */
export function timestampText(micros: number): string {
  const total = BigInt(Math.trunc(micros));
  let days = total / MICROS_PER_DAY;
  let rest = total % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const secondsOfDay = Number(rest / 1_000_000n);
  const fraction = Number(rest % 1_000_000n);
  const hh = Math.floor(secondsOfDay / 3600);
  const mm = Math.floor((secondsOfDay % 3600) / 60);
  const ss = secondsOfDay % 60;
  let text = `${dateText(Number(days))} ${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
  if (fraction !== 0) text += `.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
  return text;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function yearText(year: number): string {
  // PostgreSQL shows years before 1 AD as "YYYY-MM-DD BC"; that range is outside what we store in practice.
  return String(year).padStart(4, '0');
}

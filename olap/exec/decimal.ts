// Exact decimal arithmetic on scaled bigints (value × 10^scale), with PostgreSQL's rounding (half away
// from zero) and text forms. Used by the interpreter, casts and aggregate finalization.

import { DuetError, SqlState } from '../../oltp/errors.ts';

const POW10: bigint[] = [1n];
const POW10N: number[] = [1];

export function pow10(n: number): bigint {
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1]! * 10n);
  return POW10[n]!;
}

/** 10^n as a number (exact up to 10^22). */
export function pow10n(n: number): number {
  while (POW10N.length <= n) POW10N.push(POW10N[POW10N.length - 1]! * 10);
  return POW10N[n]!;
}

/** a / b rounded half away from zero (b ≠ 0). */
export function divRound(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  if (r === 0n) return q;
  const twiceR = (r < 0n ? -r : r) * 2n;
  const absB = b < 0n ? -b : b;
  if (twiceR >= absB) return (a < 0n) !== (b < 0n) ? q - 1n : q + 1n;
  return q;
}

/** Changes the scale of a scaled value, rounding half away from zero when digits are dropped. */
export function rescale(v: bigint, from: number, to: number): bigint {
  if (to === from) return v;
  if (to > from) return v * pow10(to - from);
  return divRound(v, pow10(from - to));
}

/** Rescale for values held as numbers (exact integers < 2^53); returns NaN when the result is unsafe. */
export function rescaleNumber(v: number, from: number, to: number): number {
  if (to === from) return v;
  if (to > from) {
    const r = v * pow10n(to - from);
    return Number.isSafeInteger(r) ? r : NaN;
  }
  const d = pow10n(from - to);
  const q = Math.trunc(v / d);
  const rem = v - q * d;
  if (2 * Math.abs(rem) >= d) return v < 0 ? q - 1 : q + 1;
  return q;
}

export function decimalToString(v: bigint, scale: number): string {
  const negative = v < 0n;
  let digits = (negative ? -v : v).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return negative ? '-' + digits : digits;
}

export function decimalToNumber(v: bigint, scale: number): number {
  if (scale === 0) return Number(v);
  return Number.parseFloat(decimalToString(v, scale));
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses decimal text into a value at `scale` (rounded); undefined if the text is not a number. */
export function parseDecimal(text: string, scale: number): bigint | undefined {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (m === null) return undefined;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart === '' && fracPart === '') return undefined;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isFinite(exponent) || Math.abs(exponent) > 1000) return undefined;
  let v = BigInt(intPart + fracPart || '0');
  // the digits as an integer have scale fracPart.length - exponent
  v = rescaleSigned(v, fracPart.length - exponent, scale);
  return m[1] === '-' ? -v : v;
}

function rescaleSigned(v: bigint, from: number, to: number): bigint {
  if (to >= from) return v * pow10(to - from);
  return divRound(v, pow10(from - to));
}

/** A double as a decimal at `scale`, going through 15 significant digits like PostgreSQL's float8→numeric. */
export function doubleToDecimal(x: number, scale: number): bigint {
  if (!Number.isFinite(x)) throw new DuetError(SqlState.featureNotSupported, `cannot convert ${x} to numeric`);
  const v = parseDecimal(x.toPrecision(15), scale);
  if (v === undefined) throw new DuetError(SqlState.invalidTextRepresentation, `cannot convert ${x} to numeric`);
  return v;
}

/** Number of digits of |v| (0 has 1 digit). */
export function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** 22003 if v (at `scale`) needs more than `precision` digits. */
export function checkPrecision(v: bigint, precision: number | undefined, scale: number): bigint {
  if (precision === undefined) return v;
  if (v !== 0n && digitCount(v) > precision) {
    throw new DuetError(SqlState.numericValueOutOfRange, 'numeric field overflow', {
      detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than 10^${precision - scale}.`,
    });
  }
  return v;
}

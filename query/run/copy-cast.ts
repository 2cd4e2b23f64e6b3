// COPY's fast text-to-value casts for the plain forms bulk files hold (integers, decimals, ISO dates): the
// generic castConstant path (trim, regexes, BigInt rescaling) was a large share of COPY's per-row CPU.
import type { SqlType, Value } from '../../oltp/types.ts';
import { daysFromCivil, daysInMonth } from '../../olap/exec/datetime.ts';

const INTEGER_TEXT = /^-?\d{1,15}$/;
const DECIMAL_TEXT = /^(-?)(\d{1,15})(?:\.(\d{1,15}))?$/;
const INT32_MAX = 2147483647;

/**
 * The value of `text` as `type` when it is in a plain form this function knows, else undefined: the caller then
 * uses castConstant, which also produces every error. Where it answers, it answers exactly as castConstant does
 * (test/sql/copy-cast.test.ts checks that property).
 */
export function fastCast(text: string, type: SqlType): Value | undefined {
  switch (type.id) {
    case 'integer': case 'bigint': {
      if (!INTEGER_TEXT.test(text)) return undefined;
      const n = Number(text);
      if (type.id === 'integer' && (n > INT32_MAX || n < -INT32_MAX - 1)) return undefined;
      return n;
    }
    case 'decimal': {
      const scale = type.scale ?? 0;
      const m = DECIMAL_TEXT.exec(text);
      if (m === null) return undefined;
      const intPart = m[2]!;
      const frac = m[3] ?? '';
      if (frac.length > scale) return undefined; // rounding: leave it to the generic path
      if (type.precision !== undefined) {
        let lead = 0;
        while (lead < intPart.length - 1 && intPart.charCodeAt(lead) === 48) lead++;
        const intDigits = intPart.length - lead === 1 && intPart.charCodeAt(lead) === 48 ? 0 : intPart.length - lead;
        if (intDigits > type.precision - scale) return undefined; // out of range: the generic path raises 22003
      }
      const v = BigInt(intPart + frac.padEnd(scale, '0'));
      return m[1] === '-' ? -v : v;
    }
    case 'date': {
      // YYYY-MM-DD exactly
      if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
      const year = digits(text, 0, 4);
      const month = digits(text, 5, 7);
      const day = digits(text, 8, 10);
      if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
      return daysFromCivil(year, month, day);
    }
    default:
      return undefined;
  }
}

/** The decimal number in text[start, end), or -1 when a character is not a digit. */
function digits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

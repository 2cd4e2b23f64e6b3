// COPY's fast casts (query/run/copy-cast.ts) agree with the generic castConstant wherever they answer,
// and answer for the plain forms bulk files hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { castConstant } from '../../query/bind/literals.ts';
import { fastCast } from '../../query/run/copy-cast.ts';
import { Types, type SqlType, type Value } from '../../oltp/types.ts';

const TEXT = Types.text;

/** castConstant's answer, or the error's code when it throws. */
function generic(text: string, type: SqlType): Value | { code: string } {
  try {
    return castConstant(text, TEXT, type);
  } catch (e) {
    return { code: (e as { code: string }).code };
  }
}

const types: SqlType[] = [Types.integer, Types.bigint, Types.date, Types.decimal(15, 2), Types.decimal(4, 2), Types.decimal(5, 0), { id: 'decimal' }];

// texts near the forms the fast path handles: digits, signs, points, dashes, spaces, letters
const texts = fc.oneof(
  fc.stringMatching(/^[-+ ]?\d{0,17}(\.\d{0,4})?[ a]?$/),
  fc.stringMatching(/^\d{1,5}-\d{1,3}-\d{1,3}$/),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
  fc.constantFrom('-0', '0', '00.10', '2147483647', '2147483648', '-2147483648', '-2147483649', '999999999999999', '99.99', '100.00', '2000-02-29', '1900-02-29'),
);

describe('COPY fast casts', () => {
  it('give exactly castConstant\'s value wherever they answer', () => {
    fc.assert(fc.property(texts, fc.constantFrom(...types), (text, type) => {
      const fast = fastCast(text, type);
      if (fast === undefined) return;
      expect(generic(text, type)).toStrictEqual(fast);
    }), { numRuns: 5000 });
  });

  it('answer for the plain TPC-H forms', () => {
    expect(fastCast('155190', Types.integer)).toBe(155190);
    expect(fastCast('-7', Types.bigint)).toBe(-7);
    expect(fastCast('21168.23', Types.decimal(15, 2))).toBe(2116823n);
    expect(fastCast('0.04', Types.decimal(15, 2))).toBe(4n);
    expect(fastCast('17', Types.decimal(15, 2))).toBe(1700n);
    expect(fastCast('1996-03-13', Types.date)).toBe(castConstant('1996-03-13', TEXT, Types.date));
    // outside the fast forms: left to the generic path (which rounds or raises)
    expect(fastCast('1.005', Types.decimal(15, 2))).toBeUndefined();
    expect(fastCast('100.00', Types.decimal(4, 2))).toBeUndefined();
    expect(fastCast('2147483648', Types.integer)).toBeUndefined();
    expect(fastCast('1996-02-30', Types.date)).toBeUndefined();
    expect(fastCast(' 1', Types.integer)).toBeUndefined();
  });
});

// Property tests: byte order of encoded keys equals SQL order of the tuples (PostgreSQL ASC, NULLS LAST).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, skipKeyValues } from '../../oltp/keycodec.ts';
import { Types, type SqlType, type Value } from '../../oltp/types.ts';

/** Codepoint order (what UTF-8 byte order gives, PostgreSQL's C collation), not JS UTF-16 order. */
function compareStrings(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}

/** Reference SQL comparator for one value of a type. Decimals compare by numeric value whatever their scale. */
function compareValue(a: Value, b: Value, scaleA = 0, scaleB = 0): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    // a / 10^sa vs b / 10^sb  <=>  a * 10^sb vs b * 10^sa
    const x = a * 10n ** BigInt(scaleB);
    const y = b * 10n ** BigInt(scaleA);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.isNaN(a) ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0; // -0 == 0
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error('mixed types');
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

interface Column {
  type: SqlType;
  arb: fc.Arbitrary<Value>;
}

const nullable = (arb: fc.Arbitrary<Value>): fc.Arbitrary<Value> => fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: arb });
const columns: Column[] = [
  { type: Types.integer, arb: nullable(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })) },
  { type: Types.bigint, arb: nullable(fc.maxSafeInteger()) },
  { type: Types.double, arb: nullable(fc.oneof(fc.double(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE))) },
  { type: Types.decimal(20, 3), arb: nullable(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n })) },
  { type: Types.text, arb: nullable(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('\u0000', 'a', 'b', '\u00ff', '\uffff', '😀') }))) },
  { type: Types.boolean, arb: nullable(fc.boolean()) },
  { type: Types.date, arb: nullable(fc.integer({ min: -1_000_000, max: 1_000_000 })) },
  { type: Types.timestamp, arb: nullable(fc.integer({ min: -(2 ** 52), max: 2 ** 52 })) },
];

const tupleCase = fc
  .array(fc.constantFrom(...columns), { minLength: 1, maxLength: 3 })
  .chain((cols) => fc.tuple(fc.constant(cols), fc.tuple(...cols.map((c) => c.arb)), fc.tuple(...cols.map((c) => c.arb))));

function compareTuples(cols: Column[], a: Value[], b: Value[]): number {
  for (let i = 0; i < cols.length; i++) {
    const c = compareValue(a[i]!, b[i]!, cols[i]!.type.scale ?? 0, cols[i]!.type.scale ?? 0);
    if (c !== 0) return c;
  }
  return 0;
}

describe('order-preserving key encoding', () => {
  it('memcmp order of encoded tuples equals SQL order', () => {
    fc.assert(
      fc.property(tupleCase, ([cols, a, b]) => {
        const types = cols.map((c) => c.type);
        const byteOrder = sign(Buffer.compare(encodeKey(a, types), encodeKey(b, types)));
        expect(byteOrder).toBe(sign(compareTuples(cols, a, b)));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes what it encodes and skips exactly the encoded bytes', () => {
    fc.assert(
      fc.property(tupleCase, ([cols, a]) => {
        const types = cols.map((c) => c.type);
        const enc = encodeKey(a, types);
        const back = decodeKey(enc, types);
        const norm = (v: Value): Value => (typeof v === 'number' && Object.is(v, -0) ? 0 : v);
        expect(back).toEqual(a.map(norm));
        expect(skipKeyValues(enc, 0, types.length)).toBe(enc.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('decimals of different scales compare by numeric value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }), (a, sa, b, sb) => {
        const ea = encodeKey([a], [Types.decimal(30, sa)]);
        const eb = encodeKey([b], [Types.decimal(30, sb)]);
        expect(sign(Buffer.compare(ea, eb))).toBe(sign(compareValue(a, b, sa, sb)));
      }),
      { numRuns: 2000 },
    );
  });

  it('a tuple prefix encodes to a byte prefix, and a shorter string sorts before its extensions', () => {
    const types = [Types.text, Types.integer];
    const full = encodeKey(['ab', 5], types);
    expect(full.subarray(0, encodeKey(['ab'], types).length).equals(encodeKey(['ab'], types))).toBe(true);
    expect(Buffer.compare(encodeKey(['a'], types), encodeKey(['a\u0000'], types))).toBe(-1);
    expect(Buffer.compare(encodeKey(['a\u0000'], types), encodeKey(['a\u0001'], types))).toBe(-1);
    expect(Buffer.compare(encodeKey([NaN], [Types.double]), encodeKey([Infinity], [Types.double]))).toBe(1);
    expect(Buffer.compare(encodeKey([null], [Types.double]), encodeKey([NaN], [Types.double]))).toBe(1);
  });
});

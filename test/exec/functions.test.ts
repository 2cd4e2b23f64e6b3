// Scalar semantics checked against PostgreSQL's documented results: arithmetic and its errors, exact
// decimals, casts, dates and intervals, string functions, LIKE, three-valued logic. Every case runs both
// compiled and interpreted.

import { describe, expect, it } from 'vitest';
import { getValue, rowsToBatch } from '../../olap/exec/batch.ts';
import { Evaluator } from '../../olap/exec/expr/evaluator.ts';
import type { Expr } from '../../olap/exec/spec.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { Types as T } from '../../oltp/types.ts';

const B = T.boolean;
const c = (value: Value, type: SqlType): Expr => ({ kind: 'const', value, type });
const f = (fn: string, type: SqlType, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type });
const cast = (arg: Expr, type: SqlType): Expr => ({ kind: 'cast', arg, type });
const i = (v: number | null) => c(v, T.integer);
const big = (v: number) => c(v, T.bigint);
const dec = (text: string, scale: number) => c(BigInt(text.replace('.', '')), T.decimal(18, scale));
const s = (v: string | null) => c(v, T.text);
const dbl = (v: number) => c(v, T.double);
const date = (text: string) => cast(s(text), T.date);
const NUM = (scale: number): SqlType => ({ id: 'decimal', scale });

/** Evaluates over a one-row batch with a column so kernels run their loop; both paths must agree. */
function ev(e: Expr): Value {
  const batch = rowsToBatch([[1]], [T.integer]);
  const results = [false, true].map((interpret) => getValue(new Evaluator(e, [], interpret).vector(batch), 0));
  expect(results[0]).toEqual(results[1]);
  return results[0]!;
}

function err(e: Expr): string {
  const codes = [false, true].map((interpret) => {
    try {
      new Evaluator(e, [], interpret).vector(rowsToBatch([[1]], [T.integer]));
      return 'no error';
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  });
  expect(codes[0]).toBe(codes[1]);
  return codes[0]!;
}

describe('arithmetic', () => {
  it('integer division truncates toward zero and % keeps the dividend sign', () => {
    expect(ev(f('/', T.integer, i(7), i(2)))).toBe(3);
    expect(ev(f('/', T.integer, i(-7), i(2)))).toBe(-3);
    expect(ev(f('%', T.integer, i(-7), i(2)))).toBe(-1);
    expect(ev(f('/', T.bigint, big(9007199254740991), big(2)))).toBe(4503599627370495);
  });
  it('division by zero is 22012 for every numeric type', () => {
    expect(err(f('/', T.integer, i(1), i(0)))).toBe('22012');
    expect(err(f('%', T.integer, i(1), i(0)))).toBe('22012');
    expect(err(f('/', NUM(6), dec('1.00', 2), dec('0.0', 1)))).toBe('22012');
    expect(err(f('/', T.double, dbl(1), dbl(0)))).toBe('22012');
  });
  it('integer overflow is 22003', () => {
    expect(err(f('+', T.integer, i(2147483647), i(1)))).toBe('22003');
    expect(err(f('*', T.integer, i(65536), i(65536)))).toBe('22003');
    expect(err(f('neg', T.integer, i(-2147483648)))).toBe('22003');
    expect(err(f('/', T.integer, i(-2147483648), i(-1)))).toBe('22003');
    expect(err(f('*', T.bigint, big(9007199254740991), big(2)))).toBe('22003');
  });
  it('decimal arithmetic is exact with PostgreSQL result scales', () => {
    // 0.1 + 0.2 = 0.3 exactly
    expect(ev(f('+', NUM(1), dec('0.1', 1), dec('0.2', 1)))).toBe(3n);
    // 1.5 * 1.25 = 1.875 (scale 1 + 2)
    expect(ev(f('*', NUM(3), dec('1.5', 1), dec('1.25', 2)))).toBe(1875n);
    // 1 / 3 at scale 6 rounds half away from zero; 2 / 3 rounds up
    expect(ev(f('/', NUM(6), dec('1', 0), dec('3', 0)))).toBe(333333n);
    expect(ev(f('/', NUM(6), dec('2', 0), dec('3', 0)))).toBe(666667n);
    expect(ev(f('/', NUM(2), dec('-1', 0), dec('8', 0)))).toBe(-13n);
    // integer + decimal
    expect(ev(f('-', NUM(2), i(1), dec('0.05', 2)))).toBe(95n);
    // beyond 2^53: exact through the bigint path
    expect(ev(f('*', NUM(4), dec('90071992547409.93', 2), dec('100.00', 2)))).toBe(90071992547409930000n);
  });
  it('mixed comparisons compare exact values', () => {
    expect(ev(f('=', B, i(1), dec('1.00', 2)))).toBe(true);
    expect(ev(f('<', B, dec('0.10', 2), dbl(0.2)))).toBe(true);
    expect(ev(f('>', B, dec('2.5', 1), i(2)))).toBe(true);
  });
  it('NaN equals itself and is above every number (PostgreSQL)', () => {
    const nan = cast(s('NaN'), T.double);
    expect(ev(f('=', B, nan, nan))).toBe(true);
    expect(ev(f('>', B, nan, dbl(Infinity)))).toBe(true);
    expect(ev(f('<', B, dbl(1), nan))).toBe(true);
  });
  it('double arithmetic follows IEEE and overflow is 22003', () => {
    expect(ev(f('+', T.double, dbl(0.1), dbl(0.2)))).toBe(0.1 + 0.2);
    expect(err(f('*', T.double, dbl(1e300), dbl(1e300)))).toBe('22003');
    expect(ev(f('+', T.double, dbl(Infinity), dbl(1)))).toBe(Infinity);
  });
});

describe('three-valued logic and NULL handling', () => {
  const n = c(null, B);
  const t = c(true, B);
  const fl = c(false, B);
  it('AND / OR / NOT', () => {
    expect(ev({ kind: 'and', args: [n, fl], type: B })).toBe(false);
    expect(ev({ kind: 'and', args: [n, t], type: B })).toBe(null);
    expect(ev({ kind: 'or', args: [n, t], type: B })).toBe(true);
    expect(ev({ kind: 'or', args: [n, fl], type: B })).toBe(null);
    expect(ev({ kind: 'not', arg: n, type: B })).toBe(null);
  });
  it('IS [NOT] NULL, IS [NOT] DISTINCT FROM', () => {
    expect(ev({ kind: 'isNull', arg: i(null), negated: false, type: B })).toBe(true);
    expect(ev(f('is_distinct_from', B, i(null), i(null)))).toBe(false);
    expect(ev(f('is_distinct_from', B, i(1), i(null)))).toBe(true);
    expect(ev(f('is_not_distinct_from', B, i(2), dec('2.0', 1)))).toBe(true);
    expect(ev(f('=', B, i(null), i(1)))).toBe(null);
  });
  it('IN lists with NULLs', () => {
    const inList = (arg: Expr, negated: boolean, ...list: Expr[]): Expr => ({ kind: 'in', arg, list, negated, type: B });
    expect(ev(inList(i(1), false, i(1), i(null)))).toBe(true);
    expect(ev(inList(i(2), false, i(1), i(null)))).toBe(null);
    expect(ev(inList(i(2), true, i(1), i(null)))).toBe(null);
    expect(ev(inList(i(2), true, i(1), i(3)))).toBe(true);
    expect(ev(inList(i(null), false, i(1)))).toBe(null);
  });
  it('CASE is lazy: a branch that would divide by zero is not evaluated', () => {
    const e: Expr = { kind: 'case', whens: [{ when: f('=', B, i(0), i(0)), then: i(0) }], else: f('/', T.integer, i(1), i(0)), type: T.integer };
    expect(ev(e)).toBe(0);
    const simple: Expr = { kind: 'case', operand: i(2), whens: [{ when: i(1), then: s('one') }, { when: i(2), then: s('two') }], type: T.text };
    expect(ev(simple)).toBe('two');
    expect(ev({ kind: 'case', operand: i(3), whens: [{ when: i(1), then: s('one') }], type: T.text })).toBe(null);
  });
  it('COALESCE is lazy, NULLIF, GREATEST/LEAST skip NULLs', () => {
    expect(ev(f('coalesce', T.integer, i(null), i(4), f('/', T.integer, i(1), i(0))))).toBe(4);
    expect(ev(f('nullif', T.integer, i(3), i(3)))).toBe(null);
    expect(ev(f('nullif', T.integer, i(3), i(4)))).toBe(3);
    expect(ev(f('greatest', T.integer, i(3), i(null), i(9)))).toBe(9);
    expect(ev(f('least', NUM(1), dec('2.5', 1), i(null), i(1)))).toBe(10n);
  });
});

describe('casts', () => {
  it('text to numbers, with 22P02 for bad input', () => {
    expect(ev(cast(s(' 42 '), T.integer))).toBe(42);
    expect(err(cast(s('4x'), T.integer))).toBe('22P02');
    expect(err(cast(s('1.5'), T.integer))).toBe('22P02');
    expect(err(cast(s('99999999999'), T.integer))).toBe('22003');
    expect(ev(cast(s('12.345'), T.decimal(10, 2)))).toBe(1235n);
    expect(ev(cast(s('-1e2'), T.decimal(10, 1)))).toBe(-1000n);
    expect(err(cast(s('abc'), T.decimal(10, 2)))).toBe('22P02');
    expect(ev(cast(s('1.5e3'), T.double))).toBe(1500);
  });
  it('numeric rounding: decimal half away from zero, double half to even', () => {
    expect(ev(cast(dec('2.5', 1), T.integer))).toBe(3);
    expect(ev(cast(dec('-2.5', 1), T.integer))).toBe(-3);
    expect(ev(cast(dbl(2.5), T.integer))).toBe(2);
    expect(ev(cast(dbl(3.5), T.integer))).toBe(4);
    expect(err(cast(dec('123.45', 2), T.decimal(4, 2)))).toBe('22003');
  });
  it('to text', () => {
    expect(ev(cast(dec('-0.05', 2), T.text))).toBe('-0.05');
    expect(ev(cast(dbl(1e20), T.text))).toBe('1e+20');
    expect(ev(cast(dbl(0.5), T.text))).toBe('0.5');
    expect(ev(cast(c(true, B), T.text))).toBe('true');
    expect(ev(cast(date('1998-12-01'), T.text))).toBe('1998-12-01');
    expect(ev(cast(s('abcdef'), T.varchar(3)))).toBe('abc');
    expect(ev(cast(s('ab'), T.varchar(4, true)))).toBe('ab  ');
  });
  it('text to boolean and dates', () => {
    expect(ev(cast(s('yes'), B))).toBe(true);
    expect(err(cast(s('maybe'), B))).toBe('22P02');
    expect(ev(date('1970-01-02'))).toBe(1);
    expect(err(date('1995-02-30'))).toBe('22008');
    expect(err(date('not a date'))).toBe('22007');
    expect(ev(cast(s('2000-01-01 12:30:00'), T.timestamp))).toBe((10957 * 86400 + 45000) * 1e6);
  });
});

describe('dates and intervals', () => {
  it('date ± integer days and date - date', () => {
    expect(ev(cast(f('-', T.date, date('1998-12-01'), i(90)), T.text))).toBe('1998-09-02');
    expect(ev(f('-', T.integer, date('1995-03-15'), date('1995-01-01')))).toBe(73);
  });
  it('add_interval clamps month ends like PostgreSQL', () => {
    const add = (d: string, months: number, days: number) => cast(f('add_interval', T.date, date(d), i(months), i(days), big(0)), T.text);
    expect(ev(add('1994-01-01', 3, 0))).toBe('1994-04-01');
    expect(ev(add('2000-01-31', 1, 0))).toBe('2000-02-29');
    expect(ev(add('1995-01-31', 1, 0))).toBe('1995-02-28');
    expect(ev(add('1994-01-01', 12, 0))).toBe('1995-01-01');
    expect(ev(add('1998-12-01', 0, -90))).toBe('1998-09-02');
  });
  it('EXTRACT fields', () => {
    expect(ev(f('extract', T.integer, s('year'), date('1995-03-15')))).toBe(1995);
    expect(ev(f('extract', T.integer, s('month'), date('1995-03-15')))).toBe(3);
    expect(ev(f('extract', T.integer, s('day'), date('1995-03-15')))).toBe(15);
    expect(ev(f('extract', T.integer, s('dow'), date('1995-03-15')))).toBe(3);
    expect(ev(f('extract', T.integer, s('doy'), date('1995-03-15')))).toBe(74);
    expect(ev(f('extract', NUM(0), s('year'), date('1995-03-15')))).toBe(1995n);
  });
});

describe('strings', () => {
  it('substring, position, length, case, trim, concat, replace', () => {
    expect(ev(f('substring', T.text, s('13-456'), i(1), i(2)))).toBe('13');
    expect(ev(f('substring', T.text, s('hello'), i(0), i(3)))).toBe('he');
    expect(ev(f('substring', T.text, s('hello'), i(4)))).toBe('lo');
    expect(err(f('substring', T.text, s('hello'), i(1), i(-1)))).toBe('22011');
    expect(ev(f('position', T.integer, s('lo'), s('hello')))).toBe(4);
    expect(ev(f('strpos', T.integer, s('hello'), s('z')))).toBe(0);
    expect(ev(f('length', T.integer, s('héllo')))).toBe(5);
    expect(ev(f('upper', T.text, s('abc')))).toBe('ABC');
    expect(ev(f('trim', T.text, s('  x  ')))).toBe('x');
    expect(ev(f('ltrim', T.text, s('xxaxx'), s('x')))).toBe('axx');
    expect(ev(f('||', T.text, s('a'), i(1)))).toBe('a1');
    expect(ev(f('||', T.text, s('a'), s(null)))).toBe(null);
    expect(ev(f('concat', T.text, s('a'), s(null), i(2)))).toBe('a2');
    expect(ev(f('replace', T.text, s('banana'), s('an'), s('_')))).toBe('b__a');
    expect(ev(f('lpad', T.text, s('7'), i(3), s('0')))).toBe('007');
    // characters, not UTF-16 code units
    expect(ev(f('length', T.integer, s('a😀b')))).toBe(3);
    expect(ev(f('substring', T.text, s('😀ab😀c'), i(2), i(3)))).toBe('ab😀');
    expect(ev(f('strpos', T.integer, s('😀ab'), s('b')))).toBe(3);
    expect(ev(f('left', T.text, s('😀ab'), i(-1)))).toBe('😀a');
    expect(ev(f('right', T.text, s('😀ab'), i(2)))).toBe('ab');
    expect(ev(f('rpad', T.text, s('😀'), i(3), s('é')))).toBe('😀éé');
  });
  it('comparison is code-point order and CHAR(n) ignores trailing blanks', () => {
    expect(ev(f('<', B, s('B'), s('a')))).toBe(true);
    // U+FFFD < U+1F600 by code point, although its UTF-16 code unit is above the surrogate's
    expect(ev(f('<', B, s('\uFFFD'), s('😀')))).toBe(true);
    expect(ev(f('>=', B, s('😀x'), s('\uFFFDy')))).toBe(true);
    expect(ev(f('=', B, c('ab  ', T.varchar(4, true)), s('ab')))).toBe(true);
    // CHAR(n) → text drops the padding: length, concatenation, casts
    expect(ev(f('length', T.integer, c('ab  ', T.varchar(4, true))))).toBe(2);
    expect(ev(f('||', T.text, c('ab  ', T.varchar(4, true)), s('x')))).toBe('abx');
    expect(ev(cast(c('ab  ', T.varchar(4, true)), T.text))).toBe('ab');
  });
  it('LIKE, ILIKE, escapes', () => {
    const like = (v: string, p: string, opts: Partial<{ escape: string; negated: boolean; ci: boolean }> = {}): Expr => ({
      kind: 'like', arg: s(v), pattern: s(p), escape: opts.escape, negated: opts.negated ?? false, caseInsensitive: opts.ci ?? false, type: B,
    });
    expect(ev(like('PROMO BRUSHED', 'PROMO%'))).toBe(true);
    expect(ev(like('abc', 'a_c'))).toBe(true);
    expect(ev(like('abc', 'a_'))).toBe(false);
    expect(ev(like('ABC', 'a%', { ci: true }))).toBe(true);
    expect(ev(like('50%', '50\\%'))).toBe(true);
    expect(ev(like('500', '50\\%'))).toBe(false);
    expect(ev(like('a.c', 'a.c'))).toBe(true);
    expect(ev(like('abc', 'a.c'))).toBe(false);
    expect(ev(like('a_c', 'a#_c', { escape: '#' }))).toBe(true);
    expect(ev(like('special requests', '%special%requests%', { negated: true }))).toBe(false);
    expect(ev(like('line1\nline2', 'line1%'))).toBe(true);
  });
});

describe('math', () => {
  it('round, floor, ceil, abs, sign, mod, power, sqrt', () => {
    expect(ev(f('round', NUM(2), dec('2.345', 3), i(2)))).toBe(235n);
    expect(ev(f('round', NUM(0), dec('-2.5', 1)))).toBe(-3n);
    expect(ev(f('round', T.double, dbl(2.5)))).toBe(2);
    expect(ev(f('floor', NUM(0), dec('-1.5', 1)))).toBe(-2n);
    expect(ev(f('ceil', NUM(0), dec('-1.5', 1)))).toBe(-1n);
    expect(ev(f('abs', T.integer, i(-4)))).toBe(4);
    expect(ev(f('sign', NUM(2), dec('-3.10', 2)))).toBe(-100n);
    expect(ev(f('mod', T.integer, i(10), i(3)))).toBe(1);
    expect(ev(f('power', T.double, dbl(2), dbl(10)))).toBe(1024);
    expect(ev(f('sqrt', T.double, dbl(16)))).toBe(4);
    expect(err(f('sqrt', T.double, dbl(-1)))).toBe('2201F');
    expect(err(f('ln', T.double, dbl(0)))).toBe('2201E');
  });
  it('an unknown function is 42883 when the plan is prepared', () => {
    expect(() => new Evaluator(f('no_such_fn', T.integer, i(1)), [])).toThrow(expect.objectContaining({ code: '42883' }));
  });
});

// Property test: compiled batch kernels agree with the row-at-a-time interpreter on random typed
// expressions over random data with NULLs, DECIMALs of several scales, dates and strings (results or
// SQLSTATE of the error), with and without selection vectors.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getValue, rowsToBatch } from '../../olap/exec/batch.ts';
import { Evaluator } from '../../olap/exec/expr/evaluator.ts';
import type { Batch, Expr, Vector } from '../../olap/exec/spec.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import { Types } from '../../oltp/types.ts';

/** More runs locally with EXEC_PROPERTY_RUNS=5000; CI keeps the default short. */
const RUNS = Number(process.env.EXEC_PROPERTY_RUNS ?? 300);
const D2 = Types.decimal(15, 2);
const D3 = Types.decimal(18, 3);
const COLUMNS: SqlType[] = [Types.integer, Types.bigint, D2, D3, Types.double, Types.text, Types.boolean, Types.date, Types.varchar(3, true)];

/** Small deterministic PRNG so one fast-check integer seeds a whole case (printed on failure). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'a', 'ab', 'abc', 'A%b', 'x_y', ' pad ', 'héllo', 'zz', 'a\\%', '😀', '\uFFFD'];

function randomValue(r: () => number, t: SqlType, nullable = true): Value {
  if (r() < 0.15 && nullable) return null;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (t.id) {
    case 'integer': return pick([0, 1, -1, 2, 7, -13, 100, 2147483647, -2147483648, Math.floor(r() * 2000) - 1000]);
    case 'bigint': return pick([0, 3, -5, 9007199254740991, Math.floor(r() * 1e12) - 5e11]);
    case 'decimal': return pick([0n, 1n, -1n, 150n, 99999n, -12345n, BigInt(Math.floor(r() * 1e9) - 5e8), 900719925474099n]);
    case 'double': return pick([0, 1.5, -2.25, 0.1, 1e20, -3, r() * 100, NaN, Infinity, -Infinity]);
    case 'varchar': return t.fixed === true ? pick(['a', 'ab ', 'abc', 'b  ']) : pick(STRINGS);
    case 'boolean': return r() < 0.5;
    case 'date': return pick([0, 9131, 10956, -1, 11016, Math.floor(r() * 20000)]);
    default: return null;
  }
}

const col = (index: number): Expr => ({ kind: 'col', index, type: COLUMNS[index]! });
const constant = (value: Value, type: SqlType): Expr => ({ kind: 'const', value, type });
const call = (fn: string, type: SqlType, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type });

type Kind = 'int' | 'dec' | 'dbl' | 'str' | 'bool' | 'date';

class ExprGen {
  constructor(private readonly r: () => number) {}

  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.r() * xs.length)]!; }

  gen(kind: Kind, depth: number): Expr {
    const leaf = depth <= 0 || this.r() < 0.25;
    switch (kind) {
      case 'int': return leaf ? this.pick([col(0), col(0), constant(randomValue(this.r, Types.integer), Types.integer)]) : this.intExpr(depth - 1);
      case 'dec': return leaf ? this.pick([col(2), col(3), constant(randomValue(this.r, D2), D2)]) : this.decExpr(depth - 1);
      case 'dbl': return leaf ? this.pick([col(4), constant(randomValue(this.r, Types.double), Types.double)]) : this.dblExpr(depth - 1);
      case 'str': return leaf ? this.pick([col(5), col(5), constant(this.pick(STRINGS), Types.text)]) : this.strExpr(depth - 1);
      case 'bool': return leaf ? this.pick([col(6), constant(this.r() < 0.5, Types.boolean)]) : this.boolExpr(depth - 1);
      case 'date': return leaf ? col(7) : this.dateExpr(depth - 1);
    }
  }

  intExpr(d: number): Expr {
    const I = Types.integer;
    switch (Math.floor(this.r() * 9)) {
      case 0: return call(this.pick(['+', '-', '*', '/', '%']), I, this.gen('int', d), this.gen('int', d));
      case 1: return call('neg', I, this.gen('int', d));
      case 2: return call('length', I, this.gen('str', d));
      case 3: return { kind: 'cast', arg: this.gen('dec', d), type: I };
      case 4: return call('extract', I, constant(this.pick(['year', 'month', 'day', 'dow', 'doy', 'quarter']), Types.text), this.gen('date', d));
      case 5: return { kind: 'case', whens: [{ when: this.gen('bool', d), then: this.gen('int', d) }], else: this.gen('int', d), type: I };
      case 6: return call('coalesce', I, this.gen('int', d), this.gen('int', d));
      case 7: return call('abs', I, this.gen('int', d));
      default: return call('-', I, this.gen('date', d), this.gen('date', d));
    }
  }

  decExpr(d: number): Expr {
    const a = this.gen('dec', d);
    const b = this.pick<Expr>([this.gen('dec', d), this.gen('int', d)]);
    const sa = a.type.scale ?? 0;
    const sb = b.type.scale ?? 0;
    switch (Math.floor(this.r() * 9)) {
      case 7: return { kind: 'cast', arg: a, type: Types.decimal(this.pick([4, 6, 9]), 2) };
      case 0: return call(this.pick(['+', '-']), Types.decimal(this.pick([38, 9]), Math.max(sa, sb)), a, b);
      case 1: return call('*', Types.decimal(38, Math.min(sa + sb, 8)), a, b);
      case 2: return call('/', Types.decimal(38, 6), a, b);
      case 3: return { kind: 'cast', arg: this.gen('int', d), type: Types.decimal(20, 2) };
      case 4: return call('round', Types.decimal(38, 1), a, constant(1, Types.integer));
      case 5: return call('coalesce', Types.decimal(38, 3), a, constant(5n, Types.decimal(3, 0)));
      case 6: return { kind: 'case', operand: this.gen('int', d), whens: [{ when: constant(1, Types.integer), then: a }], else: b, type: Types.decimal(38, Math.max(sa, sb)) };
      default: return call(this.pick(['abs', 'neg', 'floor', 'ceil', 'sign']), a.type, a);
    }
  }

  dblExpr(d: number): Expr {
    const F = Types.double;
    switch (Math.floor(this.r() * 4)) {
      case 0: return call(this.pick(['+', '-', '*', '/']), F, this.gen('dbl', d), this.pick<Expr>([this.gen('dbl', d), this.gen('dec', d), this.gen('int', d)]));
      case 1: return { kind: 'cast', arg: this.gen('dec', d), type: F };
      case 2: return call('sqrt', F, call('abs', F, this.gen('dbl', d)));
      default: return call('round', F, this.gen('dbl', d));
    }
  }

  strExpr(d: number): Expr {
    const S = Types.text;
    switch (Math.floor(this.r() * 7)) {
      case 0: return call('||', S, this.gen('str', d), this.pick<Expr>([this.gen('str', d), this.gen('int', d), this.gen('dec', d)]));
      case 1: return call('substring', S, this.gen('str', d), this.gen('int', d), constant(2, Types.integer));
      case 2: return call(this.pick(['upper', 'lower', 'trim', 'ltrim', 'rtrim']), S, this.gen('str', d));
      case 3: return call('replace', S, this.gen('str', d), constant('a', S), this.gen('str', d));
      case 4: return { kind: 'cast', arg: this.pick<Expr>([this.gen('int', d), this.gen('dec', d), this.gen('date', d), this.gen('bool', d)]), type: S };
      case 5: return call('concat', S, this.gen('str', d), this.gen('int', d));
      default: return col(8);
    }
  }

  boolExpr(d: number): Expr {
    const B = Types.boolean;
    const cmp = () => this.pick(['=', '<>', '<', '<=', '>', '>=', 'is_distinct_from', 'is_not_distinct_from']);
    switch (Math.floor(this.r() * 9)) {
      case 0: {
        const [x, y] = this.pick<[Kind, Kind]>([['int', 'int'], ['int', 'dec'], ['dec', 'dec'], ['dbl', 'dec'], ['str', 'str'], ['date', 'date'], ['bool', 'bool']]);
        return call(cmp(), B, this.gen(x, d), this.gen(y, d));
      }
      case 1: return { kind: this.pick(['and', 'or'] as const), args: [this.gen('bool', d), this.gen('bool', d), this.gen('bool', d)], type: B };
      case 2: return { kind: 'not', arg: this.gen('bool', d), type: B };
      case 3: return { kind: 'isNull', arg: this.gen(this.pick<Kind>(['int', 'str', 'dec']), d), negated: this.r() < 0.5, type: B };
      case 4: return { kind: 'in', arg: this.gen('int', d), list: [constant(1, Types.integer), this.gen('int', d), constant(this.r() < 0.3 ? null : 7, Types.integer)], negated: this.r() < 0.5, type: B };
      case 5: return { kind: 'like', arg: this.gen('str', d), pattern: this.pick<Expr>([constant(this.pick(['a%', '%b%', '_b%', 'A\\%%', '%']), Types.text), this.gen('str', d)]), negated: this.r() < 0.3, caseInsensitive: this.r() < 0.3, type: B };
      case 6: return call('=', B, col(8), this.pick<Expr>([constant('ab', Types.text), col(5)]));
      case 7: return this.r() < 0.5
        ? { kind: 'in', arg: this.gen('dec', d), list: [constant(150n, D2), this.gen('int', d)], negated: false, type: B }
        : this.longInList();
      default: return call(cmp(), B, this.gen('dec', d), this.gen('dbl', d));
    }
  }

  /** Long constant lists (the compiled Set path) over each column kind, sometimes with a NULL. */
  longInList(): Expr {
    const c = this.pick([0, 1, 2, 5, 7, 8]);
    const t = COLUMNS[c]!;
    const list: Expr[] = Array.from({ length: 8 + Math.floor(this.r() * 5) }, () => constant(randomValue(this.r, t) ?? randomValue(this.r, t), t));
    return { kind: 'in', arg: col(c), list, negated: this.r() < 0.5, type: Types.boolean };
  }

  dateExpr(d: number): Expr {
    const D = Types.date;
    switch (Math.floor(this.r() * 3)) {
      case 0: return call(this.pick(['+', '-']), D, this.gen('date', d), call('%', Types.integer, this.gen('int', d), constant(1000, Types.integer)));
      case 1: return call('add_interval', D, this.gen('date', d), constant(Math.floor(this.r() * 30) - 10, Types.integer), constant(3, Types.integer), constant(0, Types.bigint));
      default: return { kind: 'cast', arg: constant(this.pick(['1995-03-15', '2000-02-29', '1969-12-31']), Types.text), type: D };
    }
  }
}

type Outcome = { values: Value[] } | { error: string };

function outcome(f: () => Value[]): Outcome {
  try {
    return { values: f() };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    return { error: code };
  }
}

function live(batch: Batch): number[] {
  return batch.selection === undefined ? Array.from({ length: batch.length }, (_, i) => i) : Array.from(batch.selection);
}

function show(o: Outcome): string {
  // bigint and NaN spelled out (JSON would print NaN as null, hiding a NaN/NULL mix-up)
  return JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function toDict(v: Vector): Vector {
  if (v.kind !== 'string') return v;
  const dict = [...new Set(v.data)].reverse();
  const codes = Int32Array.from(v.data, (text) => dict.indexOf(text));
  return { kind: 'dict', dict, codes, valid: v.valid };
}

function makeBatch(r: () => number): Batch {
  // a third of the batches hold no NULL at all (no validity arrays): the kernels' NULL-free loops
  const nullable = r() >= 1 / 3;
  const rows = Array.from({ length: 1 + Math.floor(r() * 24) }, () => COLUMNS.map((t) => randomValue(r, t, nullable)));
  const plain = rowsToBatch(rows, COLUMNS);
  // half the batches carry string columns dictionary-encoded, as the columnar learner produces them
  const batch = r() < 0.5 ? plain : { ...plain, columns: plain.columns.map(toDict) };
  if (r() < 0.5) return batch;
  const selection = Uint32Array.from(live(batch).filter(() => r() < 0.6));
  return { ...batch, selection };
}

describe('compiled expressions equal the interpreter', () => {
  for (const kind of ['int', 'dec', 'dbl', 'str', 'bool', 'date'] as const) {
    it(`${kind} expressions (vectors)`, () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const r = prng(seed);
        const expr = new ExprGen(r).gen(kind, 3);
        const batch = makeBatch(r);
        const compiled = outcome(() => { const v = new Evaluator(expr, [], false).vector(batch); return live(batch).map((i) => getValue(v, i)); });
        const interpreted = outcome(() => { const v = new Evaluator(expr, [], true).vector(batch); return live(batch).map((i) => getValue(v, i)); });
        expect(show(compiled), `seed ${seed}: ${JSON.stringify(expr, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`).toBe(show(interpreted));
      }), { numRuns: RUNS });
    });
  }

  it('boolean expressions (selections)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const r = prng(seed);
      const expr = new ExprGen(r).gen('bool', 3);
      const batch = makeBatch(r);
      const compiled = outcome(() => Array.from(new Evaluator(expr, [], false).select(batch)));
      const interpreted = outcome(() => Array.from(new Evaluator(expr, [], true).select(batch)));
      expect(show(compiled), `seed ${seed}`).toBe(show(interpreted));
    }), { numRuns: RUNS });
  });
});

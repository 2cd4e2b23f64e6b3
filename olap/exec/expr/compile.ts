// Compiles an expression once per plan into a JavaScript function that loops over a whole batch
// (typed arrays in, typed arrays out, no boxing on the hot paths: integer/double/decimal arithmetic and
// comparisons, boolean logic, CASE, IN, LIKE, cheap casts). Everything else calls the same value-level
// functions as the interpreter. DECIMALs are carried as scaled integers in doubles; when a value would
// leave the exact range (2^53) or a column arrives as 'bigdecimal', the kernel throws FALLBACK and the
// batch is evaluated by the interpreter instead, so results never lose exactness.

import { DuetError, SqlState } from '../../../oltp/errors.ts';
import type { SqlType, Value } from '../../../oltp/types.ts';
import { castValue, outOfRange } from '../cast.ts';
import { divisionByZero } from '../arith.ts';
import { checkPrecision, pow10n, rescaleNumber } from '../decimal.ts';
import { MICROS_PER_DAY } from '../datetime.ts';
import { resolveScalar } from '../scalar.ts';
import type { Batch, Expr, Vector } from '../spec.ts';
import { compareDomain, compareText, compareValues, scaleOf, trimBlanks } from '../values.ts';
import { evalRow } from './interpret.ts';
import { likeMatch, likeRegex } from './like.ts';

/** Thrown by a kernel when the batch needs the exact (bigint) path. */
export const FALLBACK = Symbol('fallback');

type Repr = 'num' | 'dec' | 'str' | 'bool';

function reprOf(t: SqlType): Repr {
  switch (t.id) {
    case 'decimal': return 'dec';
    case 'varchar': return 'str';
    case 'boolean': return 'bool';
    default: return 'num';
  }
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** Helpers the generated code calls (kept out of the hot loop body's allocation path). */
const H = {
  FALLBACK,
  divZero(): never { throw divisionByZero(); },
  range(t: SqlType): never { throw outOfRange(t); },
  overflow(): never { throw new DuetError(SqlState.numericValueOutOfRange, 'value out of range: overflow'); },
  fallback(): never { throw FALLBACK; },
  intDiv(a: number, b: number): number {
    let q = Math.trunc(a / b);
    const r = a - q * b;
    if (r !== 0 && Math.sign(r) !== Math.sign(a)) q -= Math.sign(a) * Math.sign(b);
    return q;
  },
  /** bigint → scaled number, or FALLBACK when it does not fit exactly. */
  decNum(v: Value): number {
    if (typeof v !== 'bigint') return v as number;
    if (v > 9007199254740991n || v < -9007199254740991n) throw FALLBACK;
    return Number(v);
  },
  safe(v: number): number {
    if (!Number.isSafeInteger(v)) throw FALLBACK;
    return v;
  },
  rescaleDown(v: number, from: number, to: number): number { return rescaleNumber(v, from, to); },
  /** Raises the DECIMAL(p,s) overflow error (only called once a value is known not to fit). */
  precision(v: number, t: SqlType): never {
    checkPrecision(BigInt(v), t.precision, scaleOf(t));
    throw FALLBACK;
  },
  trim: trimBlanks,
  cmpText: compareText,
  cmpNaN(x: number, y: number): number {
    return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : Number.isNaN(y) ? -1 : x < y ? -1 : x > y ? 1 : 0;
  },
  cast: castValue,
  compare: compareValues,
  like: likeMatch,
  overDict: (memo: DictMemo, dict: readonly string[]): Uint8Array => overDict(memo, dict),
};

interface Emitted { readonly v: string; readonly n: string }

class Gen {
  readonly decls: string[] = [];
  readonly prologue: string[] = [];
  readonly K: unknown[] = [];
  private counter = 0;
  /**
   * Set while emitting the loop body used for batches in which no column the expression reads has NULLs
   * (validity undefined): column NULL flags become the literal `false`, and the JIT drops the NULL logic.
   */
  noNulls = false;
  private readonly colsSeen = new Map<number, Repr>();
  private readonly paramsSeen = new Set<number>();

  local(): Emitted {
    const id = this.counter++;
    this.decls.push(`let v${id}, n${id};`);
    return { v: `v${id}`, n: `n${id}` };
  }

  konst(value: unknown): string {
    this.K.push(value);
    return `K[${this.K.length - 1}]`;
  }

  column(index: number, t: SqlType): Repr {
    const r = reprOf(t);
    if (!this.colsSeen.has(index)) {
      this.colsSeen.set(index, r);
      const c = `c${index}`;
      this.prologue.push(`const ${c} = cols[${index}];`, `const ${c}v = ${c}.valid;`);
      if (r === 'str') {
        this.prologue.push(
          `const ${c}dict = ${c}.kind === 'dict' ? ${c}.dict : null;`,
          `const ${c}codes = ${c}.kind === 'dict' ? ${c}.codes : null;`,
          `const ${c}d = ${c}.kind === 'dict' ? null : ${c}.data;`,
        );
      } else {
        this.prologue.push(`if (${c}.kind === 'bigdecimal') throw H.FALLBACK;`, `const ${c}d = ${c}.data;`);
      }
    }
    return r;
  }

  /** The condition, true at run time, under which the batch has no NULL in any column read so far. */
  noNullsTest(): string {
    const tests = [...this.colsSeen.keys()].map((c) => `c${c}v === undefined`);
    return tests.length === 0 ? 'true' : tests.join(' && ');
  }

  param(index: number, t: SqlType): void {
    if (this.paramsSeen.has(index)) return;
    this.paramsSeen.add(index);
    const conv = reprOf(t) === 'dec' ? `H.decNum(params[${index - 1}])` : `params[${index - 1}]`;
    this.prologue.push(`const p${index} = ${conv};`, `const p${index}n = params[${index - 1}] === null || params[${index - 1}] === undefined;`);
  }
}

/**
 * `v * factor` as a safe integer: computed now when `v` is an integer literal (constants of a comparison
 * rescaled once, not per row), else code that throws FALLBACK at run time when it leaves the exact range.
 */
function scaledCode(v: string, factor: number): string {
  if (factor === 1) return v;
  const literal = /^\((-?\d+)\)$/.exec(v);
  if (literal !== null) {
    const product = Number(literal[1]!) * factor;
    if (Number.isSafeInteger(product)) return `(${product})`;
  }
  return `H.safe(${v} * ${factor})`;
}

/** Code converting a value of repr r (variable `v`) to the oltp Value representation. */
function box(r: Repr, v: string): string {
  return r === 'dec' ? `BigInt(${v})` : v;
}

function unbox(r: Repr, v: string): string {
  return r === 'dec' ? `H.decNum(${v})` : v;
}

function sameType(a: SqlType, b: SqlType): boolean {
  // a cast to a narrower DECIMAL(p,s) must still check the precision, so precision counts too
  return a.id === b.id && (a.id !== 'decimal' || (scaleOf(a) === scaleOf(b) && (b.precision === undefined || a.precision === b.precision)))
    && (a.id !== 'varchar' || (a.length === b.length && a.fixed === b.fixed));
}

/** Code raising 22003 when a scaled value in `v` does not fit DECIMAL(p,s) (nothing when p ≥ 16: 2^53 < 10^16). */
function precisionCheck(g: Gen, v: string, t: SqlType): string {
  if (t.id !== 'decimal' || t.precision === undefined || t.precision >= 16) return '';
  const limit = pow10n(t.precision);
  return ` if (${v} >= ${limit} || ${v} <= -${limit}) H.precision(${v}, ${g.konst(t)});`;
}

/** Emits code converting `src` (type from) into a fresh local of type to. */
function coerce(g: Gen, out: string[], src: Emitted, from: SqlType, to: SqlType): Emitted {
  if (sameType(from, to) || to.id === 'null') return src;
  const r = g.local();
  const fr = reprOf(from);
  const tr = reprOf(to);
  out.push(`${r.n} = ${src.n};`);
  if (from.id === 'null') {
    out.push(`${r.v} = undefined;`);
    return r;
  }
  if (fr === 'num' && from.id !== 'double' && (from.id === 'integer' || from.id === 'bigint') && to.id === 'double') {
    out.push(`${r.v} = ${src.v};`);
  } else if (from.id === 'integer' && to.id === 'bigint') {
    out.push(`${r.v} = ${src.v};`);
  } else if ((from.id === 'integer' || from.id === 'bigint') && tr === 'dec') {
    out.push(`if (!${r.n}) { ${r.v} = H.safe(${src.v} * ${pow10n(scaleOf(to))});${precisionCheck(g, r.v, to)} }`);
  } else if (fr === 'dec' && tr === 'dec') {
    const sf = scaleOf(from);
    const st = scaleOf(to);
    if (st >= sf) out.push(`if (!${r.n}) { ${r.v} = H.safe(${src.v} * ${pow10n(st - sf)});${precisionCheck(g, r.v, to)} }`);
    else out.push(`if (!${r.n}) { ${r.v} = H.rescaleDown(${src.v}, ${sf}, ${st});${precisionCheck(g, r.v, to)} }`);
  } else if (fr === 'dec' && to.id === 'double') {
    out.push(`${r.v} = ${src.v} / ${pow10n(scaleOf(from))};`);
  } else if (from.id === 'date' && to.id === 'timestamp') {
    out.push(`${r.v} = ${src.v} * ${MICROS_PER_DAY};`);
  } else {
    const f = g.konst(from);
    const t = g.konst(to);
    out.push(`if (!${r.n}) { const x = H.cast(${box(fr, src.v)}, ${f}, ${t}); ${r.n} = x === null; ${r.v} = ${unbox(tr, 'x')}; }`);
  }
  return r;
}

const CMP_OPS: Record<string, string> = { '=': '===', '<>': '!==', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** Emits a comparison of two non-NULL emitted values into boolean code; returns the expression text. */
function compareCode(g: Gen, out: string[], op: string, a: Emitted, ta: SqlType, b: Emitted, tb: SqlType): string {
  const jsOp = CMP_OPS[op]!;
  const domain = compareDomain(ta, tb);
  const ra = reprOf(ta);
  const rb = reprOf(tb);
  switch (domain) {
    case 'number': return `(${a.v} ${jsOp} ${b.v})`;
    case 'double': {
      const x = ra === 'dec' ? `(${a.v} / ${pow10n(scaleOf(ta))})` : a.v;
      const y = rb === 'dec' ? `(${b.v} / ${pow10n(scaleOf(tb))})` : b.v;
      // PostgreSQL orders NaN above every number and equal to itself; JS comparisons with NaN are false
      return `((${x} === ${x} && ${y} === ${y}) ? (${x} ${jsOp} ${y}) : (H.cmpNaN(${x}, ${y}) ${jsOp} 0))`;
    }
    case 'decimal': {
      const s = Math.max(scaleOf(ta), scaleOf(tb));
      const fa = s - (ra === 'dec' ? scaleOf(ta) : 0);
      const fb = s - (rb === 'dec' ? scaleOf(tb) : 0);
      return `(${scaledCode(a.v, pow10n(fa))} ${jsOp} ${scaledCode(b.v, pow10n(fb))})`;
    }
    case 'datetime': {
      const x = ta.id === 'date' ? `(${a.v} * ${MICROS_PER_DAY})` : a.v;
      const y = tb.id === 'date' ? `(${b.v} * ${MICROS_PER_DAY})` : b.v;
      return `(${x} ${jsOp} ${y})`;
    }
    case 'string':
      if (ra === 'str' && rb === 'str') {
        const x = ta.fixed === true || tb.fixed === true ? `H.trim(${a.v})` : a.v;
        const y = ta.fixed === true || tb.fixed === true ? `H.trim(${b.v})` : b.v;
        // equality needs no collation; ordering is by code point
        if (jsOp === '===' || jsOp === '!==') return `(${x} ${jsOp} ${y})`;
        return `(H.cmpText(${x}, ${y}) ${jsOp} 0)`;
      }
      break;
    case 'bool': return `((+${a.v}) ${jsOp} (+${b.v}))`;
  }
  const ka = g.konst(ta);
  const kb = g.konst(tb);
  return `(H.compare(${box(ra, a.v)}, ${ka}, ${box(rb, b.v)}, ${kb}) ${jsOp} 0)`;
}

function isIntType(t: SqlType): boolean {
  return t.id === 'integer' || t.id === 'bigint';
}

/** Emits arithmetic for the fast cases; returns undefined when the generic function must be used. */
function arithCode(g: Gen, out: string[], op: string, a: Emitted, ta: SqlType, b: Emitted, tb: SqlType, t: SqlType, r: Emitted): boolean {
  if (isIntType(t) && isIntType(ta) && isIntType(tb)) {
    const kt = g.konst(t);
    const lo = t.id === 'integer' ? -2147483648 : -SAFE;
    const hi = t.id === 'integer' ? 2147483647 : SAFE;
    const check = `if (${r.v} > ${hi} || ${r.v} < ${lo}) H.range(${kt});`;
    switch (op) {
      case '+': case '-': out.push(`${r.v} = ${a.v} ${op} ${b.v}; ${check}`); return true;
      case '*': out.push(`${r.v} = ${a.v} * ${b.v}; if (!Number.isSafeInteger(${r.v})) H.range(${kt}); ${check}`); return true;
      case '/': out.push(`if (${b.v} === 0) H.divZero(); ${r.v} = H.intDiv(${a.v}, ${b.v}); ${check}`); return true;
      case '%': out.push(`if (${b.v} === 0) H.divZero(); ${r.v} = ${a.v} % ${b.v} + 0;`); return true;
    }
  }
  const numeric = (x: SqlType) => isIntType(x) || x.id === 'double' || x.id === 'decimal';
  if (t.id === 'double' && numeric(ta) && numeric(tb)) {
    const x = ta.id === 'decimal' ? `(${a.v} / ${pow10n(scaleOf(ta))})` : a.v;
    const y = tb.id === 'decimal' ? `(${b.v} / ${pow10n(scaleOf(tb))})` : b.v;
    // overflow only when finite inputs give an infinite result (Infinity in, Infinity out is fine)
    const finite = `if ((${r.v} === Infinity || ${r.v} === -Infinity) && Number.isFinite(${x}) && Number.isFinite(${y})) H.overflow();`;
    if (op === '/' || op === '%') out.push(`if (${y} === 0) H.divZero(); ${r.v} = ${x} ${op} ${y}; ${finite}`);
    else out.push(`${r.v} = ${x} ${op} ${y}; ${finite}`);
    return true;
  }
  if (t.id === 'decimal' && (op === '+' || op === '-' || op === '*')
    && (isIntType(ta) || ta.id === 'decimal') && (isIntType(tb) || tb.id === 'decimal')) {
    const sa = ta.id === 'decimal' ? scaleOf(ta) : 0;
    const sb = tb.id === 'decimal' ? scaleOf(tb) : 0;
    const s = scaleOf(t);
    let m: number;
    if (op === '*') {
      out.push(`${r.v} = H.safe(${a.v} * ${b.v});`);
      m = sa + sb;
    } else {
      m = Math.max(sa, sb);
      const x = scaledCode(a.v, pow10n(m - sa));
      const y = scaledCode(b.v, pow10n(m - sb));
      out.push(`${r.v} = H.safe(${x} ${op} ${y});`);
    }
    if (s > m) out.push(`${r.v} = H.safe(${r.v} * ${pow10n(s - m)});`);
    else if (s < m) out.push(`${r.v} = H.rescaleDown(${r.v}, ${m}, ${s});`);
    const check = precisionCheck(g, r.v, t);
    if (check !== '') out.push(check);
    return true;
  }
  return false;
}

/** Whether `e` reads no column and no parameter (its value is the same on every row). */
function rowFree(e: Expr): boolean {
  switch (e.kind) {
    case 'col': case 'param': return false;
    case 'const': return true;
    case 'cast': case 'not': case 'isNull': return rowFree(e.arg);
    case 'and': case 'or': return e.args.every(rowFree);
    case 'call': return e.args.every(rowFree);
    case 'in': return rowFree(e.arg) && e.list.every(rowFree);
    case 'like': return rowFree(e.arg) && rowFree(e.pattern);
    case 'case': return (e.operand === undefined || rowFree(e.operand)) && e.whens.every((w) => rowFree(w.when) && rowFree(w.then)) && (e.else === undefined || rowFree(e.else));
  }
}

/**
 * A row-free subexpression (`l_quantity <= 1 + 10`, a date plus an interval) evaluated once, by the
 * interpreter, at compile time. Every scalar function is pure, so the per-row code would compute the same
 * value; one that raises an error is left to run per row, so the error still comes when, and only if, a row
 * evaluates it.
 */
function folded(e: Expr): Expr | undefined {
  if (e.kind === 'const' || !rowFree(e)) return undefined;
  try {
    return { kind: 'const', value: evalRow(e, [], 0, []), type: e.type };
  } catch {
    // an error (of any kind) is raised per row, as the unfolded code would, if a row gets there
    return undefined;
  }
}

function emit(g: Gen, out: string[], e: Expr): Emitted {
  const constant = folded(e);
  if (constant !== undefined) return emit(g, out, constant);
  switch (e.kind) {
    case 'col': {
      const repr = g.column(e.index, e.type);
      const r = g.local();
      const c = `c${e.index}`;
      out.push(g.noNulls ? `${r.n} = false;` : `${r.n} = ${c}v !== undefined && ${c}v[i] === 0;`);
      if (repr === 'str') out.push(`${r.v} = ${c}dict !== null ? ${c}dict[${c}codes[i]] : ${c}d[i];`);
      else if (repr === 'bool') out.push(`${r.v} = ${c}d[i] === 1;`);
      else out.push(`${r.v} = ${c}d[i];`);
      return g.noNulls ? { v: r.v, n: 'false' } : r;
    }
    case 'const': {
      if (e.value === null) return { v: 'undefined', n: 'true' };
      const repr = reprOf(e.type);
      if (repr === 'dec') {
        const big = e.value as bigint;
        if (big > 9007199254740991n || big < -9007199254740991n) throw FALLBACK;
        return { v: `(${String(Number(big))})`, n: 'false' };
      }
      if (repr === 'num' && typeof e.value === 'number' && Number.isFinite(e.value) && !Object.is(e.value, -0)) return { v: `(${String(e.value)})`, n: 'false' };
      return { v: g.konst(e.value), n: 'false' };
    }
    case 'param':
      g.param(e.index, e.type);
      return { v: `p${e.index}`, n: `p${e.index}n` };
    case 'cast': {
      const a = emit(g, out, e.arg);
      return coerce(g, out, a, e.arg.type, e.type);
    }
    case 'and': case 'or': return emitBool(g, out, e);
    case 'not': {
      const a = emit(g, out, e.arg);
      const r = g.local();
      out.push(`${r.n} = ${a.n}; ${r.v} = !${a.v};`);
      return r;
    }
    case 'isNull': {
      const a = emit(g, out, e.arg);
      const r = g.local();
      out.push(`${r.n} = false; ${r.v} = ${e.negated ? '!' : ''}${a.n};`);
      return r;
    }
    case 'case': return emitCase(g, out, e);
    case 'in': return dictDepth === 0 && dictColumnOf(e) !== undefined ? emitOverDict(g, out, e, dictColumnOf(e)!) : emitIn(g, out, e);
    case 'like': return emitLike(g, out, e);
    case 'call': return dictDepth === 0 && dictColumnOf(e) !== undefined ? emitOverDict(g, out, e, dictColumnOf(e)!) : emitCall(g, out, e);
  }
}

/**
 * The text column a comparison with text constants reads (`col = 'x'`, `'x' < col`, `col IN ('a', 'b')`),
 * when that is all it reads: such a predicate can be evaluated once per dictionary entry. Only these shapes
 * (no casts, no functions) qualify, because they never raise an error, so evaluating them on dictionary
 * entries no live row holds is harmless.
 */
function dictColumnOf(e: Expr): Extract<Expr, { kind: 'col' }> | undefined {
  const isText = (x: Expr) => reprOf(x.type) === 'str';
  const textConst = (x: Expr) => x.kind === 'const' && isText(x) && typeof x.value === 'string';
  if (e.kind === 'in') return e.arg.kind === 'col' && isText(e.arg) && e.list.length > 0 && e.list.every(textConst) ? e.arg : undefined;
  if (e.kind !== 'call' || e.args.length !== 2 || !(e.fn in CMP_OPS)) return undefined;
  const [a, b] = e.args as [Expr, Expr];
  if (a.kind === 'col' && isText(a) && textConst(b)) return a;
  if (b.kind === 'col' && isText(b) && textConst(a)) return b;
  return undefined;
}

/**
 * A predicate over one dictionary-encoded column: its value per dictionary entry is computed once per
 * dictionary (by the same compiled kernel over the entries), then each row only indexes it by its code.
 * Batches whose column is not dictionary-encoded take the ordinary code.
 */
function emitOverDict(g: Gen, out: string[], e: Expr, column: Extract<Expr, { kind: 'col' }>): Emitted {
  g.column(column.index, column.type);
  const c = `c${column.index}`;
  // the per-entry kernel is the same expression compiled the ordinary way
  dictDepth++;
  let kernel: VectorKernel;
  try { kernel = compileVector(e); } finally { dictDepth--; }
  const memo = g.konst({ dict: null, values: null, kernel, index: column.index });
  const m = `dv${g.K.length}`;
  g.prologue.push(`const ${m} = ${c}dict !== null ? H.overDict(${memo}, ${c}dict) : null;`);
  const r = g.local();
  // a NULL column value gives NULL: comparisons and IN are strict in their argument
  const columnNull = g.noNulls ? '' : ` || (${c}v !== undefined && ${c}v[i] === 0)`;
  out.push(`if (${m} !== null) { const t = ${m}[${c}codes[i]]; ${r.n} = t === 2${columnNull}; ${r.v} = t === 1; } else {`);
  const plain = e.kind === 'in' ? emitIn(g, out, e) : emitCall(g, out, e as Extract<Expr, { kind: 'call' }>);
  out.push(`${r.n} = ${plain.n}; ${r.v} = ${plain.v}; }`);
  return r;
}

/** Above 0 while compiling a per-dictionary-entry kernel (which must not recurse into itself). */
let dictDepth = 0;

interface DictMemo { dict: readonly string[] | null; values: Uint8Array | null; readonly kernel: VectorKernel; readonly index: number }

/** Per dictionary entry: 1 true, 0 false, 2 NULL (memoized while batches share one dictionary). */
function overDict(memo: DictMemo, dict: readonly string[]): Uint8Array {
  if (memo.dict === dict && memo.values !== null && memo.values.length === dict.length) return memo.values;
  const cols: Vector[] = [];
  cols[memo.index] = { kind: 'string', data: dict, valid: undefined };
  const v = memo.kernel(cols, undefined, dict.length, []);
  const values = new Uint8Array(dict.length);
  if (v.kind === 'bool') {
    for (let j = 0; j < dict.length; j++) values[j] = v.valid !== undefined && v.valid[j] === 0 ? 2 : v.data[j]!;
  }
  memo.dict = dict;
  memo.values = values;
  return values;
}

function emitBool(g: Gen, out: string[], e: Extract<Expr, { kind: 'and' | 'or' }>): Emitted {
  const r = g.local();
  const stop = e.kind === 'or' ? 'true' : 'false';
  // r.v holds the decided value once a stopping argument is seen; r.n accumulates NULLs
  out.push(`${r.v} = ${e.kind === 'and' ? 'true' : 'false'}; ${r.n} = false;`);
  const label = `L${g.K.length}_${g.decls.length}`;
  out.push(`${label}: {`);
  for (const arg of e.args) {
    const a = emit(g, out, arg);
    out.push(`if (!${a.n} && ${a.v} === ${stop}) { ${r.v} = ${stop}; ${r.n} = false; break ${label}; }`);
    out.push(`if (${a.n}) ${r.n} = true;`);
  }
  out.push('}');
  return r;
}

function emitCase(g: Gen, out: string[], e: Extract<Expr, { kind: 'case' }>): Emitted {
  const r = g.local();
  const label = `C${g.decls.length}`;
  out.push(`${r.n} = true; ${r.v} = undefined;`);
  out.push(`${label}: {`);
  let operand: Emitted | undefined;
  if (e.operand !== undefined) operand = emit(g, out, e.operand);
  for (const w of e.whens) {
    const c = emit(g, out, w.when);
    let hit: string;
    if (operand === undefined) hit = `(!${c.n} && ${c.v} === true)`;
    else hit = `(!${operand.n} && !${c.n} && ${compareCode(g, out, '=', operand, e.operand!.type, c, w.when.type)})`;
    out.push(`if (${hit}) {`);
    const t = coerce(g, out, emit(g, out, w.then), w.then.type, e.type);
    out.push(`${r.n} = ${t.n}; ${r.v} = ${t.v}; break ${label}; }`);
  }
  if (e.else !== undefined) {
    const t = coerce(g, out, emit(g, out, e.else), e.else.type, e.type);
    out.push(`${r.n} = ${t.n}; ${r.v} = ${t.v};`);
  }
  out.push('}');
  return r;
}

/** Long lists of constants of the argument's own kind become one Set lookup instead of a chain. */
const IN_SET_MIN = 8;

function constantSet(e: Extract<Expr, { kind: 'in' }>): { values: Set<unknown>; hasNull: boolean } | undefined {
  if (e.list.length < IN_SET_MIN) return undefined;
  const t = e.arg.type;
  const kind = reprOf(t);
  if (kind === 'bool' || (kind === 'str' && t.fixed === true)) return undefined;
  const values = new Set<unknown>();
  let hasNull = false;
  for (const item of e.list) {
    if (item.kind !== 'const') return undefined;
    if (item.value === null) { hasNull = true; continue; }
    if (item.type.id !== t.id || scaleOf(item.type) !== scaleOf(t) || (kind === 'str' && item.type.fixed === true)) return undefined;
    if (kind === 'dec') {
      const big = item.value as bigint;
      if (big > 9007199254740991n || big < -9007199254740991n) return undefined;
      values.add(Number(big));
    } else {
      values.add(typeof item.value === 'number' ? item.value + 0 : item.value);
    }
  }
  return { values, hasNull };
}

function emitIn(g: Gen, out: string[], e: Extract<Expr, { kind: 'in' }>): Emitted {
  const r = g.local();
  const a = emit(g, out, e.arg);
  const set = constantSet(e);
  if (set !== undefined) {
    const k = g.konst(set.values);
    out.push(`${r.n} = ${a.n}; ${r.v} = false;`);
    out.push(`if (!${a.n}) { ${r.v} = ${k}.has(${a.v}); if (!${r.v} && ${set.hasNull}) ${r.n} = true; }`);
    if (e.negated) out.push(`${r.v} = !${r.v};`);
    return r;
  }
  const label = `I${g.decls.length}`;
  out.push(`${r.n} = ${a.n}; ${r.v} = false;`);
  out.push(`${label}: if (!${a.n}) {`);
  for (const item of e.list) {
    const w = emit(g, out, item);
    out.push(`if (${w.n}) ${r.n} = true; else if (${compareCode(g, out, '=', a, e.arg.type, w, item.type)}) { ${r.v} = true; ${r.n} = false; break ${label}; }`);
  }
  out.push('}');
  if (e.negated) out.push(`${r.v} = !${r.v};`);
  return r;
}

function emitLike(g: Gen, out: string[], e: Extract<Expr, { kind: 'like' }>): Emitted {
  const a = emit(g, out, e.arg);
  const r = g.local();
  const text = (x: Emitted, t: SqlType) => (reprOf(t) === 'str' ? x.v : `H.cast(${box(reprOf(t), x.v)}, ${g.konst(t)}, ${g.konst({ id: 'varchar' })})`);
  if (e.pattern.kind === 'const' && typeof e.pattern.value === 'string' && e.arg.kind === 'col' && reprOf(e.arg.type) === 'str') {
    // a dictionary column is matched once per dictionary entry, then by code
    const re = g.konst(likeRegex(e.pattern.value, e.escape, e.caseInsensitive));
    const c = `c${e.arg.index}`;
    const m = `m${g.K.length}`;
    // batches of one column usually share one dictionary: match it once, not once per batch (the length
    // check keeps an append-only dictionary that grew in place correct)
    const memo = g.konst({ dict: null, matches: null });
    g.prologue.push(
      `if (${c}dict !== null && (${memo}.dict !== ${c}dict || ${memo}.matches.length !== ${c}dict.length)) { ${memo}.dict = ${c}dict; ${memo}.matches = ${c}dict.map((s) => ${re}.test(s)); }`,
      `const ${m} = ${c}dict !== null ? ${memo}.matches : null;`,
    );
    out.push(`${r.n} = ${a.n}; if (!${a.n}) ${r.v} = ${e.negated ? '!' : ''}(${m} !== null ? ${m}[${c}codes[i]] : ${re}.test(${a.v}));`);
    return r;
  }
  if (e.pattern.kind === 'const' && typeof e.pattern.value === 'string') {
    const re = g.konst(likeRegex(e.pattern.value, e.escape, e.caseInsensitive));
    out.push(`${r.n} = ${a.n}; if (!${a.n}) ${r.v} = ${e.negated ? '!' : ''}${re}.test(${text(a, e.arg.type)});`);
    return r;
  }
  const p = emit(g, out, e.pattern);
  const esc = e.escape === undefined ? 'undefined' : JSON.stringify(e.escape);
  out.push(`${r.n} = ${a.n} || ${p.n}; if (!${r.n}) ${r.v} = ${e.negated ? '!' : ''}H.like(${text(a, e.arg.type)}, ${text(p, e.pattern.type)}, ${esc}, ${e.caseInsensitive});`);
  return r;
}

function emitCall(g: Gen, out: string[], e: Extract<Expr, { kind: 'call' }>): Emitted {
  if (e.fn === 'coalesce') {
    const r = g.local();
    const label = `Q${g.decls.length}`;
    out.push(`${r.n} = true; ${r.v} = undefined; ${label}: {`);
    for (const arg of e.args) {
      const a = coerce(g, out, emit(g, out, arg), arg.type, e.type);
      out.push(`if (!${a.n}) { ${r.n} = false; ${r.v} = ${a.v}; break ${label}; }`);
    }
    out.push('}');
    return r;
  }
  const fn = resolveScalar(e.fn, e.args.map((a) => a.type));
  const args = e.args.map((arg) => emit(g, out, arg));
  const r = g.local();
  if (fn.strict && args.length > 0) out.push(`${r.n} = ${args.map((a) => a.n).join(' || ')};`);
  else out.push(`${r.n} = false;`);
  out.push(`if (!${r.n}) {`);
  if (e.args.length === 2 && e.fn in CMP_OPS) {
    out.push(`${r.v} = ${compareCode(g, out, e.fn, args[0]!, e.args[0]!.type, args[1]!, e.args[1]!.type)};`);
  } else if (e.args.length === 2 && (e.fn === '+' || e.fn === '-' || e.fn === '*' || e.fn === '/' || e.fn === '%')
    && arithCode(g, out, e.fn, args[0]!, e.args[0]!.type, args[1]!, e.args[1]!.type, e.type, r)) {
    // emitted by arithCode
  } else if (e.fn === 'neg' && sameType(e.args[0]!.type, e.type) && e.type.id !== 'integer' && e.type.id !== 'bigint') {
    out.push(`${r.v} = -${args[0]!.v};`);
  } else {
    const f = g.konst(fn.impl);
    const types = g.konst(e.args.map((a) => a.type));
    const t = g.konst(e.type);
    const boxed = args.map((a, k) => (fn.strict ? box(reprOf(e.args[k]!.type), a.v) : `(${a.n} ? null : ${box(reprOf(e.args[k]!.type), a.v)})`));
    out.push(`const x = ${f}([${boxed.join(', ')}], ${types}, ${t}); ${r.n} = x === null; if (!${r.n}) ${r.v} = ${unbox(reprOf(e.type), 'x')};`);
  }
  out.push('}');
  return r;
}

export interface VectorKernel {
  (cols: readonly Vector[], sel: Uint32Array | undefined, length: number, params: readonly Value[]): Vector;
}
export interface SelectKernel {
  (cols: readonly Vector[], sel: Uint32Array | undefined, length: number, params: readonly Value[]): Uint32Array;
}

/**
 * The kernel's loops over the live rows: the body emitted twice, as it is and for batches without NULLs in
 * the columns it reads (see Gen.noNulls), each once for a batch with and once without a selection vector, so
 * the JIT compiles four straight loops instead of one full of checks that are constant for a whole batch.
 * `finish` writes one row's result from the body's value.
 */
function loops(g: Gen, e: Expr, finish: (r: Emitted) => string): string[] {
  const body: string[] = [];
  const r = emit(g, body, e);
  body.push(finish(r));
  g.noNulls = true;
  const bodyNoNulls: string[] = [];
  try {
    const rn = emit(g, bodyNoNulls, e);
    bodyNoNulls.push(finish(rn));
  } finally {
    g.noNulls = false;
  }
  const bySelection = (b: string[]) => [
    'if (sel === undefined) {', 'for (let i = 0; i < length; i++) {', ...b, '}',
    '} else {', 'for (let k = 0; k < sel.length; k++) {', 'const i = sel[k];', ...b, '}', '}',
  ];
  return [`if (${g.noNullsTest()}) {`, ...bySelection(bodyNoNulls), '} else {', ...bySelection(body), '}'];
}

const vectorCache = new Map<string, VectorKernel>();
const selectCache = new Map<string, SelectKernel>();
const KERNEL_CACHE_MAX = 1024;

function cacheKey(e: Expr): string {
  // JSON alone would print NaN, ±Infinity as null and -0 as 0: constants that must not share a kernel
  return JSON.stringify(e, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return `#number:${Object.is(v, -0) ? '-0' : String(v)}`;
    return v;
  });
}

// Plans reused from the plan cache hit by object identity first, without serializing the expression.
const vectorByObject = new WeakMap<Expr, VectorKernel>();
const selectByObject = new WeakMap<Expr, SelectKernel>();

/** A kernel computing `e` for every live row into a vector aligned with the batch's physical rows. */
export function compileVector(e: Expr): VectorKernel {
  const byObject = vectorByObject.get(e);
  if (byObject !== undefined) return byObject;
  const key = cacheKey(e);
  const hit = vectorCache.get(key);
  if (hit !== undefined) { vectorByObject.set(e, hit); return hit; }
  const g = new Gen();
  const repr = reprOf(e.type);
  const alloc = repr === 'str' ? 'new Array(length).fill(\'\')' : repr === 'bool' ? 'new Uint8Array(length)' : 'new Float64Array(length)';
  const store = (r: Emitted) => (repr === 'bool' ? `out[i] = ${r.v} ? 1 : 0;` : `out[i] = ${r.v};`);
  const body = loops(g, e, (r) => `if (${r.n}) { nulls = true; } else { valid[i] = 1; ${store(r)} }`);
  const kind = repr === 'str' ? "'string'" : repr === 'bool' ? "'bool'" : repr === 'dec' ? "'decimal'" : "'number'";
  const scale = repr === 'dec' ? `, scale: ${scaleOf(e.type)}` : '';
  const src = [
    'return function kernel(cols, sel, length, params) {',
    ...g.prologue,
    ...g.decls,
    `const out = ${alloc};`,
    'const valid = new Uint8Array(length);',
    'let nulls = false;',
    ...body,
    // rows outside the selection are marked NULL in `valid`; only live rows are ever read
    `return { kind: ${kind}${scale}, data: out, valid: nulls || sel !== undefined ? valid : undefined };`,
    '};',
  ].join('\n');
  const kernel = new Function('K', 'H', src)(g.K, H) as VectorKernel;
  if (vectorCache.size >= KERNEL_CACHE_MAX) vectorCache.clear();
  vectorCache.set(key, kernel);
  vectorByObject.set(e, kernel);
  return kernel;
}

/** A kernel returning the live rows where predicate `e` is TRUE. */
export function compileSelect(e: Expr): SelectKernel {
  const byObject = selectByObject.get(e);
  if (byObject !== undefined) return byObject;
  const key = cacheKey(e);
  const hit = selectCache.get(key);
  if (hit !== undefined) { selectByObject.set(e, hit); return hit; }
  const g = new Gen();
  const body = loops(g, e, (r) => `if (!${r.n} && ${r.v} === true) out[m++] = i;`);
  const src = [
    'return function select(cols, sel, length, params) {',
    ...g.prologue,
    ...g.decls,
    'const out = new Uint32Array(sel === undefined ? length : sel.length);',
    'let m = 0;',
    ...body,
    'return out.subarray(0, m);',
    '};',
  ].join('\n');
  const kernel = new Function('K', 'H', src)(g.K, H) as SelectKernel;
  if (selectCache.size >= KERNEL_CACHE_MAX) selectCache.clear();
  selectCache.set(key, kernel);
  selectByObject.set(e, kernel);
  return kernel;
}

export function runVector(kernel: VectorKernel, batch: Batch, params: readonly Value[]): Vector {
  return kernel(batch.columns, batch.selection, batch.length, params);
}

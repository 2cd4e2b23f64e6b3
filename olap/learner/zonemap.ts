// Zone maps (min, max, null count, row count per column per block) and the pruning check a scan uses:
// a conjunction of simple column-vs-constant predicates answers "can this block hold a match?".
import type { SqlType, Value } from '../../oltp/types.ts';
import type { Vector } from '../exec/spec.ts';
import type { Expr } from '../exec/spec.ts';

export interface ZoneMap {
  /** Smallest / largest non-NULL value (oltp/types.ts representation); null when every row is NULL. */
  readonly min: Value;
  readonly max: Value;
  readonly nullCount: number;
  readonly rowCount: number;
}

/** One conjunct a scan can check against zone maps. `column` is the table column ordinal. */
export type ZonePredicate =
  | { readonly column: number; readonly op: '=' | '<' | '<=' | '>' | '>='; readonly value: Value }
  | { readonly column: number; readonly op: 'isNull' | 'isNotNull' };

export function compareValues(a: Value, b: Value): number {
  // same-kind numbers first: zone checks run per block per predicate, and BigInt() on a bigint still costs
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint | number);
    const y = BigInt(b as bigint | number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a === b) return 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return (a as number) < (b as number) ? -1 : 1;
}

/** Code-point order (the executor's C collation); JS `<` compares UTF-16 units, which differs above U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (astral code points) sort above U+E000..U+FFFF
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** The zone map of rows [0, n) of a vector (DECIMAL min/max as scaled bigints). */
export function zoneOf(v: Vector, n: number): ZoneMap {
  let nulls = 0;
  const valid = v.valid;
  if (v.kind === 'number' || v.kind === 'decimal' || v.kind === 'bool') {
    let min = Infinity;
    let max = -Infinity;
    const d = v.data;
    for (let i = 0; i < n; i++) {
      if (valid !== undefined && valid[i] === 0) { nulls++; continue; }
      const x = d[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (nulls === n) return { min: null, max: null, nullCount: nulls, rowCount: n };
    if (v.kind === 'decimal') return { min: BigInt(min), max: BigInt(max), nullCount: nulls, rowCount: n };
    if (v.kind === 'bool') return { min: min === 1, max: max === 1, nullCount: nulls, rowCount: n };
    return { min, max, nullCount: nulls, rowCount: n };
  }
  let min: Value = null;
  let max: Value = null;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) { nulls++; continue; }
    const x: Value = v.kind === 'dict' ? v.dict[v.codes[i]!]! : v.kind === 'string' ? v.data[i]! : v.data[i]!;
    if (min === null || compareValues(x, min) < 0) min = x;
    if (max === null || compareValues(x, max) > 0) max = x;
  }
  return { min, max, nullCount: nulls, rowCount: n };
}

/** False when no row of a block with these zone maps can satisfy every predicate. */
export function zoneMayMatch(zones: readonly ZoneMap[], preds: readonly ZonePredicate[]): boolean {
  for (const p of preds) {
    const z = zones[p.column];
    if (z === undefined) continue;
    if (p.op === 'isNull') { if (z.nullCount === 0) return false; continue; }
    if (p.op === 'isNotNull') { if (z.nullCount === z.rowCount) return false; continue; }
    if (!('value' in p)) continue;
    if (p.value === null || z.min === null || z.max === null) {
      if (z.min === null) return false; // all NULL: a comparison is never true
      continue;
    }
    const lo = compareValues(z.min, p.value);
    const hi = compareValues(z.max, p.value);
    if (p.op === '=' && (lo > 0 || hi < 0)) return false;
    if (p.op === '<' && lo >= 0) return false;
    if (p.op === '<=' && lo > 0) return false;
    if (p.op === '>' && hi <= 0) return false;
    if (p.op === '>=' && hi < 0) return false;
  }
  return true;
}

const FLIP: Record<string, '=' | '<' | '<=' | '>' | '>='> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/**
 * Zone predicates implied by a scan filter (an exec Expr over the scan's output columns): the conjuncts of
 * the form `col op const` / `col IS [NOT] NULL`. `columnOf` maps an output position to the table ordinal.
 * Only comparisons whose constant has the column's own type are used (no coercion rules to get wrong).
 */
export function zonePredicatesOf(filter: Expr | undefined, columnOf: (output: number) => number, types: readonly SqlType[]): ZonePredicate[] {
  const out: ZonePredicate[] = [];
  const visit = (e: Expr): void => {
    if (e.kind === 'and') { for (const a of e.args) visit(a); return; }
    if (e.kind === 'isNull' && e.arg.kind === 'col') {
      out.push({ column: columnOf(e.arg.index), op: e.negated ? 'isNotNull' : 'isNull' });
      return;
    }
    if (e.kind !== 'call' || e.args.length !== 2 || FLIP[e.fn] === undefined) return;
    const [a, b] = e.args as [Expr, Expr];
    const [c, k, op] = a.kind === 'col' && b.kind === 'const' ? [a, b, e.fn] : b.kind === 'col' && a.kind === 'const' ? [b, a, FLIP[e.fn]!] : [undefined, undefined, ''];
    if (c === undefined || k === undefined || k.value === null) return;
    const col = columnOf(c.index);
    const t = types[col];
    if (t === undefined || t.id !== k.type.id || (t.id === 'decimal' && (t.scale ?? 0) !== (k.type.scale ?? 0))) return;
    if (t.id === 'varchar' && t.fixed) return; // CHAR(n) compares ignoring trailing blanks
    out.push({ column: col, op: op as '=' | '<' | '<=' | '>' | '>=', value: k.value });
  };
  if (filter) visit(filter);
  return out;
}

// Access-path selection for the row path: a filter over a scan whose conjuncts fix the primary key
// (or a prefix of it, or of a secondary index, plus one range) reads only that key range. The filter
// stays above the scan, so the result never depends on how precisely the range was chosen.

import type { KeyRange } from '../../oltp/api.ts';
import type { SqlType } from '../../oltp/types.ts';
import { conjuncts, type Expr } from '../plan/expr.ts';
import type { Access, Plan } from '../plan/logical.ts';
import { withChildren } from '../plan/walk.ts';

export function chooseAccess(p: Plan): Plan {
  const q = withChildren(p, chooseAccess);
  if (q.kind !== 'filter' || q.input.kind !== 'scan' || q.input.access) return q;
  const scan = q.input;
  const bounds = new Map<number, Bound>();
  const colIndex = new Map(scan.cols.map((c, i) => [c.id, i]));
  for (const c of conjuncts(q.pred)) collectBound(c, colIndex, bounds, scan.cols.map((x) => x.type));
  const pk = accessFor(null, scan.table.primaryKey, bounds);
  let best = pk;
  for (const idx of scan.table.indexes) {
    const a = accessFor(idx.name, idx.columns, bounds);
    if (a && (!best || a.score > best.score)) best = a;
  }
  if (!best) return q;
  return { ...q, input: { ...scan, access: best.access } };
}

interface Bound { eq?: Expr; lo?: Expr; loInc?: boolean; hi?: Expr; hiInc?: boolean }

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

function isValue(e: Expr): boolean {
  return e.kind === 'const' || e.kind === 'param';
}

function collectBound(c: Expr, colIndex: Map<number, number>, bounds: Map<number, Bound>, types: SqlType[]): void {
  if (c.kind !== 'call' || !(c.fn in FLIP) || c.args.length !== 2) return;
  let [a, b] = c.args as [Expr, Expr];
  let op = c.fn;
  if (a.kind !== 'col' && b.kind === 'col') { [a, b] = [b, a]; op = FLIP[op]!; }
  if (a.kind !== 'col' || !isValue(b)) return;
  const i = colIndex.get(a.id);
  if (i === undefined) return;
  const t = types[i]!;
  // the key encoding compares values of the column's own type; only use same-typed bounds
  if (b.type.id !== t.id || (t.id === 'decimal' && (b.type.scale ?? 0) !== (t.scale ?? 0))) return;
  if (b.kind === 'const' && b.value === null) return;
  const bd = bounds.get(i) ?? {};
  if (op === '=') bd.eq = b;
  else if (op === '>' || op === '>=') { bd.lo = b; bd.loInc = op === '>='; }
  else { bd.hi = b; bd.hiInc = op === '<='; }
  bounds.set(i, bd);
}

function accessFor(index: string | null, columns: readonly number[], bounds: Map<number, Bound>): { access: Access; score: number } | null {
  const eqs: Expr[] = [];
  for (const col of columns) {
    const b = bounds.get(col);
    if (b?.eq) eqs.push(b.eq);
    else break;
  }
  const next = columns[eqs.length];
  const rangeBound = next === undefined ? undefined : bounds.get(next);
  const hasRange = rangeBound !== undefined && (rangeBound.lo !== undefined || rangeBound.hi !== undefined);
  if (eqs.length === 0 && !hasRange) return null;
  const point = eqs.length === columns.length && index === null;
  const lowerExprs = [...eqs, ...(hasRange && rangeBound!.lo ? [rangeBound!.lo] : [])];
  const upperExprs = [...eqs, ...(hasRange && rangeBound!.hi ? [rangeBound!.hi] : [])];
  const range: KeyRange = {
    ...(lowerExprs.length > 0 ? { lowerInclusive: hasRange && rangeBound!.lo ? rangeBound!.loInc !== false : true } : {}),
    ...(upperExprs.length > 0 ? { upperInclusive: hasRange && rangeBound!.hi ? rangeBound!.hiInc !== false : true } : {}),
  };
  const access: Access = {
    index,
    range,
    ...(lowerExprs.length > 0 ? { lowerExprs } : {}),
    ...(upperExprs.length > 0 ? { upperExprs } : {}),
    point,
  };
  return { access, score: eqs.length * 2 + (hasRange ? 1 : 0) + (point ? 10 : 0) + (index === null ? 0.5 : 0) };
}

// INTERVAL literals: INTERVAL '3' MONTH, INTERVAL '90 days', INTERVAL '1 year 2 months' → months, days, µs.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Ast } from '../parse/parse.ts';
import { locPos, type BindCtx } from './scope.ts';

export interface Interval { months: number; days: number; micros: number }

const UNIT: Record<string, { months?: number; days?: number; micros?: number }> = {
  year: { months: 12 }, month: { months: 1 }, week: { days: 7 }, day: { days: 1 },
  hour: { micros: 3_600_000_000 }, minute: { micros: 60_000_000 }, second: { micros: 1_000_000 },
};

function unitOf(u: string): { months?: number; days?: number; micros?: number } | undefined {
  const k = u.toLowerCase().replace(/s$/, '');
  return UNIT[k === 'mon' ? 'month' : k];
}

export function parseInterval(ast: Ast, ctx: BindCtx): Interval {
  const text = String(ast.expr?.value ?? '').trim();
  const out: Interval = { months: 0, days: 0, micros: 0 };
  const add = (n: number, u: string): void => {
    const f = unitOf(u);
    if (!f || !Number.isFinite(n)) throw new DuetError(SqlState.invalidDatetimeFormat, `invalid input syntax for type interval: "${text}"`, locPos(ctx, ast));
    out.months += (f.months ?? 0) * n;
    out.days += (f.days ?? 0) * n;
    out.micros += Math.round((f.micros ?? 0) * n);
  };
  if (ast.unit) {
    add(Number(text), String(ast.unit));
    return out;
  }
  const re = /([+-]?\d+(?:\.\d+)?)\s*([a-z]+)/gi;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = re.exec(text))) { add(Number(m[1]), m[2]!); any = true; }
  if (!any) throw new DuetError(SqlState.invalidDatetimeFormat, `invalid input syntax for type interval: "${text}"`, locPos(ctx, ast));
  return out;
}

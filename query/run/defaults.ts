// DEFAULT expressions: stored as SQL text in the catalog, bound and folded to a constant here
// (duetdb supports constant DEFAULTs: literals, casts and arithmetic over literals).

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import NSP from 'node-sql-parser';
import { bindExpr } from '../bind/expr.ts';
import { castConstant } from '../bind/literals.ts';
import { Scope, type BindCtx } from '../bind/scope.ts';
import { IdGen } from '../plan/logical.ts';
import { foldConstant } from '../optimize/fold.ts';

const parser = new NSP.Parser();
const cache = new Map<string, { type: SqlType; value: Value }>();

export function evalDefault(sql: string, type: SqlType): Value {
  const key = `${sql}\u0000${JSON.stringify(type)}`;
  const hit = cache.get(key);
  if (hit) return hit.value;
  const ast = parser.astify(`SELECT ${sql}`, { database: 'PostgreSQL' });
  const sel = Array.isArray(ast) ? ast[0] : ast;
  const ctx: BindCtx = {
    ids: new IdGen(),
    catalog: { getTable: () => undefined, getView: () => undefined, tableNames: () => [] },
    text: sql,
    offset: 0,
    ctes: [],
    viewStack: [],
  };
  const e = bindExpr({ ctx, scope: new Scope(null), agg: null, bindQuery: () => { throw new DuetError(SqlState.featureNotSupported, 'subqueries are not allowed in DEFAULT'); } }, (sel as { columns: { expr: unknown }[] }).columns[0]!.expr);
  const folded = foldConstant(e);
  if (folded === undefined) throw new DuetError(SqlState.featureNotSupported, `DEFAULT ${sql} is not a constant expression`);
  const value = castConstant(folded.value, folded.type, type);
  cache.set(key, { type, value });
  return value;
}

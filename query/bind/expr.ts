// Binds node-sql-parser expression ASTs into typed plan expressions (plan/expr.ts): names resolved
// through the scope, types decided and coercions made explicit, aggregates collected.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, typeName, type SqlType } from '../../oltp/types.ts';
import { E, exprKey, type Expr } from '../plan/expr.ts';
import type { AggCall, Col, Plan } from '../plan/logical.ts';
import type { Ast } from '../parse/parse.ts';
import { bindFunction } from './functions.ts';
import { castConstant } from './literals.ts';
import { locPos, posOpt, resolveColumn, Scope, type BindCtx } from './scope.ts';
import { arithmeticType, coerce, commonType, isNumeric, numericCommon, typeFromDef } from './types.ts';
import { parseInterval } from './interval.ts';

/** Collects the aggregate calls of one query level; each becomes an output column of the Aggregate. */
export class AggCollector {
  readonly aggs: AggCall[] = [];
  readonly cols: Col[] = [];
  private readonly byKey = new Map<string, Col>();
  constructor(private readonly ctx: BindCtx) {}

  add(call: AggCall, name: string): Expr {
    const key = `${call.fn}:${call.distinct}:${call.arg ? exprKey(call.arg) : '*'}:${call.filter ? exprKey(call.filter) : ''}`;
    let col = this.byKey.get(key);
    if (!col) {
      col = this.ctx.ids.col(name, call.type);
      this.byKey.set(key, col);
      this.aggs.push(call);
      this.cols.push(col);
    }
    return E.col(col.id, col.type);
  }
}

export interface ExprEnv {
  readonly ctx: BindCtx;
  readonly scope: Scope;
  /** Non-null where aggregate calls are allowed (select list, HAVING, ORDER BY of a grouped query). */
  readonly agg: AggCollector | null;
  /** Binds a nested SELECT in a child scope (select.ts supplies it; avoids an import cycle). */
  readonly bindQuery: (ast: Ast, scope: Scope) => { plan: Plan; cols: readonly Col[] };
}

const BOOL = Types.boolean;

export function bindExpr(env: ExprEnv, ast: Ast): Expr {
  try {
    return bindExprAt(env, ast);
  } catch (e) {
    // errors raised deep inside (casts of literals, operator lookup) get the position of the innermost
    // expression that knows where it is
    if (e instanceof DuetError && e.position === undefined && ast?.loc) {
      throw new DuetError(e.code, e.message, { ...locPos(env.ctx, ast), ...(e.hint ? { hint: e.hint } : {}), ...(e.detail ? { detail: e.detail } : {}) });
    }
    throw e;
  }
}

function bindExprAt(env: ExprEnv, ast: Ast): Expr {
  if (ast === null || ast === undefined) return E.const(null, Types.null);
  if (ast.ast && !ast.type) return bindSubquery(env, ast.ast, 'scalar', null);
  switch (ast.type) {
    case 'column_ref': return bindColumn(env, ast);
    case 'number': return numberLiteral(ast.value);
    case 'bigint': return numberLiteral(String(ast.value));
    case 'single_quote_string': case 'string': case 'natural_string':
      return E.const(String(ast.value).replace(/''/g, "'"), Types.text);
    case 'double_quote_string': return bindColumn(env, { type: 'column_ref', table: null, column: String(ast.value) });
    case 'bool': return E.const(Boolean(ast.value), BOOL);
    case 'null': return E.const(null, Types.null);
    case 'date': return E.const(castConstant(String(ast.value), Types.text, Types.date), Types.date);
    case 'timestamp': case 'datetime': return E.const(castConstant(String(ast.value), Types.text, Types.timestamp), Types.timestamp);
    case 'var':
      if (ast.prefix === '$' && typeof ast.name === 'number') return E.param(ast.name, env.ctx.paramTypes?.get(ast.name) ?? Types.null);
      break;
    case 'param':
      break;
    case 'binary_expr': return bindBinary(env, ast);
    case 'unary_expr': return bindUnary(env, ast);
    case 'function': return bindCall(env, ast);
    case 'aggr_func': return bindAggregate(env, ast);
    case 'case': return bindCase(env, ast);
    case 'cast': return bindCast(env, ast);
    case 'extract': return bindExtract(env, ast);
    case 'expr_list':
      if (Array.isArray(ast.value) && ast.value.length === 1) return bindExpr(env, ast.value[0]);
      break;
    case 'interval':
      throw new DuetError(SqlState.featureNotSupported, 'an INTERVAL can only be added to or subtracted from a date or timestamp', locPos(env.ctx, ast));
    case 'default':
      if (typeof ast.value === 'string' && /^e'/i.test(ast.value)) return E.const(unescapeE(ast.value.slice(2, -1)), Types.text);
      break;
  }
  throw new DuetError(SqlState.featureNotSupported, `expression of kind "${String(ast.type)}" is not supported`, locPos(env.ctx, ast));
}

function unescapeE(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[c] ?? c).replace(/''/g, "'");
}

export function identName(node: Ast): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    if ('expr' in node && node.expr) return identName(node.expr);
    if ('value' in node) return String(node.value);
  }
  return String(node);
}

function bindColumn(env: ExprEnv, ast: Ast): Expr {
  const name = identName(ast.column).toLowerCase();
  const table = ast.table === null || ast.table === undefined ? null : identName(ast.table).toLowerCase();
  if (name === '*') throw new DuetError(SqlState.syntaxError, '"*" is not allowed here', posOpt(env.ctx, '*'));
  if (table === null && (name === 'localtimestamp' || name === 'current_timestamp' || name === 'current_date') && !visibleName(env.scope, name)) {
    return bindCall(env, { type: 'function', name: { name: [{ type: 'default', value: name }] }, args: { type: 'expr_list', value: [] } });
  }
  const col = resolveColumn(env.ctx, env.scope, table, name);
  return E.col(col.id, col.type);
}

function visibleName(scope: Scope, name: string): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.items.some((i) => i.name === name)) return true;
  return false;
}

/** Numeric literal text → integer, bigint, exact decimal (digits after the point = scale) or double. */
export function numberLiteral(v: number | string): Expr {
  const s = String(v);
  if (/^[+-]?\d+$/.test(s)) {
    const n = Number(s);
    if (Math.abs(n) <= 2147483647) return E.const(n, Types.integer);
    if (Number.isSafeInteger(n)) return E.const(n, Types.bigint);
    return E.const(BigInt(s), Types.decimal(38, 0));
  }
  const m = /^([+-]?)(\d*)\.(\d*)$/.exec(s);
  if (m) {
    const scale = m[3]!.length;
    return E.const(BigInt((m[1] === '-' ? '-' : '') + (m[2] || '0') + m[3]), Types.decimal(38, scale));
  }
  return E.const(Number(s), Types.double);
}

function bindBinary(env: ExprEnv, ast: Ast): Expr {
  const op = String(ast.operator).toUpperCase();
  switch (op) {
    case 'AND': case 'OR': {
      const l = toBool(env, bindExpr(env, ast.left), ast.left);
      const r = toBool(env, bindExpr(env, ast.right), ast.right);
      return E.call(op.toLowerCase(), [l, r], BOOL);
    }
    case '=': case '<>': case '!=': case '<': case '<=': case '>': case '>=': {
      const quantified = ast.right?.type === 'function' ? funcName(ast.right) : '';
      if (quantified === 'any' || quantified === 'some' || quantified === 'all') return bindQuantified(env, op === '!=' ? '<>' : op, quantified, ast);
      return compare(env, op === '!=' ? '<>' : op, bindExpr(env, ast.left), bindExpr(env, ast.right), ast);
    }
    case '+': case '-': case '*': case '/': case '%':
      return arithmetic(env, op, ast);
    case '||': {
      const l = bindExpr(env, ast.left);
      const r = bindExpr(env, ast.right);
      return E.call('||', [coerce(l, Types.text), coerce(r, Types.text)], Types.text);
    }
    case 'LIKE': case 'NOT LIKE': case 'ILIKE': case 'NOT ILIKE': {
      const l = coerce(bindExpr(env, ast.left), Types.text);
      const r = coerce(bindExpr(env, ast.right), Types.text);
      if (l.type.id !== 'varchar') throw mismatch(env, `operator does not exist: ${typeName(l.type)} ~~ text`, ast);
      return E.call(op.toLowerCase().replace(' ', '_'), [l, r], BOOL);
    }
    case 'IN': case 'NOT IN': return bindIn(env, ast, op === 'NOT IN');
    case 'BETWEEN': case 'NOT BETWEEN': {
      const x = bindExpr(env, ast.left);
      const [loAst, hiAst] = ast.right.value as Ast[];
      const lo = bindExpr(env, loAst);
      const hi = bindExpr(env, hiAst);
      if (op === 'BETWEEN') return E.call('and', [compare(env, '>=', x, lo, ast), compare(env, '<=', x, hi, ast)], BOOL);
      return E.call('or', [compare(env, '<', x, lo, ast), compare(env, '>', x, hi, ast)], BOOL);
    }
    case 'IS': case 'IS NOT': {
      const x = bindExpr(env, ast.left);
      const negated = op === 'IS NOT';
      if (ast.right?.type === 'null') return E.call(negated ? 'is_not_null' : 'is_null', [x], BOOL);
      if (ast.right?.type === 'bool') {
        const b = toBool(env, x, ast.left);
        return E.call(negated ? 'is_distinct_from' : 'is_not_distinct_from', [b, E.const(Boolean(ast.right.value), BOOL)], BOOL);
      }
      break;
    }
  }
  throw new DuetError(SqlState.featureNotSupported, `operator ${op} is not supported`, locPos(env.ctx, ast));
}

/** x = ANY (subquery) is x IN (subquery); x <> ALL (subquery) is x NOT IN (subquery). */
function bindQuantified(env: ExprEnv, op: string, quantifier: string, ast: Ast): Expr {
  const arg = (ast.right.args?.value ?? [])[0];
  const isAny = quantifier !== 'all';
  if (arg?.ast && !arg.type && ((op === '=' && isAny) || (op === '<>' && !isAny))) {
    const sub = bindSubquery(env, arg.ast, 'in', bindExpr(env, ast.left));
    return isAny ? sub : E.call('not', [sub], BOOL);
  }
  throw new DuetError(SqlState.featureNotSupported, `${op} ${quantifier.toUpperCase()} (...) is not supported; only = ANY (subquery) and <> ALL (subquery)`, locPos(env.ctx, ast));
}

function mismatch(env: ExprEnv, message: string, ast: Ast): DuetError {
  return new DuetError(SqlState.undefinedFunction, message, { ...locPos(env.ctx, ast), hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
}

export function toBool(env: ExprEnv, e: Expr, ast: Ast): Expr {
  if (e.type.id === 'boolean') return e;
  if (e.type.id === 'null' || (e.kind === 'const' && e.type.id === 'varchar')) return coerce(e, BOOL);
  throw new DuetError(SqlState.datatypeMismatch, `argument of AND/OR/NOT/WHERE must be type boolean, not type ${typeName(e.type)}`, locPos(env.ctx, ast));
}

/** Makes two operands comparable: untyped literals and parameters adopt the other side's type. */
export function unify(env: ExprEnv, l: Expr, r: Expr, what: string, ast: Ast): [Expr, Expr] {
  const lUnknown = isUnknown(l);
  const rUnknown = isUnknown(r);
  if (lUnknown && !rUnknown) return [coerce(l, r.type), r];
  if (rUnknown && !lUnknown) return [l, coerce(r, l.type)];
  if (isNumeric(l.type) && isNumeric(r.type)) return [l, r];
  if (l.type.id === r.type.id) return [l, r];
  let t: SqlType;
  try {
    t = commonType(l.type, r.type, what);
  } catch {
    throw mismatch(env, `operator does not exist: ${typeName(l.type)} ${what} ${typeName(r.type)}`, ast);
  }
  return [coerce(l, t), coerce(r, t)];
}

/** String literals and parameters not yet typed take the type of what they meet (PostgreSQL's "unknown"). */
function isUnknown(e: Expr): boolean {
  return e.type.id === 'null' || (e.kind === 'const' && e.type.id === 'varchar' && typeof e.value === 'string');
}

function compare(env: ExprEnv, op: string, l: Expr, r: Expr, ast: Ast): Expr {
  const [a, b] = unify(env, l, r, op, ast);
  return E.call(op, [a, b], BOOL);
}

function arithmetic(env: ExprEnv, op: string, ast: Ast): Expr {
  if (ast.right?.type === 'interval' && (op === '+' || op === '-')) {
    const base = bindExpr(env, ast.left);
    return addInterval(env, base, ast.right, op === '-', ast);
  }
  if (ast.left?.type === 'interval' && op === '+') return addInterval(env, bindExpr(env, ast.right), ast.left, false, ast);
  let l = bindExpr(env, ast.left);
  let r = bindExpr(env, ast.right);
  if (isUnknown(l) && !isUnknown(r)) l = coerce(l, r.type.id === 'date' && op === '-' ? Types.date : r.type.id === 'date' ? Types.integer : r.type);
  else if (isUnknown(r) && !isUnknown(l)) r = coerce(r, l.type.id === 'date' ? (op === '-' && r.kind === 'const' && /-/.test(String(r.value)) ? Types.date : Types.integer) : l.type);
  else if (isUnknown(l) && isUnknown(r)) { l = coerce(l, Types.integer); r = coerce(r, Types.integer); }
  if (l.type.id === 'date' || r.type.id === 'date') {
    if (l.type.id === 'date' && r.type.id === 'date' && op === '-') return E.call('-', [l, r], Types.integer);
    if (l.type.id === 'date' && isIntegralType(r.type) && (op === '+' || op === '-')) return E.call(op, [l, r], Types.date);
    if (r.type.id === 'date' && isIntegralType(l.type) && op === '+') return E.call(op, [r, l], Types.date);
  }
  if (!isNumeric(l.type) || !isNumeric(r.type)) {
    throw mismatch(env, `operator does not exist: ${typeName(l.type)} ${op} ${typeName(r.type)}`, ast);
  }
  return E.call(op, [l, r], arithmeticType(op, l.type, r.type));
}

function isIntegralType(t: SqlType): boolean {
  return t.id === 'integer' || t.id === 'bigint';
}

function addInterval(env: ExprEnv, base: Expr, intervalAst: Ast, negate: boolean, ast: Ast): Expr {
  const b = isUnknown(base) ? coerce(base, Types.date) : base;
  if (b.type.id !== 'date' && b.type.id !== 'timestamp') throw mismatch(env, `operator does not exist: ${typeName(b.type)} + interval`, ast);
  const iv = parseInterval(intervalAst, env.ctx);
  const sign = negate ? -1 : 1;
  const resultType = b.type.id === 'date' && iv.micros === 0 ? Types.date : Types.timestamp;
  const baseT = resultType.id === 'timestamp' && b.type.id === 'date' ? coerce(b, Types.timestamp) : b;
  return E.call('add_interval', [baseT, E.const(sign * iv.months, Types.integer), E.const(sign * iv.days, Types.integer), E.const(sign * iv.micros, Types.bigint)], resultType);
}

function bindIn(env: ExprEnv, ast: Ast, negated: boolean): Expr {
  const lhs = bindExpr(env, ast.left);
  const items = (ast.right?.value ?? []) as Ast[];
  if (items.length === 1 && items[0]?.ast && !items[0]?.type) {
    const sub = bindSubquery(env, items[0].ast, 'in', lhs);
    return negated ? E.call('not', [sub], BOOL) : sub;
  }
  const list = items.map((i) => bindExpr(env, i));
  let t: SqlType = lhs.type;
  for (const e of list) if (!isUnknown(e) || isUnknown({ ...lhs } as Expr)) t = isUnknown(e) ? t : commonTypeOr(env, t, e.type, ast);
  if (t.id === 'null') t = Types.text;
  return E.call(negated ? 'not_in' : 'in', [coerce(lhs, t), ...list.map((e) => coerce(e, t))], BOOL);
}

function commonTypeOr(env: ExprEnv, a: SqlType, b: SqlType, ast: Ast): SqlType {
  try {
    return commonType(a, b, 'IN');
  } catch {
    throw mismatch(env, `operator does not exist: ${typeName(a)} = ${typeName(b)}`, ast);
  }
}

function bindUnary(env: ExprEnv, ast: Ast): Expr {
  const op = String(ast.operator).toUpperCase();
  if (op === 'NOT EXISTS') return E.call('not', [bindSubquery(env, ast.expr.ast ?? ast.expr, 'exists', null)], BOOL);
  const x = bindExpr(env, ast.expr);
  if (op === 'NOT') return E.call('not', [toBool(env, x, ast.expr)], BOOL);
  if (op === '+') return isUnknown(x) ? coerce(x, Types.integer) : x;
  if (op === '-') {
    const v = isUnknown(x) ? coerce(x, Types.integer) : x;
    if (v.kind === 'const' && v.value !== null && (typeof v.value === 'number' || typeof v.value === 'bigint')) {
      return E.const(typeof v.value === 'number' ? -v.value : -v.value, v.type);
    }
    if (!isNumeric(v.type)) throw mismatch(env, `operator does not exist: - ${typeName(v.type)}`, ast);
    return E.call('neg', [v], v.type);
  }
  throw new DuetError(SqlState.featureNotSupported, `operator ${op} is not supported`, locPos(env.ctx, ast));
}

function funcName(ast: Ast): string {
  const n = ast.name;
  if (typeof n === 'string') return n.toLowerCase();
  if (n?.name && Array.isArray(n.name)) return n.name.map((p: Ast) => identName(p)).join('.').toLowerCase();
  return identName(n).toLowerCase();
}

function bindCall(env: ExprEnv, ast: Ast): Expr {
  const name = funcName(ast);
  const argAsts: Ast[] = ast.args?.value ?? (ast.args ? [ast.args] : []);
  if (name === 'exists') return bindSubquery(env, argAsts[0]?.ast ?? argAsts[0], 'exists', null);
  if ((name === '__is_distinct' || name === '__is_not_distinct') && argAsts.length === 2) {
    const [l, r] = unify(env, bindExpr(env, argAsts[0]), bindExpr(env, argAsts[1]), 'IS DISTINCT FROM', ast);
    return E.call(name === '__is_distinct' ? 'is_distinct_from' : 'is_not_distinct_from', [l, r], BOOL);
  }
  if (name === 'not' && argAsts.length === 1) return E.call('not', [toBool(env, bindExpr(env, argAsts[0]), argAsts[0])], BOOL);
  const distinctAgg = /^__(sum|avg|min|max)_distinct$/.exec(name);
  if (distinctAgg) return aggregate(env, distinctAgg[1]!, argAsts[0], true, ast);
  if (name === 'count' || name === 'sum' || name === 'avg' || name === 'min' || name === 'max') {
    return aggregate(env, name, argAsts[0], false, ast);
  }
  const clock = name.replace(/^__/, '');
  if (clock === 'current_date' || clock === 'now' || clock === 'current_timestamp' || clock === 'localtimestamp' || clock === 'statement_timestamp' || clock === 'transaction_timestamp') {
    // the statement's start time (PostgreSQL uses the transaction's; duetdb has no per-transaction clock here)
    env.ctx.volatile = true;
    const micros = Date.now() * 1000;
    if (clock === 'current_date') return E.const(Math.floor(micros / 86_400_000_000), Types.date);
    return E.const(micros, Types.timestamp);
  }
  if (name === 'random') {
    throw new DuetError(SqlState.featureNotSupported, 'function random() is not supported (results must be deterministic)', locPos(env.ctx, ast));
  }
  const args = argAsts.map((a) => bindExpr(env, a));
  try {
    return bindFunction(name, args);
  } catch (e) {
    if (e instanceof DuetError && e.position === undefined) {
      throw new DuetError(e.code, e.message, { ...locPos(env.ctx, ast), ...posOpt(env.ctx, name), ...(e.hint ? { hint: e.hint } : {}) });
    }
    throw e;
  }
}

function bindAggregate(env: ExprEnv, ast: Ast): Expr {
  const name = String(ast.name).toLowerCase();
  if (ast.over) throw new DuetError(SqlState.featureNotSupported, `window functions are not supported (${name}(...) OVER ...)`, locPos(env.ctx, ast));
  const argAst = ast.args?.expr;
  const distinct = String(ast.args?.distinct ?? '').toUpperCase() === 'DISTINCT';
  let filter: Expr | undefined;
  if (ast.filter?.where) {
    if (!env.agg) return aggregate(env, name, argAst, distinct, ast); // raises "not allowed here"
    filter = toBool(env, bindExpr({ ...env, agg: null }, ast.filter.where), ast.filter.where);
  }
  if (name === 'count' && (argAst?.type === 'star' || argAst === undefined)) return aggregate(env, 'count_star', null, false, ast, filter);
  return aggregate(env, name, argAst, distinct, ast, filter);
}

function aggregate(env: ExprEnv, name: string, argAst: Ast, distinct: boolean, ast: Ast, filter?: Expr): Expr {
  const f = filter ? { filter } : {};
  if (!env.agg) {
    throw new DuetError(SqlState.groupingError, `aggregate functions are not allowed here`, { ...locPos(env.ctx, ast), ...posOpt(env.ctx, name === 'count_star' ? 'count' : name) });
  }
  if (name === 'count_star') return env.agg.add({ fn: 'count_star', arg: null, distinct: false, type: Types.bigint, ...f }, 'count');
  if (argAst?.type === 'star') {
    if (name !== 'count') throw new DuetError(SqlState.syntaxError, `${name}(*) is not valid`, locPos(env.ctx, ast));
    return env.agg.add({ fn: 'count_star', arg: null, distinct: false, type: Types.bigint, ...f }, 'count');
  }
  // aggregate arguments are evaluated per input row: no nested aggregates
  let arg = bindExpr({ ...env, agg: null }, argAst);
  let type: SqlType;
  switch (name) {
    case 'count': type = Types.bigint; break;
    case 'sum':
      if (arg.type.id === 'null' || (arg.kind === 'const' && arg.type.id === 'varchar')) arg = coerce(arg, Types.double);
      if (!isNumeric(arg.type)) throw sumError(env, name, arg, ast);
      type = arg.type.id === 'integer' || arg.type.id === 'bigint' ? Types.bigint : arg.type.id === 'decimal' ? Types.decimal(38, arg.type.scale ?? 0) : Types.double;
      break;
    case 'avg':
      if (arg.type.id === 'null' || (arg.kind === 'const' && arg.type.id === 'varchar')) arg = coerce(arg, Types.double);
      if (!isNumeric(arg.type)) throw sumError(env, name, arg, ast);
      type = arg.type.id === 'double' ? Types.double : Types.decimal(38, Math.max(16, arg.type.scale ?? 0));
      break;
    case 'min': case 'max':
      if (arg.type.id === 'null') arg = coerce(arg, Types.text);
      type = arg.type;
      break;
    default: throw new DuetError(SqlState.undefinedFunction, `function ${name} does not exist`, locPos(env.ctx, ast));
  }
  return env.agg.add({ fn: name as AggCall['fn'], arg, distinct, type, ...f }, name);
}

function sumError(env: ExprEnv, name: string, arg: Expr, ast: Ast): DuetError {
  return new DuetError(SqlState.undefinedFunction, `function ${name}(${typeName(arg.type)}) does not exist`, locPos(env.ctx, ast));
}

function bindCase(env: ExprEnv, ast: Ast): Expr {
  const operand = ast.expr ? bindExpr(env, ast.expr) : null;
  const whens: { when: Expr; then: Expr }[] = [];
  let otherwise: Expr | null = null;
  for (const arm of ast.args as Ast[]) {
    if (arm.type === 'when') {
      const cond = bindExpr(env, arm.cond);
      const when = operand ? compare(env, '=', operand, cond, arm.cond) : toBool(env, cond, arm.cond);
      whens.push({ when, then: bindExpr(env, arm.result) });
    } else otherwise = bindExpr(env, arm.result);
  }
  let t: SqlType = Types.null;
  for (const r of [...whens.map((w) => w.then), ...(otherwise ? [otherwise] : [])]) {
    if (isUnknown(r) && r.type.id === 'varchar' && t.id !== 'null' && t.id !== 'varchar') continue;
    t = commonTypeOr(env, t, r.type, ast);
  }
  if (t.id === 'null') t = whens.some((w) => w.then.type.id === 'varchar') ? Types.text : Types.null;
  return Object.freeze({
    kind: 'case',
    whens: whens.map((w) => ({ when: w.when, then: coerce(w.then, t) })),
    otherwise: otherwise ? coerce(otherwise, t) : null,
    type: t,
  }) as Expr;
}

function bindCast(env: ExprEnv, ast: Ast): Expr {
  const target = Array.isArray(ast.target) ? ast.target[0] : ast.target;
  const t = typeFromDef(target);
  const x = bindExpr(env, ast.expr);
  if (x.kind === 'const') return E.const(castConstant(x.value, x.type, t), t);
  if (x.kind === 'param' && x.type.id === 'null') return E.param(x.index, t);
  return E.cast(x, t);
}

const EXTRACT_FIELDS = new Set(['year', 'month', 'day', 'quarter', 'dow', 'doy', 'hour', 'minute', 'second', 'epoch', 'week', 'isodow', 'decade', 'century']);

function bindExtract(env: ExprEnv, ast: Ast): Expr {
  const field = String(ast.args.field).toLowerCase();
  if (!EXTRACT_FIELDS.has(field)) throw new DuetError(SqlState.invalidParameterValue, `unit "${field}" not recognized for type date`, locPos(env.ctx, ast));
  let src = bindExpr(env, ast.args.source);
  if (isUnknown(src)) src = coerce(src, Types.timestamp);
  if (src.type.id !== 'date' && src.type.id !== 'timestamp') throw mismatch(env, `function extract(unknown, ${typeName(src.type)}) does not exist`, ast);
  const type = field === 'second' || field === 'epoch' ? Types.double : Types.integer;
  return E.call('extract', [E.const(field, Types.text), src], type);
}

function bindSubquery(env: ExprEnv, queryAst: Ast, mode: 'scalar' | 'exists' | 'in', lhs: Expr | null): Expr {
  const child = new Scope(env.scope);
  const { plan, cols } = env.bindQuery(queryAst, child);
  if (mode !== 'exists' && cols.length !== 1) {
    throw new DuetError(SqlState.syntaxError, mode === 'in' ? 'subquery has too many columns' : 'subquery must return only one column');
  }
  let l = lhs;
  if (mode === 'in' && l) {
    const t = cols[0]!.type;
    if (isUnknown(l)) l = coerce(l, t);
    else if (!(isNumeric(l.type) && isNumeric(t)) && l.type.id !== t.id) {
      try { commonType(l.type, t, 'IN'); } catch { throw new DuetError(SqlState.undefinedFunction, `operator does not exist: ${typeName(l.type)} = ${typeName(t)}`); }
    }
    if (isNumeric(l.type) && isNumeric(t) && l.type.id !== t.id) l = coerce(l, numericCommon(l.type, t));
  }
  return Object.freeze({
    kind: 'subquery',
    mode,
    plan,
    lhs: l,
    outerRefs: [...child.outerRefs],
    type: mode === 'scalar' ? cols[0]!.type : BOOL,
  }) as Expr;
}

/** True if the expression AST calls an aggregate at this query level (not inside a subquery). */
export function containsAggregate(ast: Ast): boolean {
  if (ast === null || typeof ast !== 'object') return false;
  if (Array.isArray(ast)) return ast.some(containsAggregate);
  if (ast.ast && !ast.type) return false;
  if (ast.type === 'aggr_func') return true;
  if (ast.type === 'function') {
    const n = funcName(ast);
    if (/^__(sum|avg|min|max)_distinct$/.test(n) || ['count', 'sum', 'avg', 'min', 'max'].includes(n)) return true;
  }
  for (const k of Object.keys(ast)) {
    if (k === 'loc') continue;
    if (containsAggregate(ast[k])) return true;
  }
  return false;
}

// Type rules of the binder: SQL type names, numeric promotion, PostgreSQL's DECIMAL result scales,
// common types for comparisons / CASE / UNION, and folding of literal casts.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, typeName, type SqlType, type Value } from '../../oltp/types.ts';
import { E, type Expr } from '../plan/expr.ts';
import { castConstant } from './literals.ts';

/** Scale of a decimal produced by division or avg when no better rule applies (PostgreSQL shows ~16-20). */
export const DIVISION_SCALE_MIN = 16;

export function isNumeric(t: SqlType): boolean {
  return t.id === 'integer' || t.id === 'bigint' || t.id === 'decimal' || t.id === 'double';
}
export function isIntegral(t: SqlType): boolean {
  return t.id === 'integer' || t.id === 'bigint';
}
export function scaleOf(t: SqlType): number {
  return t.id === 'decimal' ? (t.scale ?? 0) : 0;
}

/** A SQL type spelled as node-sql-parser gives it ({ dataType, length, scale }). */
export function typeFromDef(def: { dataType: string; length?: number; scale?: number }): SqlType {
  const name = def.dataType.toUpperCase();
  switch (name) {
    case 'INT': case 'INTEGER': case 'INT4': case 'SMALLINT': case 'INT2': case 'TINYINT': case 'SERIAL': return Types.integer;
    case 'BIGINT': case 'INT8': case 'BIGSERIAL': return Types.bigint;
    case 'DECIMAL': case 'NUMERIC': case 'DEC':
      if (def.length === undefined) return Object.freeze({ id: 'decimal', scale: 0 }) as SqlType; // unconstrained numeric: see README
      return Types.decimal(def.length, def.scale ?? 0);
    case 'DOUBLE': case 'DOUBLE PRECISION': case 'FLOAT': case 'FLOAT8': case 'REAL': case 'FLOAT4': return Types.double;
    case 'VARCHAR': case 'CHARACTER VARYING': case 'STRING': return Types.varchar(def.length);
    case 'CHAR': case 'CHARACTER': case 'BPCHAR': return Types.varchar(def.length ?? 1, true);
    case 'TEXT': return Types.text;
    case 'BOOLEAN': case 'BOOL': return Types.boolean;
    case 'DATE': return Types.date;
    case 'TIMESTAMP': case 'DATETIME': case 'TIMESTAMP WITHOUT TIME ZONE': return Types.timestamp;
    default:
      throw new DuetError(SqlState.undefinedObject, `type "${def.dataType.toLowerCase()}" does not exist`);
  }
}

/** The numeric type both operands are computed in (PostgreSQL's implicit promotion). */
export function numericCommon(a: SqlType, b: SqlType): SqlType {
  if (a.id === 'double' || b.id === 'double') return Types.double;
  if (a.id === 'decimal' || b.id === 'decimal') return Types.decimal(38, Math.max(scaleOf(a), scaleOf(b)));
  if (a.id === 'bigint' || b.id === 'bigint') return Types.bigint;
  return Types.integer;
}

/** Result type of + - * / % over numerics. */
export function arithmeticType(op: string, a: SqlType, b: SqlType): SqlType {
  const common = numericCommon(a, b);
  if (common.id !== 'decimal') return common;
  const sa = scaleOf(a);
  const sb = scaleOf(b);
  switch (op) {
    case '*': return Types.decimal(38, sa + sb);
    case '/': return Types.decimal(38, Math.max(DIVISION_SCALE_MIN, sa, sb));
    default: return Types.decimal(38, Math.max(sa, sb));
  }
}

/**
 * A type both sides of a comparison, CASE branch or UNION column can take. NULL/unknown literals adopt
 * the other side; string literals adopt the other side's type (PostgreSQL's "unknown" literals).
 */
export function commonType(a: SqlType, b: SqlType, what: string, position?: number): SqlType {
  if (a.id === 'null') return b;
  if (b.id === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) return numericCommon(a, b);
  if (a.id === b.id) {
    if (a.id === 'varchar') return a.length === b.length && a.fixed === b.fixed ? a : Types.text;
    return a;
  }
  if ((a.id === 'date' && b.id === 'timestamp') || (a.id === 'timestamp' && b.id === 'date')) return Types.timestamp;
  throw new DuetError(SqlState.datatypeMismatch, `${what} types ${typeName(a)} and ${typeName(b)} cannot be matched`, position === undefined ? {} : { position });
}

/** Makes `e` of type `t`: constants are converted now, other expressions get an explicit cast. */
export function coerce(e: Expr, t: SqlType): Expr {
  if (sameType(e.type, t)) return e;
  if (e.type.id === 'varchar' && t.id === 'varchar' && t.length === undefined) return e; // any string is a text
  if (e.kind === 'const') return E.const(castConstant(e.value, e.type, t), t);
  if (e.kind === 'param') return E.param(e.index, t);
  if (e.type.id === 'null') return E.const(null, t);
  // numeric mixes are accepted by the executor's operators; only cast where a representation changes
  return E.cast(e, t);
}

export function sameType(a: SqlType, b: SqlType): boolean {
  return a.id === b.id && (a.id !== 'decimal' || scaleOf(a) === scaleOf(b)) && (a.id !== 'varchar' || (a.length === b.length && a.fixed === b.fixed));
}


export function constValue(e: Expr): Value | undefined {
  return e.kind === 'const' ? e.value : undefined;
}

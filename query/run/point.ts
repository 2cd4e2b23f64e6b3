// The point-read fast path: a SELECT whose plan is one primary-key point get (Project ← Filter* ← Scan
// with a point access) reads its row with txn.get and evaluates filters and projection on that one row,
// without opening the executor's pipeline of async operators, which costs several times the read itself.
// The router always sends such a plan to the row path (row cost 1, column cost ≥ 250) unless forced.

import type { Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Row, SqlType, Value } from '../../oltp/types.ts';
import { getValue, rowsToBatch } from '../../olap/exec/batch.ts';
import { Evaluator } from '../../olap/exec/expr/evaluator.ts';
import type { ColumnRef, Expr, PlanNode, ProjectNode, ScanNode } from '../../olap/exec/spec.ts';
import { parseChoice, type EngineChoice } from '../route/hint.ts';
import type { RowAccess } from './scan.ts';

interface PointShape {
  readonly scan: ScanNode;
  readonly access: RowAccess & { readonly lowerExprs?: readonly Expr[] };
  /** Filters above the scan (and the scan's own pushed filter), bottom first. */
  readonly predicates: readonly Expr[];
  readonly project: ProjectNode | undefined;
  /** The predicates left to evaluate once the key lookup holds (worked out on the first read). */
  residual?: readonly Expr[];
  /** The projection's column indexes when it only picks columns (null: no projection; false: computes). */
  plainColumns?: readonly number[] | null | false;
}

/** Plans are immutable and cached: the shape is worked out once per plan object. */
const shapes = new WeakMap<PlanNode, PointShape | null>();

function shapeOf(root: PlanNode): PointShape | null {
  const known = shapes.get(root);
  if (known !== undefined) return known;
  let node = root;
  const project = node.kind === 'project' ? node : undefined;
  if (project) node = project.input;
  const filters: Expr[] = [];
  while (node.kind === 'filter') {
    filters.unshift(node.predicate);
    node = node.input;
  }
  let shape: PointShape | null = null;
  if (node.kind === 'scan') {
    const access = node.access as PointShape['access'] | undefined;
    if (access !== undefined && access.point && access.index === null && access.withRowId !== true && access.full !== true) {
      shape = { scan: node, access, predicates: node.filter === undefined ? filters : [node.filter, ...filters], project };
    }
  }
  shapes.set(root, shape);
  return shape;
}

/** Reads served by the fast path (tests check that it is taken). */
export const pointReadCounters = { served: 0 };

/** True when `pointRead` can run this plan. */
export function isPointPlan(root: PlanNode): boolean {
  return shapeOf(root) !== null;
}

/**
 * The rows of a point plan (zero or one), as the executor would produce them; undefined when the key
 * is not a full primary key after all (the caller then runs the plan through the executor).
 */
export function pointRead(txn: Txn, root: PlanNode, params: readonly Value[]): Value[][] | undefined {
  const shape = shapeOf(root);
  if (shape === null) throw new DuetError(SqlState.internalError, 'pointRead called on a plan that is not a point read');
  const { scan, access } = shape;
  const table = txn.getTable(scan.table);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${scan.table}" does not exist`);
  // plain loops, no callbacks: this runs once per point read
  let key: Value[];
  const lowerExprs = access.lowerExprs;
  if (lowerExprs) {
    key = new Array<Value>(lowerExprs.length);
    for (let i = 0; i < lowerExprs.length; i++) key[i] = constantOf(lowerExprs[i]!, params);
  } else {
    key = access.range.lower ?? [];
  }
  // a shorter key is a prefix range, not a point (the executor handles it); a NULL key never matches
  if (key.length !== table.primaryKey.length) return undefined;
  for (let i = 0; i < key.length; i++) if (key[i] === null) return [];
  pointReadCounters.served++;
  const stored = txn.get(table, key);
  if (stored === undefined) return [];
  return pointEval(shape, table.primaryKey, stored, params);
}

/**
 * The plan's rows over one given stored row (all of the table's columns) found under the plan's key: an
 * UPDATE re-evaluates its WHERE and SET this way on the newest version of a row it locked (READ COMMITTED).
 */
export function pointEvalRow(txn: Txn, root: PlanNode, stored: Row, params: readonly Value[]): Value[][] {
  const shape = shapeOf(root);
  if (shape === null) throw new DuetError(SqlState.internalError, 'pointEvalRow called on a plan that is not a point read');
  const table = txn.getTable(shape.scan.table);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${shape.scan.table}" does not exist`);
  return pointEval(shape, table.primaryKey, stored, params);
}

function pointEval(shape: PointShape, primaryKey: readonly number[], stored: Row, params: readonly Value[]): Value[][] {
  const { scan, access } = shape;
  const pick = access.columns;
  const width = pick ? pick.length : scan.columns.length;
  const row: Row = new Array<Value>(width);
  for (let i = 0; i < width; i++) row[i] = stored[pick ? pick[i]! : i] ?? null;
  shape.residual ??= shape.predicates.flatMap(conjuncts).filter((c) => !impliedByKey(c, shape, primaryKey));
  shape.plainColumns ??= shape.project === undefined ? null : shape.project.exprs.every((e) => e.kind === 'col') ? shape.project.exprs.map((e) => (e as ColumnRef).index) : false;
  // the usual point SELECT: nothing left to check and plain columns out (no batch needed)
  const cols = shape.plainColumns;
  if (shape.residual.length === 0 && cols !== false) {
    if (cols === null) return [row];
    const out = new Array<Value>(cols.length);
    for (let i = 0; i < cols.length; i++) out[i] = row[cols[i]!] ?? null;
    return [out];
  }
  const batch = rowsToBatch([row], scan.columns.map((c) => c.type));
  for (const predicate of shape.residual) {
    if (new Evaluator(predicate, params).select(batch).length === 0) return [];
  }
  const vectors = shape.project ? shape.project.exprs.map((e) => (e.kind === 'col' ? batch.columns[e.index]! : new Evaluator(e, params).vector(batch))) : batch.columns;
  return [vectors.map((v) => getValue(v, 0))];
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.args.flatMap(conjuncts) : [e];
}

/**
 * True for `pkcol = v` where v is the very value the lookup used for that key column (same type, as the
 * optimizer only builds keys from same-typed bounds): the row was found under the key encoding of v,
 * and that encoding is one-to-one, so the stored value equals v and the comparison is TRUE.
 */
function impliedByKey(c: Expr, shape: PointShape, primaryKey: readonly number[]): boolean {
  if (c.kind !== 'call' || c.fn !== '=' || c.args.length !== 2) return false;
  const [a, b] = c.args as [Expr, Expr];
  const [col, value] = a.kind === 'col' ? [a, b] : [b, a];
  if (col.kind !== 'col' || (value.kind !== 'const' && value.kind !== 'param')) return false;
  const ordinal = shape.access.columns ? shape.access.columns[col.index] : col.index;
  const k = ordinal === undefined ? -1 : primaryKey.indexOf(ordinal);
  const keyExpr = shape.access.lowerExprs?.[k];
  if (keyExpr === undefined || !sameType(col.type, value.type) || !sameType(keyExpr.type, value.type)) return false;
  if (keyExpr === value) return true;
  if (keyExpr.kind === 'param' && value.kind === 'param') return keyExpr.index === value.index;
  return keyExpr.kind === 'const' && value.kind === 'const' && keyExpr.value === value.value;
}

function sameType(a: SqlType, b: SqlType): boolean {
  return a.id === b.id && (a.scale ?? 0) === (b.scale ?? 0) && (a.fixed === true) === (b.fixed === true);
}

function constantOf(e: Expr, params: readonly Value[]): Value {
  if (e.kind === 'const') return e.value;
  if (e.kind === 'param') return params[e.index - 1] ?? null;
  throw new DuetError(SqlState.internalError, 'index range bound is not a constant');
}

/** A point plan goes to the row path unless the statement's hint or `duet.engine` forces the column path. */
export function rowPathAllowed(hint: EngineChoice | undefined, setting: string | undefined): boolean {
  return (hint ?? (setting !== undefined ? parseChoice(setting, 'duet.engine') : 'auto')) !== 'column';
}

// The point-read fast path: a SELECT whose plan is one primary-key point get (Project ← Filter* ← Scan
// with a point access) reads its row with txn.get and evaluates filters and projection on that one row,
// without opening the executor's pipeline of async operators, which costs several times the read itself.
// The router always sends such a plan to the row path (row cost 1, column cost ≥ 250) unless forced.

import type { Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Row, Value } from '../../oltp/types.ts';
import { getValue, rowsToBatch } from '../../olap/exec/batch.ts';
import { Evaluator } from '../../olap/exec/expr/evaluator.ts';
import type { Expr, PlanNode, ProjectNode, ScanNode } from '../../olap/exec/spec.ts';
import { parseChoice, type EngineChoice } from '../route/hint.ts';
import type { RowAccess } from './scan.ts';

interface PointShape {
  readonly scan: ScanNode;
  readonly access: RowAccess & { readonly lowerExprs?: readonly Expr[] };
  /** Filters above the scan (and the scan's own pushed filter), bottom first. */
  readonly predicates: readonly Expr[];
  readonly project: ProjectNode | undefined;
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
  const key = access.lowerExprs ? access.lowerExprs.map((e) => constantOf(e, params)) : access.range.lower ?? [];
  // a shorter key is a prefix range, not a point (the executor handles it); a NULL key never matches
  if (key.length !== table.primaryKey.length) return undefined;
  if (key.some((v) => v === null)) return [];
  pointReadCounters.served++;
  const stored = txn.get(table, key);
  if (stored === undefined) return [];
  const width = scan.columns.length;
  const pick = access.columns;
  const row: Row = pick ? pick.map((i) => stored[i] ?? null) : Array.from({ length: width }, (_, i) => stored[i] ?? null);
  const batch = rowsToBatch([row], scan.columns.map((c) => c.type));
  for (const predicate of shape.predicates) {
    if (new Evaluator(predicate, params).select(batch).length === 0) return [];
  }
  const vectors = shape.project ? shape.project.exprs.map((e) => (e.kind === 'col' ? batch.columns[e.index]! : new Evaluator(e, params).vector(batch))) : batch.columns;
  return [vectors.map((v) => getValue(v, 0))];
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

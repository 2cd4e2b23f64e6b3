// duetdb's logical plan: kind-tagged read-only nodes produced by the binder, rewritten by optimize/,
// lowered to the executor's operator spec by lower.ts. Every output column carries a plan-wide id.

import type { TableDef, KeyRange } from '../../oltp/api.ts';
import type { SqlType } from '../../oltp/types.ts';
import type { Expr } from './expr.ts';

export interface Col {
  readonly id: number;
  readonly name: string;
  readonly type: SqlType;
}

export type Plan = Scan | Values | Filter | Project | Join | Aggregate | Sort | Limit | Distinct | SetOp | SingleRow;

/** Access path chosen by the optimizer: a primary-key or index range instead of a full scan. */
export interface Access {
  readonly index: string | null; // null = primary key
  readonly range: KeyRange;
  /** Range bounds may hold parameters; lower.ts resolves them per execution. */
  readonly lowerExprs?: readonly Expr[];
  readonly upperExprs?: readonly Expr[];
  readonly point: boolean;
}

export interface Scan {
  readonly kind: 'scan';
  readonly table: TableDef;
  /** One output column per table column, in table order (plus the row id last when `withRowId`). */
  readonly cols: readonly Col[];
  readonly access: Access | null;
  /** Hidden-row-id tables only: DML reads the row id as an extra trailing column to address rows. */
  readonly withRowId?: boolean;
  /** After column pruning: the table column ordinal of each of `cols` (absent = all columns in order). */
  readonly columnIndexes?: readonly number[];
}
export interface Values { readonly kind: 'values'; readonly rows: readonly (readonly Expr[])[]; readonly cols: readonly Col[] }
export interface Filter { readonly kind: 'filter'; readonly input: Plan; readonly pred: Expr }
export interface Project {
  readonly kind: 'project';
  readonly input: Plan;
  readonly exprs: readonly Expr[];
  readonly cols: readonly Col[];
}
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti' | 'cross';
export interface Join {
  readonly kind: 'join';
  readonly joinType: JoinType;
  readonly left: Plan;
  readonly right: Plan;
  readonly cond: Expr | null;
  /** NOT IN semantics for anti joins: a NULL on either side of the key makes the row not qualify. */
  readonly nullAware: boolean;
}
export interface AggCall {
  readonly fn: 'count' | 'count_star' | 'sum' | 'avg' | 'min' | 'max';
  readonly arg: Expr | null;
  readonly distinct: boolean;
  /** FILTER (WHERE ...): only rows where it is TRUE are aggregated. */
  readonly filter?: Expr;
  readonly type: SqlType;
}
export interface Aggregate {
  readonly kind: 'aggregate';
  readonly input: Plan;
  readonly groups: readonly Expr[];
  readonly aggs: readonly AggCall[];
  /** groups' columns then aggs' columns. */
  readonly cols: readonly Col[];
}
export interface SortKey { readonly expr: Expr; readonly desc: boolean; readonly nullsFirst: boolean }
export interface Sort { readonly kind: 'sort'; readonly input: Plan; readonly keys: readonly SortKey[] }
export interface Limit { readonly kind: 'limit'; readonly input: Plan; readonly limit: Expr | null; readonly offset: Expr | null }
export interface Distinct { readonly kind: 'distinct'; readonly input: Plan }
export interface SetOp {
  readonly kind: 'setop';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: Plan;
  readonly right: Plan;
  readonly cols: readonly Col[];
}

/** Scalar-subquery guard: exactly one row out (none in → one NULL row; more → 21000). */
export interface SingleRow { readonly kind: 'singlerow'; readonly input: Plan }

/** The columns a node produces, in order. */
export function outputCols(p: Plan): readonly Col[] {
  switch (p.kind) {
    case 'scan': case 'values': case 'project': case 'aggregate': case 'setop': return p.cols;
    case 'filter': case 'sort': case 'limit': case 'distinct': case 'singlerow': return outputCols(p.input);
    case 'join':
      if (p.joinType === 'semi' || p.joinType === 'anti') return outputCols(p.left);
      return [...outputCols(p.left), ...outputCols(p.right)];
  }
}

export function children(p: Plan): Plan[] {
  switch (p.kind) {
    case 'scan': case 'values': return [];
    case 'join': case 'setop': return [p.left, p.right];
    default: return [p.input];
  }
}

/** Allocates plan-wide unique column ids for one statement. */
export class IdGen {
  private next = 1;
  id(): number { return this.next++; }
  col(name: string, type: SqlType): Col { return Object.freeze({ id: this.next++, name, type }); }
}

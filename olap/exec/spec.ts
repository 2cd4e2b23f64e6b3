// The contract between the planner (query/) and the vectorized executor (olap/exec/): operator and
// expression specs (plain, serializable, kind-tagged objects), the batch format, and the entry points.
//
// Conventions every node and expression follows:
// - Columns are addressed by position in the input's output row (0-based), never by name.
// - Every expression carries its result SqlType, decided by the binder. The executor implements each
//   function for the types it is given and never infers types; implicit coercions must be explicit casts
//   EXCEPT that numeric operators/comparisons accept mixed numeric arguments (integer/bigint/decimal/double)
//   and compute in the result type (comparisons: in the "wider" of the two, double wins over decimal).
// - Constants and parameters hold values in the oltp/types.ts representation (DECIMAL = bigint scaled by the
//   constant's own type scale; DATE = days; TIMESTAMP = microseconds).
// - DECIMAL types inside plans always carry a scale (`scale` undefined is read as 0). The binder computes
//   result scales (PostgreSQL: a+b, a-b max scale; a*b sum of scales; a/b: the binder picks, e.g.
//   max(6, s1 + ... ) — the executor divides exactly and rounds half away from zero to the result scale).
// - Plans are plain data (no functions, no class instances, no bigint outside `const` values), so a plan
//   fragment can be structured-cloned to a worker thread.

import type { SqlType, Value } from '../../oltp/types.ts';

// ---------------------------------------------------------------------------------------------------
// Expressions

export type Expr =
  | ColumnRef
  | Constant
  | Param
  | Call
  | Cast
  | BoolOp
  | Not
  | IsNull
  | CaseExpr
  | InList
  | Like;

/** Column `index` of the operator's input row (for joins: left columns, then right columns). */
export interface ColumnRef { readonly kind: 'col'; readonly index: number; readonly type: SqlType }

export interface Constant { readonly kind: 'const'; readonly value: Value; readonly type: SqlType }

/**
 * `$n` parameter, 1-based. ExecContext.params[n-1] holds its value, already converted by the caller to
 * `type` (oltp/types.ts representation).
 */
export interface Param { readonly kind: 'param'; readonly index: number; readonly type: SqlType }

/**
 * A function or operator by name (lowercase). Arguments are evaluated strictly (NULL in → NULL out) unless
 * noted. Names the executor implements:
 * - arithmetic: '+', '-', '*', '/', '%' (= mod), 'neg' (unary minus). Integer division truncates; /0 and %0
 *   raise 22012; integer/bigint overflow raise 22003. DATE '+'/'-' INTEGER (days) → date; DATE '-' DATE →
 *   integer (days).
 * - comparison: '=', '<>', '<', '<=', '>', '>=' (strings compare by code point = C collation; CHAR(n)
 *   ignores trailing blanks), 'is_distinct_from', 'is_not_distinct_from' (never NULL).
 * - intervals (binder lowers `x ± INTERVAL '...'` to this): 'add_interval'(date|timestamp, months integer,
 *   days integer, micros bigint) → date or timestamp as the call's type says (subtraction: negated constants).
 * - strings: '||' and 'concat' (concat skips NULLs), 'substring'(s, from [, for]), 'position'(needle, s) and
 *   'strpos'(s, needle), 'length'/'char_length', 'upper', 'lower', 'trim'/'ltrim'/'rtrim'(s [, chars]),
 *   'replace'(s, from, to), 'left', 'right', 'lpad', 'rpad'.
 * - dates: 'extract'(field varchar const: 'year'|'month'|'day'|'quarter'|'dow'|'doy'|'hour'|'minute'|
 *   'second'|'epoch', date|timestamp) → type per the call (binder: numeric/decimal like PostgreSQL, or integer),
 *   'date_trunc'(field, ts).
 * - math: 'abs', 'round'(x [, n]), 'trunc'(x [, n]), 'floor', 'ceil'/'ceiling', 'sqrt', 'power', 'exp', 'ln',
 *   'log10', 'mod', 'sign', 'greatest', 'least' (skip NULLs), 'random' is NOT provided (determinism).
 * - lazily evaluated: 'coalesce', 'nullif'(a, b).
 * The executor raises 42883 for an unknown name/type combination when the plan is compiled.
 */
export interface Call {
  readonly kind: 'call';
  readonly fn: string;
  readonly args: readonly Expr[];
  readonly type: SqlType;
}

/** Explicit CAST with PostgreSQL's rules (22P02 for bad text, 22003 for out of range, rounding half away). */
export interface Cast { readonly kind: 'cast'; readonly arg: Expr; readonly type: SqlType }

/** AND / OR over 2+ arguments with three-valued logic. type is boolean. */
export interface BoolOp { readonly kind: 'and' | 'or'; readonly args: readonly Expr[]; readonly type: SqlType }

export interface Not { readonly kind: 'not'; readonly arg: Expr; readonly type: SqlType }

/** `arg IS NULL` (negated: IS NOT NULL). Never NULL. */
export interface IsNull { readonly kind: 'isNull'; readonly arg: Expr; readonly negated: boolean; readonly type: SqlType }

/**
 * CASE [operand] WHEN .. THEN .. ELSE .. END. With an operand, `when` values are compared with '=' (the
 * binder makes the types comparable). Missing `else` = NULL. Branches are evaluated lazily (only for rows
 * that reach them), so `CASE WHEN x = 0 THEN 0 ELSE 1 / x END` never divides by zero.
 */
export interface CaseExpr {
  readonly kind: 'case';
  readonly operand?: Expr;
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly else?: Expr;
  readonly type: SqlType;
}

/** `arg [NOT] IN (list...)` with SQL NULL semantics (no match and a NULL in the list → NULL). */
export interface InList {
  readonly kind: 'in';
  readonly arg: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
  readonly type: SqlType;
}

/** `arg [NOT] LIKE|ILIKE pattern [ESCAPE esc]`; default escape is backslash like PostgreSQL. */
export interface Like {
  readonly kind: 'like';
  readonly arg: Expr;
  readonly pattern: Expr;
  readonly escape?: string;
  readonly negated: boolean;
  readonly caseInsensitive: boolean;
  readonly type: SqlType;
}

// ---------------------------------------------------------------------------------------------------
// Operators (plan nodes). Output columns of each node are listed on the node.

export type PlanNode =
  | ScanNode
  | ValuesNode
  | FilterNode
  | ProjectNode
  | AggregateNode
  | HashJoinNode
  | NestedLoopJoinNode
  | SortNode
  | TopNNode
  | LimitNode
  | DistinctNode
  | SetOpNode
  | SingleRowNode;

export interface OutputColumn { readonly name: string; readonly type: SqlType }

/**
 * Rows from a source the caller supplies: ExecContext.scan(node) returns the batches. `table` and `access`
 * are opaque to the executor (e.g. access = { index, range } for the row path, or a column list and block
 * ranges for the learner); both must be plain serializable data. `filter`, if present, is applied by the
 * executor after the source (a source may use it to skip blocks, but need not filter rows itself).
 * Output: `columns`.
 */
export interface ScanNode {
  readonly kind: 'scan';
  readonly table: string;
  readonly columns: readonly OutputColumn[];
  readonly access?: unknown;
  readonly filter?: Expr;
}

/** Literal rows (constants/params; expressions over no input). Output: `columns`. */
export interface ValuesNode {
  readonly kind: 'values';
  readonly columns: readonly OutputColumn[];
  readonly rows: readonly (readonly Expr[])[];
}

/** Keeps rows where predicate is TRUE (NULL and FALSE are dropped). Output: input columns. */
export interface FilterNode { readonly kind: 'filter'; readonly input: PlanNode; readonly predicate: Expr }

/** Output: one column per expression. */
export interface ProjectNode {
  readonly kind: 'project';
  readonly input: PlanNode;
  readonly exprs: readonly Expr[];
  readonly names: readonly string[];
}

export type AggregateFn = 'count_star' | 'count' | 'sum' | 'avg' | 'min' | 'max' | 'bool_and' | 'bool_or';

/**
 * One aggregate. `arg` absent only for count_star. `type` is the result type the binder chose
 * (PostgreSQL: count → bigint; sum(integer|bigint) → bigint or decimal, sum(decimal) → decimal with the
 * arg's scale; avg(integer|decimal) → decimal with a scale the binder chooses, avg(double) → double).
 * `distinct` aggregates over distinct non-NULL argument values. `filter` is FILTER (WHERE ...).
 */
export interface AggregateSpec {
  readonly fn: AggregateFn;
  readonly arg?: Expr;
  readonly distinct: boolean;
  readonly filter?: Expr;
  readonly type: SqlType;
}

/**
 * Hash aggregation. Output: the groupBy values, then the aggregates. With no groupBy, exactly one row
 * (even over empty input: count 0, others NULL). NULL group keys form one group (like PostgreSQL).
 */
export interface AggregateNode {
  readonly kind: 'aggregate';
  readonly input: PlanNode;
  readonly groupBy: readonly Expr[];
  readonly aggregates: readonly AggregateSpec[];
  readonly names: readonly string[];
}

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

/**
 * Equi-join: builds a hash table on `right` (the build side), probes with `left`. leftKeys[i] (over left
 * columns) = rightKeys[i] (over right columns); a NULL key never matches. `residual` is an extra predicate
 * over the concatenated row (left columns, then right columns) that must be TRUE for a match.
 * Output: left ++ right columns for inner/left/right/full (unmatched side NULL); left only for semi/anti.
 * `nullAware` (anti only, for NOT IN): if the right side has any row with a NULL key, no left row is
 * returned; a left row with a NULL key is returned only if the right side is empty.
 */
export interface HashJoinNode {
  readonly kind: 'hashJoin';
  readonly joinType: JoinType;
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly leftKeys: readonly Expr[];
  readonly rightKeys: readonly Expr[];
  readonly residual?: Expr;
  readonly nullAware?: boolean;
}

/**
 * Nested-loop join for cross joins and non-equi predicates (`predicate` over left ++ right; absent =
 * cross join). Same join types and output as HashJoinNode. The right side is materialized.
 */
export interface NestedLoopJoinNode {
  readonly kind: 'nestedLoopJoin';
  readonly joinType: JoinType;
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly predicate?: Expr;
}

/**
 * Sort key. Defaults follow PostgreSQL: nullsFirst defaults to `descending` (NULLs last for ASC, first for
 * DESC). Strings compare by code point (C collation).
 */
export interface SortKey { readonly expr: Expr; readonly descending: boolean; readonly nullsFirst?: boolean }

/** Full sort (stable). Output: input columns. */
export interface SortNode { readonly kind: 'sort'; readonly input: PlanNode; readonly keys: readonly SortKey[] }

/** ORDER BY ... LIMIT: keeps only the best offset+limit rows. Output: input columns. */
export interface TopNNode {
  readonly kind: 'topN';
  readonly input: PlanNode;
  readonly keys: readonly SortKey[];
  /** Constant or param, evaluated once; NULL = no limit. */
  readonly limit: Expr;
  readonly offset?: Expr;
}

/** LIMIT/OFFSET (constants or params evaluated once; a NULL limit means none; negative raises 2201W/2201X). */
export interface LimitNode {
  readonly kind: 'limit';
  readonly input: PlanNode;
  readonly limit?: Expr;
  readonly offset?: Expr;
}

/** SELECT DISTINCT over all input columns (NULLs equal each other). Output: input columns. */
export interface DistinctNode { readonly kind: 'distinct'; readonly input: PlanNode }

/**
 * UNION / INTERSECT / EXCEPT [ALL] (rows compared with NULLs equal). Both inputs have the same column
 * count and types (the binder casts). Output: left's columns (names from `names`).
 */
export interface SetOpNode {
  readonly kind: 'setOp';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly names: readonly string[];
}

/**
 * Scalar subquery guard: passes through one row; zero rows → one all-NULL row; more than one raises 21000
 * ("more than one row returned by a subquery used as an expression"). Output: input columns.
 */
export interface SingleRowNode { readonly kind: 'singleRow'; readonly input: PlanNode }

// ---------------------------------------------------------------------------------------------------
// Batches (Engine A: treat as opaque; build and read them with the helpers in olap/exec/batch.ts:
// `rowsToBatch(rows, types)` and `batchToRows(batch)`).

/** Rows per batch an operator emits at most. */
export const BATCH_ROWS_MAX = 2048;

/**
 * One column of a batch. `valid` is a byte per row (1 = not NULL); undefined means no NULLs. A byte per
 * row rather than a bit: JS indexes bytes directly in hot loops; Arrow's bitmaps are produced at the
 * Arrow boundary.
 * - 'number': integer, bigint, double, date (days), timestamp (µs) in a Float64Array (exact to 2^53).
 * - 'decimal': scaled integers (value × 10^scale) in a Float64Array, exact while |v| ≤ 2^53.
 * - 'bigdecimal': scaled bigints, for decimals that do not fit in 2^53 (rare: large sums).
 * - 'string': plain strings (NULL slots hold '').
 * - 'dict': dictionary-encoded strings (codes index `dict`).
 * - 'bool': 0/1 bytes.
 */
export type Vector = NumberVector | DecimalVector | BigDecimalVector | StringVector | DictVector | BoolVector;

export interface NumberVector { readonly kind: 'number'; readonly data: Float64Array; readonly valid: Uint8Array | undefined }
export interface DecimalVector { readonly kind: 'decimal'; readonly scale: number; readonly data: Float64Array; readonly valid: Uint8Array | undefined }
export interface BigDecimalVector { readonly kind: 'bigdecimal'; readonly scale: number; readonly data: readonly bigint[]; readonly valid: Uint8Array | undefined }
export interface StringVector { readonly kind: 'string'; readonly data: readonly string[]; readonly valid: Uint8Array | undefined }
export interface DictVector { readonly kind: 'dict'; readonly dict: readonly string[]; readonly codes: Int32Array; readonly valid: Uint8Array | undefined }
export interface BoolVector { readonly kind: 'bool'; readonly data: Uint8Array; readonly valid: Uint8Array | undefined }

/**
 * `length` physical rows in every column; `selection`, if present, lists the live row indexes in
 * ascending order (a filter writes a selection instead of copying). `types` are the columns' SqlTypes.
 */
export interface Batch {
  readonly length: number;
  readonly columns: readonly Vector[];
  readonly types: readonly SqlType[];
  readonly selection: Uint32Array | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Execution

/** Per-operator counters for EXPLAIN ANALYZE. */
export interface OperatorStats {
  rowsOut: number;
  batchesOut: number;
  /** Wall time spent inside this operator including its inputs (like PostgreSQL's "actual time"). */
  timeMs: number;
}

export interface ExecContext {
  /** Values of $1..$n, already in each Param's type. */
  readonly params: readonly Value[];
  /** Supplies the rows of a scan node (the row path reads LevelDB; the learner reads its column store). */
  scan(node: ScanNode): AsyncIterable<Batch>;
  /** If set, execute() records counters for every operator of the plan here, keyed by node object. */
  readonly stats?: Map<PlanNode, OperatorStats>;
  /**
   * Maximum rows per emitted batch; unset: the process default (runtime.ts: BATCH_ROWS_MAX unless
   * setBatchRowsDefault / DUET_BATCH_ROWS say otherwise). The query layer sets it from `SET duet.batch_rows`;
   * sizes 1 and 3 are for tests (every operator then meets batch boundaries).
   */
  readonly batchRowsMax?: number;
  /** Force the expression interpreter instead of compiled kernels (tests, debugging). */
  readonly interpret?: boolean;
  /** Cancellation: checked between batches; once aborted, the stream fails with 57014 (query_canceled). */
  readonly signal?: AbortSignal;
}

/**
 * Entry points, implemented in olap/exec/execute.ts:
 *   execute(plan: PlanNode, ctx: ExecContext): AsyncIterable<Batch>
 *   collectRows(plan: PlanNode, ctx: ExecContext): Promise<Value[][]>
 *   outputColumns(plan: PlanNode): OutputColumn[]
 * and in olap/exec/batch.ts:
 *   rowsToBatch(rows: readonly Row[], types: readonly SqlType[]): Batch
 *   batchToRows(batch: Batch): Value[][]
 * User errors (division by zero, bad casts, overflow) surface as DuetError from the iterator.
 */
export type ExecuteFn = (plan: PlanNode, ctx: ExecContext) => AsyncIterable<Batch>;

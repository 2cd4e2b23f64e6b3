// Runs a planned SELECT on the path the router picks. A column-path read the learner cannot serve (its
// snapshot was compacted away, a table or column it does not hold yet) runs again on the row path:
// nothing was returned yet, and a SELECT has no side effects.
import type { Txn } from '../../oltp/api.ts';
import { DuetError } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import { collectRows } from '../../olap/exec/execute.ts';
import type { OperatorStats, PlanNode } from '../../olap/exec/spec.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { rowScanSource } from '../run/scan.ts';
import { columnScanSource, pushFiltersIntoScans, type ColumnCounters } from './column.ts';
import { route, type RouteDecision } from './router.ts';
import type { EngineChoice } from './hint.ts';

/** Learner errors that mean "this read cannot be served here", not "the query is wrong". */
const FALL_BACK_CODES = new Set(['72000', '42P01', '42703']);

export interface RoutedRun {
  readonly rows: Value[][];
  readonly decision: RouteDecision;
  /** True if the column path was chosen but the row path answered (see FALL_BACK_CODES). */
  readonly fellBack: boolean;
  readonly counters: ColumnCounters;
}

export interface RoutedInput {
  readonly store: RowStore;
  readonly txn: Txn;
  readonly root: PlanNode;
  readonly params: readonly Value[];
  readonly hint: EngineChoice | undefined;
  readonly setting: string | undefined;
  readonly stats?: Map<PlanNode, OperatorStats>;
  readonly signal?: AbortSignal;
  /** Executor batch size (`SET duet.batch_rows`); unset: the executor's default. */
  readonly batchRowsMax?: number;
}

export async function runRouted(input: RoutedInput): Promise<RoutedRun> {
  const decision = await route(input);
  const counters: ColumnCounters = { blocksScanned: 0, blocksPruned: 0 };
  const common = { params: input.params, ...(input.stats ? { stats: input.stats } : {}), ...(input.signal ? { signal: input.signal } : {}), ...(input.batchRowsMax !== undefined ? { batchRowsMax: input.batchRowsMax } : {}) };
  if (decision.path === 'column' && decision.replica) {
    try {
      const rows = await collectRows(pushFiltersIntoScans(input.root), { ...common, scan: columnScanSource(decision.replica, input.txn.readTs, input.params, counters) });
      return { rows, decision, fellBack: false, counters };
    } catch (e) {
      if (!(e instanceof DuetError) || !FALL_BACK_CODES.has(e.code)) throw e;
      input.stats?.clear();
    }
    const rows = await collectRows(input.root, { ...common, scan: rowScanSource(input.txn, input.params) });
    return { rows, decision, fellBack: true, counters };
  }
  const rows = await collectRows(input.root, { ...common, scan: rowScanSource(input.txn, input.params) });
  return { rows, decision, fellBack: false, counters };
}

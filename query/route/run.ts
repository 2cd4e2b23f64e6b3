// Runs a planned SELECT on the path the router picks. The column path sends the whole plan fragment to
// the learner (olap/learner/fragment.ts), which runs it over its own blocks and answers in Arrow record
// batches. A column-path read the learner cannot serve (its snapshot was compacted away, a table or
// column it does not hold yet) runs again on the row path: nothing was returned yet, and a SELECT has no
// side effects.
import type { RecordBatch, Schema } from 'apache-arrow';
import type { Txn } from '../../oltp/api.ts';
import { DuetError } from '../../oltp/errors.ts';
import { LearnerBehindError } from '../../olap/learner/client.ts';
import type { Value } from '../../oltp/types.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { execute, outputColumns } from '../../olap/exec/execute.ts';
import type { ExecContext, OperatorStats, PlanNode } from '../../olap/exec/spec.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { batchToArrow, resultSchema } from '../../olap/learner/result-arrow.ts';
import { rowScanSource } from '../run/scan.ts';
import { runColumnFragment, type ColumnCounters, type ScanBlocks } from './column.ts';
import { route, type RouteDecision } from './router.ts';
import type { EngineChoice } from './hint.ts';

/** Learner errors that mean "this read cannot be served here", not "the query is wrong". */
const FALL_BACK_CODES = new Set(['72000', '42P01', '42703']);

export interface RoutedRun {
  /** The result rows (empty when `output: 'arrow'` was asked for). */
  readonly rows: Value[][];
  /** The result as Arrow record batches when `output: 'arrow'` was asked for. */
  readonly arrow?: { readonly schema: Schema; readonly batches: readonly RecordBatch[] };
  readonly decision: RouteDecision;
  /** The path that answered: the decision's, or row when the column path fell back. */
  readonly path: 'row' | 'column';
  /** True if the column path was chosen but the row path answered (see FALL_BACK_CODES). */
  readonly fellBack: boolean;
  /** Why it fell back (e.g. the learner was behind past the decision's waitMs). */
  readonly fallBackReason?: string;
  /** Blocks read and skipped, summed over the scans (column path). */
  readonly counters: ColumnCounters;
  /** Per scan node of `input.root` (column path): blocks read and skipped by zone maps. */
  readonly scanBlocks: ScanBlocks;
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
  /** `SET duet.parallel_min_blocks` (column path: when a helper thread shares a scan). */
  readonly parallelMinBlocks?: number;
  /** `SET duet.learner_wait_ms` (wait.ts): the bound on an automatic column-path read's wait for the learner. */
  readonly learnerWaitMs?: number;
  /** 'arrow': hand the result back as Arrow record batches (db.queryArrow) instead of rows. */
  readonly output?: 'rows' | 'arrow';
  /** Result column names for Arrow output (default: the plan's output names). */
  readonly names?: readonly string[];
}

export async function runRouted(input: RoutedInput): Promise<RoutedRun> {
  const decision = await route(input);
  const counters: ColumnCounters = { blocksScanned: 0, blocksPruned: 0 };
  const scanBlocks: ScanBlocks = new Map();
  if (decision.path === 'column' && decision.replica) {
    let fallBackReason: string;
    try {
      const got = await runColumnFragment(decision.replica, input, counters, scanBlocks, decision.waitMs);
      return { ...got, decision, path: 'column', fellBack: false, counters, scanBlocks };
    } catch (e) {
      // a learner behind past the bound, or lost mid-read (a learner member that crashed): the row path can
      // always answer at the statement's snapshot
      const lost = decision.replica.failure !== undefined; // a query error would come back on the row path too
      if (!lost && (!(e instanceof DuetError) || (!FALL_BACK_CODES.has(e.code) && !(e instanceof LearnerBehindError)))) throw e;
      fallBackReason = lost ? 'learner lost' : e instanceof LearnerBehindError ? `learner ${e.behindEntries === undefined ? 'not answering' : `${e.behindEntries} entries behind`} after ${e.waitedMs} ms` : (e as DuetError).code;
      input.stats?.clear();
    }
    return { ...(await runRowPath(input)), decision, path: 'row', fellBack: true, fallBackReason, counters, scanBlocks };
  }
  return { ...(await runRowPath(input)), decision, path: 'row', fellBack: false, counters, scanBlocks };
}

async function runRowPath(input: RoutedInput): Promise<{ rows: Value[][]; arrow?: { schema: Schema; batches: RecordBatch[] } }> {
  const ctx: ExecContext = {
    params: input.params,
    scan: rowScanSource(input.txn, input.params),
    ...(input.stats ? { stats: input.stats } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.batchRowsMax !== undefined ? { batchRowsMax: input.batchRowsMax } : {}),
  };
  if (input.output === 'arrow') {
    const schema = resultSchema(outputColumns(input.root).map((c, i) => ({ name: input.names?.[i] ?? c.name, type: c.type })));
    const batches: RecordBatch[] = [];
    for await (const batch of execute(input.root, ctx)) if (batch.length > 0) batches.push(batchToArrow(batch, schema));
    return { rows: [], arrow: { schema, batches } };
  }
  const rows: Value[][] = [];
  for await (const batch of execute(input.root, ctx)) for (const row of batchToRows(batch)) rows.push(row);
  return { rows };
}

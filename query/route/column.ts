// The column path: moves each filter that sits right above a scan into the scan (so the learner can skip
// blocks by zone map), sends the plan to the learner, which runs it over its own blocks at the statement's
// read timestamp (olap/learner/fragment.ts), and maps what it reports back onto the caller's plan.
import type { RecordBatch, Schema } from 'apache-arrow';
import type { Value } from '../../oltp/types.ts';
import type { LearnerReplica } from '../../olap/learner/index.ts';
import type { FragmentReport } from '../../olap/learner/client.ts';
import { preorder } from '../../olap/learner/fragment.ts';
import { arrowToRows, decodeIpc } from '../../olap/learner/result-arrow.ts';
import type { Expr, OperatorStats, PlanNode } from '../../olap/exec/spec.ts';
import type { RoutedInput } from './run.ts';

export interface ColumnCounters { blocksScanned: number; blocksPruned: number }
/** Per scan node of the caller's plan: blocks read and skipped (a pushed-down filter's node maps to its scan's). */
export type ScanBlocks = Map<PlanNode, { readonly blocksScanned: number; readonly blocksPruned: number; readonly workers?: number; readonly helperBlocks?: number }>;

/**
 * Runs `input.root` on the learner: one consistent read at `txn.readTs` (the learner first applies the row
 * store's last committed index), so every table is seen at the transaction's snapshot and the result
 * equals the row path's. Rows, or Arrow batches untouched for `output: 'arrow'`.
 */
export async function runColumnFragment(replica: LearnerReplica, input: RoutedInput, counters: ColumnCounters, scanBlocks: ScanBlocks, waitMs?: number): Promise<{ rows: Value[][]; arrow?: { schema: Schema; batches: RecordBatch[] } }> {
  const plan = withScanParams(pushFiltersIntoScans(input.root), input.params);
  let report: FragmentReport | undefined;
  const rows: Value[][] = [];
  const batches: RecordBatch[] = [];
  let schema: Schema | undefined;
  const chunks = replica.runFragment(plan, {
    params: input.params,
    ts: input.txn.readTs,
    ...(input.names ? { names: input.names } : {}),
    ...(input.batchRowsMax !== undefined ? { batchRowsMax: input.batchRowsMax } : {}),
    ...(input.parallelMinBlocks !== undefined ? { parallelMinBlocks: input.parallelMinBlocks } : {}),
    ...(input.stats ? { analyze: true } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(waitMs !== undefined ? { waitMs } : {}),
  }, (r) => (report = r));
  for await (const ipc of chunks) {
    const table = decodeIpc(ipc);
    schema ??= table.schema;
    if (input.output === 'arrow') batches.push(...table.batches);
    else arrowToRows(table.batches, rows);
  }
  if (report) mapReport(input.root, plan, report, counters, scanBlocks, input.stats);
  return input.output === 'arrow' ? { rows, arrow: { schema: schema!, batches } } : { rows };
}

/** Block counters and per-operator stats (both in the sent plan's preorder) onto the caller's plan nodes. */
function mapReport(root: PlanNode, sent: PlanNode, report: FragmentReport, counters: ColumnCounters, scanBlocks: ScanBlocks, stats: Map<PlanNode, OperatorStats> | undefined): void {
  const nodes = preorder(sent);
  const bySent = new Map<PlanNode, { stats: OperatorStats | null; blocks?: ColumnCounters }>();
  let scan = 0;
  nodes.forEach((n, i) => {
    const blocks = n.kind === 'scan' ? report.scans[scan++] : undefined;
    if (blocks) {
      counters.blocksScanned += blocks.blocksScanned;
      counters.blocksPruned += blocks.blocksPruned;
    }
    bySent.set(n, { stats: report.stats?.[i] ?? null, ...(blocks ? { blocks } : {}) });
  });
  align(root, sent, (mine, theirs) => {
    const got = bySent.get(theirs);
    if (got?.stats && stats) stats.set(mine, { ...got.stats });
    if (got?.blocks && (mine.kind === 'scan' || mine.kind === 'filter')) scanBlocks.set(mine, got.blocks);
  });
}

/** Walks the caller's plan and the sent one together; `filter(scan)` pairs both nodes with the pushed scan. */
function align(mine: PlanNode, sent: PlanNode, visit: (mine: PlanNode, sent: PlanNode) => void): void {
  if (mine.kind === 'filter' && sent.kind === 'scan') {
    visit(mine, sent);
    visit(mine.input, sent);
    return;
  }
  visit(mine, sent);
  const a = kids(mine);
  const b = kids(sent);
  for (let i = 0; i < a.length && i < b.length; i++) align(a[i]!, b[i]!, visit);
}

function kids(n: PlanNode): PlanNode[] {
  switch (n.kind) {
    case 'scan': case 'values': return [];
    case 'hashJoin': case 'nestedLoopJoin': case 'setOp': return [n.left, n.right];
    default: return [n.input];
  }
}

/** The plan with `filter(scan)` turned into `scan{filter}` (the executor applies a scan's filter itself). */
export function pushFiltersIntoScans(node: PlanNode): PlanNode {
  switch (node.kind) {
    case 'scan': case 'values': return node;
    case 'filter': {
      const input = pushFiltersIntoScans(node.input);
      if (input.kind === 'scan' && input.filter === undefined) return { ...input, filter: node.predicate };
      return input === node.input ? node : { ...node, input };
    }
    case 'hashJoin': case 'nestedLoopJoin': case 'setOp': {
      const left = pushFiltersIntoScans(node.left);
      const right = pushFiltersIntoScans(node.right);
      return left === node.left && right === node.right ? node : { ...node, left, right };
    }
    default: {
      const input = pushFiltersIntoScans(node.input);
      return input === node.input ? node : ({ ...node, input } as PlanNode);
    }
  }
}

/**
 * Scan filters with their parameters substituted: the learner turns constant comparisons into zone
 * predicates, and a plan from the statement cache carries its literals as $n.
 */
function withScanParams(node: PlanNode, params: readonly Value[]): PlanNode {
  if (params.length === 0) return node;
  switch (node.kind) {
    case 'scan': return node.filter ? { ...node, filter: mapDeep(node.filter, params) as Expr } : node;
    case 'values': return node;
    case 'hashJoin': case 'nestedLoopJoin': case 'setOp':
      return { ...node, left: withScanParams(node.left, params), right: withScanParams(node.right, params) };
    default: return { ...node, input: withScanParams(node.input, params) } as PlanNode;
  }
}

function mapDeep(x: unknown, params: readonly Value[]): unknown {
  if (Array.isArray(x)) return x.map((v) => mapDeep(v, params));
  if (x === null || typeof x !== 'object') return x;
  const o = x as { kind?: unknown; index?: unknown; type?: unknown };
  if (o.kind === 'param' && typeof o.index === 'number') return { kind: 'const', value: params[o.index - 1] ?? null, type: o.type };
  const out: Record<string, unknown> = {};
  // types and constant values hold no expressions
  for (const [k, v] of Object.entries(x)) out[k] = k === 'type' || k === 'value' ? v : mapDeep(v, params);
  return out;
}

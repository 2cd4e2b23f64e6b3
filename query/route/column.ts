// The column path: moves each filter that sits right above a scan into the scan (so the learner can skip
// blocks by zone map) and reads every scan from the learner at the statement's read timestamp.
import type { Value } from '../../oltp/types.ts';
import type { LearnerReplica } from '../../olap/learner/index.ts';
import type { Batch, Expr, PlanNode, ScanNode } from '../../olap/exec/spec.ts';

export interface ColumnCounters { blocksScanned: number; blocksPruned: number }

/**
 * ExecContext.scan over the learner. Every scan is a consistent read at `readTs` (it waits until the
 * learner applied the row store's last committed index), so all tables are seen at the transaction's
 * snapshot and the result equals the row path's.
 */
export function columnScanSource(replica: LearnerReplica, readTs: number, params: readonly Value[], counters?: ColumnCounters): (node: ScanNode) => AsyncIterable<Batch> {
  return (node) => ({
    async *[Symbol.asyncIterator]() {
      let last = { blocksScanned: 0, blocksPruned: 0 };
      const filter = node.filter ? withParams(node.filter, params) : undefined;
      try {
        yield* replica.readStream(node.table, { mode: 'consistent', ts: readTs, columnNames: node.columns.map((c) => c.name), ...(filter ? { filter } : {}) }, (info) => {
          last = info;
        });
      } finally {
        if (counters) {
          counters.blocksScanned += last.blocksScanned;
          counters.blocksPruned += last.blocksPruned;
        }
      }
    },
  });
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

// The learner turns constant comparisons into zone predicates; a plan from the statement cache carries
// its literals as $n, so they are substituted before the filter crosses to the learner.
function withParams(e: Expr, params: readonly Value[]): Expr {
  return mapDeep(e, params) as Expr;
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

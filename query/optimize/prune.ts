// Column pruning, top-down: every node keeps only the columns its consumers read, so a projection that
// passes `SELECT *` through (an EXISTS subquery, a restoring projection after decorrelation) no longer
// drags every table column into joins, and scans turn rows into narrow batches.

import { exprCols } from '../plan/expr.ts';
import { outputCols, type Plan } from '../plan/logical.ts';
import { nodeExprs } from '../plan/walk.ts';

export function pruneColumns(plan: Plan): Plan {
  // the statement's own output is always kept whole and in order
  return prune(plan, new Set(outputCols(plan).map((c) => c.id)));
}

/** `need`: ids of p's output columns that some consumer reads (p may keep more; never fewer). */
function prune(p: Plan, need: Set<number>): Plan {
  switch (p.kind) {
    case 'scan': return pruneScan(p, need);
    case 'values': return p;
    case 'project': {
      const keep: number[] = [];
      p.cols.forEach((c, i) => { if (need.has(c.id)) keep.push(i); });
      // a projection with no column left still carries its row count (count(*) above it)
      if (keep.length === 0) keep.push(0);
      const exprs = keep.map((i) => p.exprs[i]!);
      const below = new Set<number>();
      for (const e of exprs) exprCols(e, below);
      return { ...p, input: prune(p.input, below), exprs, cols: keep.map((i) => p.cols[i]!) };
    }
    case 'filter': case 'sort': case 'limit': case 'singlerow': return { ...p, input: prune(p.input, withRefs(p, need)) };
    case 'aggregate': {
      // groups and aggregates are all kept: dropping a group key changes the groups
      const below = new Set<number>();
      for (const e of nodeExprs(p)) exprCols(e, below);
      return { ...p, input: prune(p.input, below) };
    }
    case 'distinct': return { ...p, input: prune(p.input, allOf(p.input)) };
    case 'setop': return { ...p, left: prune(p.left, allOf(p.left)), right: prune(p.right, allOf(p.right)) };
    case 'join': {
      const refs = withRefs(p, need);
      return { ...p, left: prune(p.left, refs), right: prune(p.right, refs) };
    }
  }
}

function pruneScan(p: Extract<Plan, { kind: 'scan' }>, need: Set<number>): Plan {
  if (p.withRowId || p.columnIndexes) return p;
  const keep: number[] = [];
  p.cols.forEach((c, i) => { if (need.has(c.id)) keep.push(i); });
  if (keep.length === p.cols.length) return p;
  // an empty projection (count(*)) still needs one column to carry the row count
  if (keep.length === 0) keep.push(0);
  return { ...p, cols: keep.map((i) => p.cols[i]!), columnIndexes: keep };
}

/** `need` plus every column the node's own expressions read. */
function withRefs(p: Plan, need: Set<number>): Set<number> {
  const out = new Set(need);
  for (const e of nodeExprs(p)) exprCols(e, out);
  return out;
}

function allOf(p: Plan): Set<number> {
  return new Set(outputCols(p).map((c) => c.id));
}

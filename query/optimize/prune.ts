// Column pruning: a scan produces only the table columns some expression of the plan (or the final
// output) reads, so rows read from the store are turned into narrow batches.

import { outputCols, type Plan } from '../plan/logical.ts';
import { planRefs, withChildren } from '../plan/walk.ts';

export function pruneColumns(plan: Plan): Plan {
  // column ids are unique across the statement, so one set of referenced ids serves every scan
  const used = planRefs(plan);
  for (const c of outputCols(plan)) used.add(c.id);
  return prune(plan, used);
}

function prune(p: Plan, used: Set<number>): Plan {
  if (p.kind !== 'scan') return withChildren(p, (c) => prune(c, used));
  if (p.withRowId || p.columnIndexes) return p;
  const keep: number[] = [];
  p.cols.forEach((c, i) => { if (used.has(c.id)) keep.push(i); });
  if (keep.length === p.cols.length) return p;
  // an empty projection (count(*)) still needs one column to carry the row count
  if (keep.length === 0) keep.push(0);
  return { ...p, cols: keep.map((i) => p.cols[i]!), columnIndexes: keep };
}

// The optimizer pipeline: pure rewrites from plan to plan, applied in a fixed order.

import type { IdGen, Plan } from '../plan/logical.ts';
import { chooseAccess } from './access.ts';
import { decorrelate } from './decorrelate.ts';
import { pushDown } from './pushdown.ts';
import { pruneColumns } from './prune.ts';

export function optimize(plan: Plan, ids: IdGen): Plan {
  return pruneColumns(chooseAccess(pushDown(decorrelate(plan, ids))));
}

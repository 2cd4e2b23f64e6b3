// The optimizer pipeline: pure rewrites from plan to plan, applied in a fixed order.

import type { IdGen, Plan } from '../plan/logical.ts';
import { decorrelate } from './decorrelate.ts';

export function optimize(plan: Plan, ids: IdGen): Plan {
  return decorrelate(plan, ids);
}

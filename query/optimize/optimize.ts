// The optimizer pipeline: pure rewrites from plan to plan, applied in a fixed order.

import type { IdGen, Plan } from '../plan/logical.ts';

export function optimize(plan: Plan, _ids: IdGen): Plan {
  return plan;
}

// What every operator receives: the execution context plus a way to open its inputs.

import type { Value } from '../../oltp/types.ts';
import { BATCH_ROWS_MAX, type Batch, type ExecContext, type Expr, type PlanNode } from './spec.ts';
import { Evaluator } from './expr/evaluator.ts';

export class Runtime {
  readonly ctx: ExecContext;
  readonly params: readonly Value[];
  readonly batchRowsMax: number;
  /** Opens a child plan (set by execute.ts, so operators need not import it). */
  readonly open: (node: PlanNode) => AsyncIterable<Batch>;

  constructor(ctx: ExecContext, open: (node: PlanNode) => AsyncIterable<Batch>) {
    this.ctx = ctx;
    this.params = ctx.params;
    this.batchRowsMax = Math.max(1, ctx.batchRowsMax ?? BATCH_ROWS_MAX);
    this.open = open;
  }

  evaluator(expr: Expr): Evaluator {
    return new Evaluator(expr, this.params, this.ctx.interpret === true);
  }
}

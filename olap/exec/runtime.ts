// What every operator receives: the execution context plus a way to open its inputs. Also the batch-size
// knob: per context (`ExecContext.batchRowsMax`), else the process default (tests set it to 1 or 3 to
// flush out batch-boundary bugs on every path, including contexts built where no session is at hand).

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import { BATCH_ROWS_MAX, type Batch, type ExecContext, type Expr, type PlanNode } from './spec.ts';
import { Evaluator } from './expr/evaluator.ts';
import { parseIntSetting } from './int-setting.ts';

/** The session setting that sets ExecContext.batchRowsMax (`SET duet.batch_rows = 3`). */
export const BATCH_ROWS_SETTING = 'duet.batch_rows';
/** The environment variable for the process default (read once; worker threads inherit it). */
export const BATCH_ROWS_ENV = 'DUET_BATCH_ROWS';

let batchRowsDefault = parseBatchRows(process.env[BATCH_ROWS_ENV], BATCH_ROWS_ENV) ?? BATCH_ROWS_MAX;

/** Rows per batch for contexts that do not say (undefined restores BATCH_ROWS_MAX). Returns the previous value. */
export function setBatchRowsDefault(rows: number | undefined): number {
  const previous = batchRowsDefault;
  batchRowsDefault = rows === undefined ? BATCH_ROWS_MAX : checkedRows(rows, 'batch rows');
  return previous;
}

export function getBatchRowsDefault(): number {
  return batchRowsDefault;
}

/** A batch-size setting's value (a positive integer up to BATCH_ROWS_MAX); undefined when not set. */
export function parseBatchRows(value: string | undefined, where: string = BATCH_ROWS_SETTING): number | undefined {
  return parseIntSetting(where, value, { min: 1, max: BATCH_ROWS_MAX, hint: `expected an integer from 1 to ${BATCH_ROWS_MAX}, or 'default'` });
}

/** `{ batchRowsMax }` from session settings (`SET duet.batch_rows = n`), `{}` when not set: spread into a context. */
export function batchRowsOf(settings: ReadonlyMap<string, string>): { batchRowsMax?: number } {
  const rows = parseBatchRows(settings.get(BATCH_ROWS_SETTING));
  return rows === undefined ? {} : { batchRowsMax: rows };
}

function checkedRows(rows: number, where: string): number {
  // Above BATCH_ROWS_MAX the learner's blocks (BATCH_ROWS_MAX rows) would still bound batches: no use.
  if (!Number.isInteger(rows) || rows < 1 || rows > BATCH_ROWS_MAX) throw badRows(String(rows), where);
  return rows;
}

function badRows(value: string, where: string): DuetError {
  return new DuetError(SqlState.invalidParameterValue, `invalid value for ${where}: "${value}"`, { hint: `expected an integer from 1 to ${BATCH_ROWS_MAX}, or 'default'` });
}

export class Runtime {
  readonly ctx: ExecContext;
  readonly params: readonly Value[];
  readonly batchRowsMax: number;
  /** Opens a child plan (set by execute.ts, so operators need not import it). */
  readonly open: (node: PlanNode) => AsyncIterable<Batch>;

  constructor(ctx: ExecContext, open: (node: PlanNode) => AsyncIterable<Batch>) {
    this.ctx = ctx;
    this.params = ctx.params;
    this.batchRowsMax = Math.max(1, ctx.batchRowsMax ?? batchRowsDefault);
    this.open = open;
  }

  evaluator(expr: Expr): Evaluator {
    return new Evaluator(expr, this.params, this.ctx.interpret === true);
  }
}

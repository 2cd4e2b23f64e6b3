// The session settings a routed run reads (engine hint and `duet.engine`, batch size, helper-thread threshold,
// learner wait), gathered in one place, and their check at `SET` time (a bad value is refused there, as PostgreSQL does).
import type { Session } from '../database.ts';
import { BATCH_ROWS_SETTING, batchRowsOf, parseBatchRows } from '../../olap/exec/runtime.ts';
import { PARALLEL_MIN_BLOCKS_SETTING, parallelOf, parseParallelMinBlocks } from '../../olap/parallel/settings.ts';
import { statementHint, type EngineChoice } from './hint.ts';
import { LEARNER_WAIT_SETTING, learnerWaitOf, parseLearnerWaitMs } from './wait.ts';

export const ENGINE_SETTING = 'duet.engine';

export interface RouteSettings {
  readonly hint: EngineChoice | undefined;
  readonly setting: string | undefined;
  readonly batchRowsMax?: number;
  readonly parallelMinBlocks?: number;
  readonly learnerWaitMs?: number;
}

/** The routed-run fields of a session's current statement: spread into runRouted's or route's input. */
export function routeSettingsOf(session: Session): RouteSettings {
  const s = session.settings;
  return { hint: statementHint(session), setting: s.get(ENGINE_SETTING), ...batchRowsOf(s), ...parallelOf(s), ...learnerWaitOf(s) };
}

const CHECKS: ReadonlyMap<string, (value: string) => unknown> = new Map<string, (value: string) => unknown>([
  [BATCH_ROWS_SETTING, (v) => parseBatchRows(v)],
  [PARALLEL_MIN_BLOCKS_SETTING, parseParallelMinBlocks],
  [LEARNER_WAIT_SETTING, parseLearnerWaitMs],
]);

/** Throws 22023 for a bad value of one of the integer settings above; other names pass. */
export function checkRouteSetting(name: string, value: string): void {
  CHECKS.get(name)?.(value);
}

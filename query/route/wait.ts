// `SET duet.learner_wait_ms = n`: how long an automatically routed column-path read waits for a columnar learner
// that is behind (or not answering) before the statement answers on the row path at the same timestamp.
import { parseIntSetting } from '../../olap/exec/int-setting.ts';

export const LEARNER_WAIT_SETTING = 'duet.learner_wait_ms';

/**
 * Default bound: long enough that a learner catching up after a burst of commits (tens of ms) or a slow status
 * answer under load is still used, short enough that a learner member that stopped applying does not turn an
 * analytical query into a hang.
 */
export const LEARNER_WAIT_MS_DEFAULT = 3000;

/** The setting's value in ms (a non-negative integer; 'default' or empty = the default); a bad value is 22023. */
export function parseLearnerWaitMs(value: string | undefined): number {
  return parseIntSetting(LEARNER_WAIT_SETTING, value, { min: 0, hint: "expected milliseconds as a non-negative integer, or 'default'" }) ?? LEARNER_WAIT_MS_DEFAULT;
}

/** `{ learnerWaitMs }` from session settings: spread into a routed run (unset: the router's default). */
export function learnerWaitOf(settings: ReadonlyMap<string, string>): { learnerWaitMs?: number } {
  const v = settings.get(LEARNER_WAIT_SETTING);
  return v === undefined ? {} : { learnerWaitMs: parseLearnerWaitMs(v) };
}

// One parser for the integer session settings (`SET duet.batch_rows`, `duet.parallel_min_blocks`,
// `duet.learner_wait_ms`): unset, empty or 'default' means "not set"; anything else must be an integer in range.
import { DuetError, SqlState } from '../../oltp/errors.ts';

export interface IntSettingRange {
  readonly min: number;
  readonly max?: number;
  /** What the error's hint says is expected. */
  readonly hint: string;
}

/** The setting's value, or undefined when not set; a bad value is 22023 naming the setting. */
export function parseIntSetting(name: string, value: string | undefined, range: IntSettingRange): number | undefined {
  if (value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'default') return undefined;
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
    throw new DuetError(SqlState.invalidParameterValue, `invalid value for ${name}: "${value}"`, { hint: range.hint });
  }
  return n;
}

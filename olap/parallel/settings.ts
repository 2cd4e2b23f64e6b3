// The session knob of the two-thread column path: `SET duet.parallel_min_blocks = n` (0 forces the helper
// thread for every eligible scan, which is how tests exercise it on small tables).
import { parseIntSetting } from '../exec/int-setting.ts';

export const PARALLEL_MIN_BLOCKS_SETTING = 'duet.parallel_min_blocks';

/**
 * Unpruned stable blocks a scan must cover before a helper thread takes a share of it: below this (128K rows)
 * posting the work and merging partial results costs more than the second core saves.
 */
export const PARALLEL_MIN_BLOCKS_DEFAULT = 64;

/** The setting's value (a non-negative integer; 'default' or empty = unset); a bad value is 22023. */
export function parseParallelMinBlocks(value: string | undefined): number | undefined {
  return parseIntSetting(PARALLEL_MIN_BLOCKS_SETTING, value, { min: 0, hint: "expected a non-negative integer (0 always uses the helper thread), or 'default'" });
}

/** `{ parallelMinBlocks }` from session settings, `{}` when not set: spread into a routed run. */
export function parallelOf(settings: ReadonlyMap<string, string>): { parallelMinBlocks?: number } {
  const n = parseParallelMinBlocks(settings.get(PARALLEL_MIN_BLOCKS_SETTING));
  return n === undefined ? {} : { parallelMinBlocks: n };
}

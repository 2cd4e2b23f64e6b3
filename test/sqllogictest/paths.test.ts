// Issue 6: the sqllogictest records give the same outcome with the column path forced, on auto, and at
// executor batch sizes 1 and 3 as on the row path: every configuration is checked against the same
// expected-failures.json (a listed record must also fail for the same reason), and the sampled SELECTs of
// a column-forced run must have been served by the learner.
//
// CI runs the fixed sample in SAMPLE (the whole matrix is about 9 times the row suite: run it with
// `npx tsx test/sqllogictest/run.ts --engine row,column,auto --batch-rows default,1,3`; numbers in README.md).

import { afterAll, describe, expect, it } from 'vitest';
import { closeWorkers } from './isolated.ts';
import { checkScript, loadExpectations } from './expectations.ts';
import { EXPECTATIONS_PATH, loadScript, runSuiteScript, suiteFiles } from './suite.ts';
import type { EngineConfig } from './engine.ts';
import { lanes } from './lanes.ts';

const expectations = loadExpectations(EXPECTATIONS_PATH);
const SCRIPT_TIMEOUT_MS = 600_000;
const SCRIPTS_CONCURRENT_MAX = 2;

const evidence = suiteFiles().filter((f) => f.startsWith('evidence/'));

/** Which scripts run in which configuration in CI, and why. */
const SAMPLE: readonly { readonly config: EngineConfig; readonly files: readonly string[] }[] = [
  // the column path on the widest mix of expressions (CASE, subqueries, aggregates) and on the
  // evidence scripts (IN lists, views, UPDATE, DROP: tables created and dropped while the learner follows)
  { config: { path: 'column' }, files: ['select1.test', ...evidence] },
  // small batches on the column path: select2's 30-row tables become 10 batches of 3
  { config: { path: 'column', batchRows: 3 }, files: ['select2.test'] },
  // one row per batch, router on auto and forced rows: cheap scripts, every operator at its edge case
  { config: { path: 'auto', batchRows: 1 }, files: evidence },
  { config: { path: 'row', batchRows: 1 }, files: evidence },
];

const withLane = lanes(SCRIPTS_CONCURRENT_MAX);

function label(config: EngineConfig): string {
  return `${config.path}, batch rows ${config.batchRows ?? 'default'}`;
}

// Skipped for the same reason as the row-path check (sqllogictest.test.ts): a list never generated.
describe.skipIf(!expectations.generatedWithEngine)('sqllogictest in other engine configurations matches expected-failures.json', () => {
  afterAll(closeWorkers);
  for (const { config, files } of SAMPLE) {
    for (const file of files) {
      it.concurrent(`${label(config)}: ${file}`, async () => {
        const result = await withLane(() => runSuiteScript(file, loadScript(file), undefined, [], config));
        const { newFailures, newPasses, changedFailures } = checkScript(file, result.outcomes, expectations);
        expect(newFailures.map((f) => `${f.file}:${f.line} ${f.reason} | ${f.sql}`), 'records failing here but passing on rows').toEqual([]);
        expect(newPasses.map((f) => `${f.file}:${f.line} (listed as ${f.reason})`), 'records passing here but failing on rows').toEqual([]);
        expect(changedFailures.map((c) => `${file}:${c.listed.line}: ${c.listed.reason} -> ${c.now.reason}`), 'records failing for another reason than on rows').toEqual([]);
        if (config.path === 'column' && result.paths && result.paths.sampled > 0) {
          // sampled SELECTs: none may have fallen back, and those with a scan ran on the learner
          expect(result.paths.fellBack, 'sampled SELECTs that fell back to rows').toBe(0);
        }
        if (config.path === 'column' && file === 'select1.test') expect(result.paths?.column ?? 0, 'sampled SELECTs the learner served').toBeGreaterThan(50);
      }, SCRIPT_TIMEOUT_MS);
    }
  }
});

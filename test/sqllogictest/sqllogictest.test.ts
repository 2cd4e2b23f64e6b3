// Runs every sqllogictest script on duetdb and enforces expected-failures.json: an unlisted failure
// or a listed record that now passes fails the check (update with run.ts --update-expectations).

import { afterAll, describe, expect, it } from 'vitest';
import { closeWorkers } from './isolated.ts';
import { checkScript, loadExpectations } from './expectations.ts';
import { EXPECTATIONS_PATH, loadScript, runSuiteScript, suiteFiles } from './suite.ts';

const expectations = loadExpectations(EXPECTATIONS_PATH);
const SCRIPT_TIMEOUT_MS = 600_000;

// Skipped only while the list has never been generated against a running engine (the SQL engine was
// still being written): then every record would "newly fail" and block every commit for no information.
describe.skipIf(!expectations.generatedWithEngine)('sqllogictest suite matches expected-failures.json', () => {
  afterAll(closeWorkers);
  for (const file of suiteFiles()) {
    it(file, async () => {
      const result = await runSuiteScript(file, loadScript(file));
      const { newFailures, newPasses } = checkScript(file, result.outcomes, expectations);
      expect(newFailures.map((f) => `${f.file}:${f.line} ${f.reason} | ${f.sql}`), 'failing records not in expected-failures.json').toEqual([]);
      expect(newPasses.map((f) => `${f.file}:${f.line} (listed as ${f.reason})`), 'records listed as failing now pass: run npx tsx test/sqllogictest/run.ts --update-expectations').toEqual([]);
    }, SCRIPT_TIMEOUT_MS);
  }
});

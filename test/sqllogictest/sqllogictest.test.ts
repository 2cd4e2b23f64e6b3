// Runs every sqllogictest script on duetdb and enforces expected-failures.json: an unlisted failure
// or a listed record that now passes fails the check (update with run.ts --update-expectations).

import { afterAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { closeWorkers } from './isolated.ts';
import { checkScript, loadExpectations } from './expectations.ts';
import { DATA_DIR, EXPECTATIONS_PATH, loadScript, runSuiteScript, suiteFiles } from './suite.ts';
import { lanes } from './lanes.ts';

const expectations = loadExpectations(EXPECTATIONS_PATH);
const SCRIPT_TIMEOUT_MS = 900_000;
/** Scripts run two at a time (each in its own worker thread): the suite's wall time on two cores. */
const SCRIPTS_CONCURRENT_MAX = 2;

/** Biggest scripts first, so the two lanes finish at about the same time. */
const files = suiteFiles().sort((a, b) => statSync(resolve(DATA_DIR, b)).size - statSync(resolve(DATA_DIR, a)).size);

const withLane = lanes(SCRIPTS_CONCURRENT_MAX);

// Skipped only while the list has never been generated against a running engine (the SQL engine was
// still being written): then every record would "newly fail" and block every commit for no information.
describe.skipIf(!expectations.generatedWithEngine)('sqllogictest suite matches expected-failures.json', () => {
  afterAll(closeWorkers);
  for (const file of files) {
    it.concurrent(file, async () => {
      const result = await withLane(() => runSuiteScript(file, loadScript(file)));
      const { newFailures, newPasses } = checkScript(file, result.outcomes, expectations);
      expect(newFailures.map((f) => `${f.file}:${f.line} ${f.reason} | ${f.sql}`), 'failing records not in expected-failures.json').toEqual([]);
      expect(newPasses.map((f) => `${f.file}:${f.line} (listed as ${f.reason})`), 'records listed as failing now pass: run npx tsx test/sqllogictest/run.ts --update-expectations').toEqual([]);
    }, SCRIPT_TIMEOUT_MS);
  }
});

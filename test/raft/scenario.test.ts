// Golden scenario files (etcd datadriven style): rerun each file's commands and compare with the recorded
// output. After an intended behaviour change: DUET_UPDATE_GOLDEN=1 npx vitest run test/raft/scenario.test.ts,
// then review the diff before committing.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.ts';

const dir = join(import.meta.dirname, 'scenarios');

describe('scenario files', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    it(file, () => {
      const path = join(dir, file);
      const recorded = readFileSync(path, 'utf8');
      const actual = runScenario(recorded);
      if (process.env.DUET_UPDATE_GOLDEN === '1') writeFileSync(path, actual);
      else expect(actual).toBe(recorded);
    });
  }
});

// Test runner configuration: every *.test.ts under the project, run in forked processes
// (classic-level and worker threads behave best outside vitest's thread pool).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'oltp/**/*.test.ts', 'olap/**/*.test.ts', 'cdc/**/*.test.ts', 'query/**/*.test.ts', 'server/**/*.test.ts', 'cli/**/*.test.ts', 'bench/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

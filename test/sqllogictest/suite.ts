// Where the scripts live, which ones form the suite, and running one script on a fresh engine: the
// piece shared by the command-line runner (run.ts) and the vitest check (sqllogictest.test.ts).

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSlt, type SltRecord } from './parse.ts';
import { runScriptIsolated, type IsolatedResult } from './isolated.ts';
import type { EngineConfig } from './engine.ts';

/** The project's test data: ../shared/data/ relative to the project root (DUET_SLT_DIR overrides). */
export const DATA_DIR = process.env.DUET_SLT_DIR ?? fileURLToPath(new URL('../../../shared/data/sqllogictest/', import.meta.url));
export const EXPECTATIONS_PATH = fileURLToPath(new URL('./expected-failures.json', import.meta.url));
export const FAILURES_MD_PATH = fileURLToPath(new URL('./FAILURES.md', import.meta.url));

/** We answer skipif/onlyif as this database. */
export const DBMS = 'postgresql';
/** A record that takes longer fails (SQLite answers any record of the suite in well under 100 ms). */
export const RECORD_TIMEOUT_MS = 20_000;

/** Every script of the suite, relative to DATA_DIR: select1..5 and evidence/*. */
export function suiteFiles(): string[] {
  const top = readdirSync(DATA_DIR).filter((f) => f.endsWith('.test')).sort();
  const evidence = readdirSync(join(DATA_DIR, 'evidence')).filter((f) => f.endsWith('.test')).sort().map((f) => `evidence/${f}`);
  return [...top, ...evidence];
}

export function loadScript(file: string): SltRecord[] {
  return parseSlt(readFileSync(resolve(DATA_DIR, file), 'utf8'), file);
}

/** Runs one script of the suite on a fresh duetdb (in `config`, default: row store only) in a worker thread (see isolated.ts). */
export function runSuiteScript(file: string, records: readonly SltRecord[], onRecord?: () => void, setupSql: readonly string[] = [], config?: EngineConfig, recordTimeoutMs = RECORD_TIMEOUT_MS): Promise<IsolatedResult> {
  return runScriptIsolated(file, records, { recordTimeoutMs, setupSql, ...(config ? { config } : {}), ...(onRecord ? { onRecord } : {}) });
}

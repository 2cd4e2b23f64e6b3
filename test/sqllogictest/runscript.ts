// Runs the records of one sqllogictest script, in order, against one engine, and reports each record's
// outcome. Records are independent checks, but they share the database (a CREATE feeds later queries).

import { appliesTo, type QueryRecord, type SltRecord, type StatementRecord } from './parse.ts';
import { canonicalValues, compareResult, hashValues } from './format.ts';
import type { SltEngine } from './engine.ts';

export type Failure =
  /** The engine raised an error (a DuetError carries its SQLSTATE in `code`). */
  | { readonly kind: 'error'; readonly name: string; readonly code: string | undefined; readonly message: string }
  /** `statement error` ran without an error. */
  | { readonly kind: 'no-error' }
  /** The result has the wrong number of columns for the record's type string. */
  | { readonly kind: 'columns'; readonly detail: string }
  /** The result differs from the expected values or hash. */
  | { readonly kind: 'mismatch'; readonly detail: string }
  /** Matches its expected result but not an earlier query with the same label. */
  | { readonly kind: 'label'; readonly detail: string }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  /** Not run: too many earlier records of the script timed out (see isolated.ts). */
  | { readonly kind: 'abandoned'; readonly kills: number };

export interface Outcome {
  readonly line: number;
  readonly kind: 'statement' | 'query';
  readonly sql: string;
  readonly failure: Failure | undefined;
  readonly elapsedMs: number;
}

export interface ScriptResult {
  /** Outcomes of the records that apply (run as `dbms`), in file order. */
  readonly outcomes: Outcome[];
  /** Records skipped by skipif/onlyif or after a halt. */
  readonly skipped: number;
  readonly haltedAtLine: number | undefined;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly dbms: string;
  /** A record that takes longer fails; the engine may still be busy with it (only async work can be cut short). */
  readonly recordTimeoutMs: number;
  /** Called after every record (applied or skipped), for progress reporting. */
  readonly onRecord?: () => void;
  /** Called before an applying statement or query runs (the worker isolation times records by it). */
  readonly onStart?: (line: number) => void;
  readonly onOutcome?: (outcome: Outcome) => void;
  /**
   * Resume after a record that had to be killed: records up to this line only rebuild the database
   * (their statements run, their outcomes are not reported, queries are not run).
   */
  readonly resumeAfterLine?: number;
}

export async function runScript(records: readonly SltRecord[], engine: SltEngine, options: RunOptions): Promise<ScriptResult> {
  const started = performance.now();
  const outcomes: Outcome[] = [];
  const labelHashes = new Map<string, string>();
  let skipped = 0;
  let haltedAtLine: number | undefined;
  const resumeAfterLine = options.resumeAfterLine ?? 0;
  for (const record of records) {
    if (record.line <= resumeAfterLine) {
      if (record.kind === 'statement' && appliesTo(record.conditions, options.dbms)) await attempt(engine, record.sql, options.recordTimeoutMs);
      continue;
    }
    options.onRecord?.();
    if (haltedAtLine !== undefined || !appliesTo(record.conditions, options.dbms)) {
      if (record.kind === 'statement' || record.kind === 'query') skipped++;
      continue;
    }
    if (record.kind === 'halt') {
      haltedAtLine = record.line;
      continue;
    }
    // hash-threshold only steers how results were written down; we compare in whichever form the file uses.
    if (record.kind === 'hash-threshold') continue;
    options.onStart?.(record.line);
    const recordStartedMs = performance.now();
    const failure = record.kind === 'statement'
      ? await runStatement(record, engine, options.recordTimeoutMs)
      : await runQuery(record, engine, options.recordTimeoutMs, labelHashes);
    const outcome: Outcome = { line: record.line, kind: record.kind, sql: record.sql, failure, elapsedMs: performance.now() - recordStartedMs };
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  return { outcomes, skipped, haltedAtLine, elapsedMs: performance.now() - started };
}

async function runStatement(record: StatementRecord, engine: SltEngine, timeoutMs: number): Promise<Failure | undefined> {
  const r = await attempt(engine, record.sql, timeoutMs);
  if (r.kind === 'timeout') return r;
  if (record.expectError) return r.kind === 'error' ? undefined : { kind: 'no-error' };
  return r.kind === 'error' ? r : undefined;
}

async function runQuery(record: QueryRecord, engine: SltEngine, timeoutMs: number, labelHashes: Map<string, string>): Promise<Failure | undefined> {
  const r = await attempt(engine, record.sql, timeoutMs);
  if (r.kind !== 'ok') return r;
  const { columns, rows } = r.result;
  if (columns.length !== record.types.length) {
    return { kind: 'columns', detail: `expected ${record.types.length} columns (${record.types}), got ${columns.length} (${columns.map((c) => c.name).join(', ')})` };
  }
  const values = canonicalValues(record.types, record.sortMode, columns, rows);
  const mismatch = compareResult(record.expected, values);
  if (mismatch !== undefined) return { kind: 'mismatch', detail: mismatch };
  if (record.label !== undefined) {
    const hash = hashValues(values);
    const earlier = labelHashes.get(record.label);
    if (earlier === undefined) labelHashes.set(record.label, hash);
    else if (earlier !== hash) return { kind: 'label', detail: `result differs from earlier query labelled ${record.label}` };
  }
  return undefined;
}

type Attempt =
  | { readonly kind: 'ok'; readonly result: Awaited<ReturnType<SltEngine['query']>> }
  | Extract<Failure, { kind: 'error' }>
  | Extract<Failure, { kind: 'timeout' }>;

async function attempt(engine: SltEngine, sql: string, timeoutMs: number): Promise<Attempt> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Attempt>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout', timeoutMs }), timeoutMs);
  });
  try {
    const run = engine.query(sql).then(
      (result): Attempt => ({ kind: 'ok', result }),
      (e: unknown): Attempt => errorFailure(e),
    );
    return await Promise.race([run, timeout]);
  } catch (e) {
    return errorFailure(e); // query() threw synchronously
  } finally {
    clearTimeout(timer);
  }
}

function errorFailure(e: unknown): Extract<Failure, { kind: 'error' }> {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { kind: 'error', name: e.name, code: typeof code === 'string' ? code : undefined, message: e.message };
  }
  return { kind: 'error', name: 'thrown value', code: undefined, message: String(e) };
}

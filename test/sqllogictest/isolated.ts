// Runs a script in a worker thread so that a record stuck in a synchronous loop can be killed: the
// record fails with a timeout, and a fresh worker rebuilds the database (replaying the statements
// before it) and continues after it.

import { Worker } from 'node:worker_threads';
import type { Outcome, ScriptResult } from './runscript.ts';
import { appliesTo, type QueryRecord, type SltRecord, type StatementRecord } from './parse.ts';
import { DBMS } from './suite.ts';
import type { EngineConfig, PathCounts } from './engine.ts';

export interface WorkerTask {
  /** Script path relative to the data folder (or absolute). */
  readonly file: string;
  /** URL of a module whose `openEngine()` gives the engine (tests swap in stand-ins). */
  readonly engineModule: string;
  /** Statements run on the fresh database before the script, e.g. `SET ...` to pick an engine configuration. */
  readonly setupSql: readonly string[];
  /** Passed to the engine module's `openEngine` (duetdb: which path, what batch size). */
  readonly config: EngineConfig | undefined;
  readonly recordTimeoutMs: number;
  readonly resumeAfterLine: number | undefined;
}

export type WorkerEvent =
  | { readonly kind: 'record' }
  | { readonly kind: 'start'; readonly line: number }
  | { readonly kind: 'outcome'; readonly outcome: Outcome }
  | { readonly kind: 'done'; readonly skipped: number; readonly haltedAtLine: number | undefined; readonly paths: PathCounts | undefined }
  /** The script could not run at all (engine failed to open, script unreadable). */
  | { readonly kind: 'failed'; readonly message: string };

const BOOT_URL = new URL('./worker-boot.mjs', import.meta.url);
/** Workers waiting for their next script: reused until a record has to be killed (one per concurrent script). */
const idle: Worker[] = [];

/** Ends the idle workers; callers run it when they have no more scripts (else the process stays up). */
export async function closeWorkers(): Promise<void> {
  const workers = idle.splice(0);
  await Promise.all(workers.map((w) => w.terminate()));
}
/**
 * A script whose records keep timing out is abandoned after this many kills: each kill costs the
 * timeout plus a replay of the script's statements, which would blow the CI time budget.
 */
export const KILLS_MAX = 4;

export const DUET_ENGINE_MODULE = new URL('./engine.ts', import.meta.url).href;

export interface IsolatedOptions {
  readonly recordTimeoutMs: number;
  readonly onRecord?: () => void;
  readonly engineModule?: string;
  readonly setupSql?: readonly string[];
  readonly config?: EngineConfig;
}

export interface IsolatedResult extends ScriptResult {
  /** Paths of the sampled SELECTs, summed over the script's workers (undefined without a learner). */
  readonly paths: PathCounts | undefined;
}

export async function runScriptIsolated(file: string, records: readonly SltRecord[], options: IsolatedOptions): Promise<IsolatedResult> {
  const { recordTimeoutMs, onRecord } = options;
  const engineModule = options.engineModule ?? DUET_ENGINE_MODULE;
  const setupSql = options.setupSql ?? [];
  const started = performance.now();
  const outcomes: Outcome[] = [];
  let skipped = 0;
  let resumeAfterLine: number | undefined;
  let paths: PathCounts | undefined;
  for (let kills = 1; ; kills++) {
    const run = await runWorker({ file, engineModule, setupSql, config: options.config, recordTimeoutMs, resumeAfterLine }, (event) => {
      if (event.kind === 'record') onRecord?.();
      else if (event.kind === 'outcome') outcomes.push(event.outcome);
      // a killed worker's counts are lost; the resumed worker's are added
      else if (event.kind === 'done' && event.paths) paths = addPaths(paths, event.paths);
    });
    if (run.kind === 'done') {
      skipped += run.skipped;
      return { outcomes, skipped, haltedAtLine: run.haltedAtLine, elapsedMs: performance.now() - started, paths };
    }
    const record = records.find((r) => r.line === run.line);
    outcomes.push({ line: run.line, kind: record?.kind === 'query' ? 'query' : 'statement', sql: record && 'sql' in record ? record.sql : '', failure: { kind: 'timeout', timeoutMs: recordTimeoutMs }, elapsedMs: recordTimeoutMs });
    resumeAfterLine = run.line;
    if (kills >= KILLS_MAX) {
      for (const r of remainingRecords(records, run.line)) {
        onRecord?.();
        outcomes.push({ line: r.line, kind: r.kind, sql: r.sql, failure: { kind: 'abandoned', kills }, elapsedMs: 0 });
      }
      return { outcomes, skipped, haltedAtLine: undefined, elapsedMs: performance.now() - started, paths };
    }
  }
}

export function addPaths(a: PathCounts | undefined, b: PathCounts): PathCounts {
  return { sampled: (a?.sampled ?? 0) + b.sampled, column: (a?.column ?? 0) + b.column, fellBack: (a?.fellBack ?? 0) + b.fellBack, row: (a?.row ?? 0) + b.row };
}

/** The statements and queries after `line` that would run as postgresql (up to an applying halt). */
function remainingRecords(records: readonly SltRecord[], line: number): (StatementRecord | QueryRecord)[] {
  const out: (StatementRecord | QueryRecord)[] = [];
  for (const r of records) {
    if (r.line <= line || !appliesTo(r.conditions, DBMS)) continue;
    if (r.kind === 'halt') break;
    if (r.kind === 'statement' || r.kind === 'query') out.push(r);
  }
  return out;
}

type WorkerRun = { kind: 'done'; skipped: number; haltedAtLine: number | undefined } | { kind: 'killed'; line: number };

function runWorker(task: WorkerTask, onEvent: (event: WorkerEvent) => void): Promise<WorkerRun> {
  const worker = idle.pop() ?? new Worker(BOOT_URL);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      outcome();
    };
    const discard = () => void worker.terminate();
    const onMessage = (event: WorkerEvent) => {
      if (event.kind === 'failed') {
        finish(() => {
          idle.push(worker); // the worker itself is fine; only this script could not run
          reject(new Error(`${task.file}: ${event.message}`));
        });
        return;
      }
      onEvent(event);
      if (event.kind === 'start') {
        clearTimeout(timer);
        timer = setTimeout(() => finish(() => {
          discard();
          resolve({ kind: 'killed', line: event.line });
        }), task.recordTimeoutMs);
      } else if (event.kind === 'outcome') {
        clearTimeout(timer);
      } else if (event.kind === 'done') {
        finish(() => {
          idle.push(worker);
          resolve({ kind: 'done', skipped: event.skipped, haltedAtLine: event.haltedAtLine });
        });
      }
    };
    const onError = (e: Error) => finish(() => {
      discard();
      reject(e);
    });
    const onExit = (code: number) => finish(() => {
      reject(new Error(`${task.file}: worker exited with code ${code} before finishing`));
    });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(task);
  });
}

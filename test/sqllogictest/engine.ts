// The engine under test, behind a small interface: one fresh duetdb database per script, one session.
// Loaded lazily so that the parser and formatter work (and are tested) without the engine.
// `EngineConfig` picks the path (row store only; the learner with the column path forced; the router on
// auto) and the executor batch size, so the same scripts check every configuration.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlType, Value } from '../../oltp/types.ts';

export interface EngineResult {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly rows: readonly (readonly Value[])[];
}

export interface SltEngine {
  query(sql: string): Promise<EngineResult>;
  /** Paths of the sampled SELECTs so far (undefined without a learner). */
  paths?(): PathCounts;
  close(): Promise<void>;
}

/** Which path answered the SELECTs sampled with EXPLAIN ANALYZE (see SAMPLE_EVERY). */
export interface PathCounts {
  sampled: number;
  /** Served by the learner. */
  column: number;
  /** The column path was chosen, the learner could not serve it, the row path answered. */
  fellBack: number;
  /** The router chose rows (no scans, own writes, or on auto the cheaper estimate). */
  row: number;
}

/** Which path answers: rows only (no learner), the learner forced, or the router's choice with a learner. */
export type EnginePath = 'row' | 'column' | 'auto';

export interface EngineConfig {
  readonly path: EnginePath;
  /** Executor rows per batch (undefined: the executor's default). */
  readonly batchRows?: number;
  /**
   * Run the learner in its own worker thread as `Database.open` does (default: in the script's thread,
   * which serves the same messages and reads; it saves a thread start per script, a few seconds each on
   * loaded cores, which is most of a short script's time).
   */
  readonly learnerThread?: boolean;
}

export const DEFAULT_CONFIG: EngineConfig = { path: 'row' };

/** The statements that put a fresh session into `config` (run before the script). */
export function configSql(config: EngineConfig): string[] {
  const out: string[] = [];
  if (config.path !== 'row') out.push(`SET duet.engine = '${config.path}'`);
  if (config.batchRows !== undefined) out.push(`SET duet.batch_rows = ${config.batchRows}`);
  return out;
}

/** A new embedded duetdb in a temporary directory, removed again on close(). */
export async function openDuetEngine(config: EngineConfig = DEFAULT_CONFIG): Promise<SltEngine> {
  const { Database } = await import('../../query/database.ts');
  // The session setting reaches SELECTs; the process default reaches every other executor context
  // (INSERT ... SELECT, subqueries of UPDATE) and, through the environment, threads started from here.
  // Set (or reset) every time: the worker thread is reused for the next script, maybe in another config.
  const { BATCH_ROWS_ENV, setBatchRowsDefault } = await import('../../olap/exec/runtime.ts');
  setBatchRowsDefault(config.batchRows);
  if (config.batchRows === undefined) delete process.env[BATCH_ROWS_ENV];
  else process.env[BATCH_ROWS_ENV] = String(config.batchRows);
  const dir = await mkdtemp(join(tmpdir(), 'duet-slt-'));
  const db = await Database.open(dir, { learner: config.path === 'row' ? false : { worker: config.learnerThread === true } });
  const session = db.session();
  for (const sql of configSql(config)) await session.query(sql);
  const paths = config.path === 'row' ? undefined : newPathCounts();
  let selects = 0;
  return {
    async query(sql) {
      const result = await session.query(sql);
      if (paths && /^\s*select\b/i.test(sql) && ++selects % SAMPLE_EVERY === 0) {
        const plan = await session.query(`EXPLAIN ANALYZE ${sql}`).catch(() => undefined);
        if (plan) countPath(paths, String(plan.rows[0]?.[0] ?? ''));
      }
      return result;
    },
    ...(paths ? { paths: () => ({ ...paths }) } : {}),
    async close() {
      try {
        await session.close();
        await db.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Every `SAMPLE_EVERY`-th SELECT is run again under EXPLAIN ANALYZE to see which path answered it (nothing
 * else reports that for a statement): the check that a column-forced run really reads the learner.
 */
export const SAMPLE_EVERY = 10;

/** Counts the path EXPLAIN ANALYZE's first line names (`path: column ...`, `... [fell back to row]`). */
export function countPath(paths: PathCounts, routeLine: string): void {
  paths.sampled++;
  if (/fell back/.test(routeLine)) paths.fellBack++;
  else if (/^path: column/.test(routeLine)) paths.column++;
  else paths.row++;
}

function newPathCounts(): PathCounts {
  return { sampled: 0, column: 0, fellBack: 0, row: 0 };
}

/** The name the isolated runner's worker looks for. */
export const openEngine = openDuetEngine;

// The engine under test, behind a small interface: one fresh duetdb database per script, one session.
// Loaded lazily so that the parser and formatter work (and are tested) without the engine.
// `EngineConfig` picks the path (row store only; the learner with the column path forced; the router on
// auto) and the executor batch size, so the same scripts check every configuration.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlType, Value } from '../../oltp/types.ts';
import type { RowStore } from '../../oltp/rowstore.ts';

export interface EngineResult {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly rows: readonly (readonly Value[])[];
}

export interface SltEngine {
  query(sql: string): Promise<EngineResult>;
  /** Reads served by the columnar learner so far, and those that reran on rows (undefined without a learner). */
  columnReads?(): ColumnReads;
  close(): Promise<void>;
}

export interface ColumnReads {
  /** Scans the learner served. */
  readonly served: number;
  /** Scans the learner refused (the query reran on the row path). */
  readonly refused: number;
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
  const reads = config.path === 'row' ? undefined : await countColumnReads(db.store);
  return {
    query: (sql) => session.query(sql),
    ...(reads ? { columnReads: () => ({ ...reads }) } : {}),
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
 * Counts the learner's scans by wrapping its read stream (a test-side probe: nothing in the engine reports
 * which path answered a statement that was not EXPLAINed). A refused scan is one that failed.
 */
export async function countColumnReads(store: RowStore): Promise<{ served: number; refused: number } | undefined> {
  const { learnerOf } = await import('../../olap/learner/index.ts');
  const replica = learnerOf(store);
  if (!replica) return undefined;
  const counts = { served: 0, refused: 0 };
  const original = replica.readStream.bind(replica);
  replica.readStream = (async function* (...args: Parameters<typeof original>) {
    let refused = false;
    try {
      yield* original(...args);
    } catch (e) {
      refused = true;
      throw e;
    } finally {
      if (refused) counts.refused++;
      else counts.served++; // also a scan its consumer stopped early (LIMIT)
    }
  }) as typeof replica.readStream;
  return counts;
}

/** The name the isolated runner's worker looks for. */
export const openEngine = openDuetEngine;

// The engine under test, behind a small interface: one fresh duetdb database per script, one session.
// Loaded lazily so that the parser and formatter work (and are tested) without the engine.

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
  close(): Promise<void>;
}

/** A new embedded duetdb in a temporary directory, removed again on close(). */
export async function openDuetEngine(): Promise<SltEngine> {
  const { Database } = await import('../../query/database.ts');
  const dir = await mkdtemp(join(tmpdir(), 'duet-slt-'));
  const db = await Database.open(dir);
  const session = db.session();
  return {
    query: (sql) => session.query(sql),
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

/** The name the isolated runner's worker looks for. */
export const openEngine = openDuetEngine;

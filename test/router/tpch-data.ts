// The TPC-H sf0.01 tables of ../shared/data loaded into a fresh database with an in-process learner: the
// setup the router test files share (each loads once in its beforeAll).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../query/database.ts';

export const TPCH_DATA = join(import.meta.dirname, '../../../shared/data/tpch');
const TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'];

export interface LoadedTpch {
  readonly db: Database;
  /** Closes the database and removes its directory. */
  close(): Promise<void>;
}

export async function openTpch(dirPrefix: string): Promise<LoadedTpch> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const db = await Database.open(dir, { learner: { worker: false } });
  await db.query(readFileSync(join(TPCH_DATA, 'schema.sql'), 'utf8'));
  for (const t of TABLES) await db.query(`COPY ${t} FROM '${join(TPCH_DATA, 'sf0.01', `${t}.tbl`)}' (FORMAT tbl, DELIMITER '|')`);
  return {
    db,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

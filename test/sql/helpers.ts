// Shared set-up for SQL tests: a fresh embedded database in a temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../query/database.ts';

export async function openTempDb(): Promise<{ db: Database; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-sql-'));
  const db = await Database.open(dir, { learner: false });
  return {
    db,
    cleanup: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

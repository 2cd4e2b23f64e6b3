// SQLite (better-sqlite3) behind the runner's engine interface. The scripts' expected results were
// produced by SQLite, so it checks the runner itself: parsing, rendering, sorting and hashing.

import { createRequire } from 'node:module';
import { Types } from '../../oltp/types.ts';
import type { EngineResult, SltEngine } from './engine.ts';

// The package ships no types (and @types/better-sqlite3 is not installed): declare the few calls used here.
interface SqliteStatement {
  readonly reader: boolean;
  run(): unknown;
  raw(on: boolean): { all(): unknown[] };
  columns(): { name: string }[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => SqliteDatabase;

export async function openSqliteEngine(): Promise<SltEngine> {
  const db = new Sqlite(':memory:');
  return {
    async query(sql: string): Promise<EngineResult> {
      if (/;\s*\S/.test(sql)) {
        db.exec(sql); // a script of several statements (prepare() takes exactly one)
        return { columns: [], rows: [] };
      }
      const statement = db.prepare(sql);
      if (!statement.reader) {
        statement.run();
        return { columns: [], rows: [] };
      }
      const rows = statement.raw(true).all() as (number | string | null)[][];
      const columns = statement.columns().map((c) => ({ name: c.name, type: Types.double }));
      return { columns, rows };
    },
    async close() {
      db.close();
    },
  };
}

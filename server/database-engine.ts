// The wire protocol's WireEngine over the embedded database: one query/database.ts Session per
// connection; COPY FROM goes straight to the row store (rows parsed by column type, omitted columns
// filled with their DEFAULT, inserted in the session's transaction or in one of its own).

import type { Database, Session } from '../query/database.ts';
import type { TableDef, Txn, ViewDef } from '../oltp/api.ts';
import { DuetError, SqlState } from '../oltp/errors.ts';
import { typeName, type Value } from '../oltp/types.ts';
import type { QueryResult, WireEngine, WireSession } from './engine.ts';
import { parseTextAs } from './pgwire/values.ts';

export function databaseEngine(db: Database): WireEngine {
  return { openSession: () => new DatabaseWireSession(db, db.session()) };
}

/** The optional cancellation hook of Session (added by the SQL layer; absent = cancel does nothing). */
interface Cancellable {
  cancel?: () => void;
}

class DatabaseWireSession implements WireSession {
  constructor(
    private readonly db: Database,
    private readonly session: Session,
  ) {}

  query(sql: string, params: readonly Value[]): Promise<QueryResult> {
    return this.session.query(sql, params);
  }

  get inTransaction(): boolean {
    return this.session.inTransaction;
  }

  get failed(): boolean {
    return this.session.failed;
  }

  markFailed(): void {
    if (this.session.inTransaction) this.session.failed = true;
  }

  cancel(): void {
    (this.session as unknown as Cancellable).cancel?.();
  }

  listTables(): readonly TableDef[] {
    return this.readCatalog((txn) => txn.listTables());
  }

  listViews(): readonly ViewDef[] {
    return this.readCatalog((txn) => txn.listViews());
  }

  /** Reads the catalog in the open transaction (seeing its own DDL), else in a short read-only one. */
  private readCatalog<T>(read: (txn: Txn) => T): T {
    if (this.session.txn) return read(this.session.txn);
    const txn = this.db.store.begin();
    try {
      return read(txn);
    } finally {
      txn.rollback();
    }
  }

  async copyFrom(table: string, columns: readonly string[] | undefined, batches: AsyncIterable<(string | null)[][]>): Promise<number> {
    if (this.session.failed) {
      throw new DuetError(SqlState.inFailedTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
    }
    const own = this.session.txn === undefined;
    const txn = this.session.txn ?? this.db.store.begin({ isolation: this.session.defaultIsolation });
    try {
      txn.beginStatement();
      const def = txn.getTable(table);
      if (!def) throw new DuetError(SqlState.undefinedTable, `relation "${table}" does not exist`);
      const ordinals = columnOrdinals(def, columns);
      const template = await this.defaultsRow(def, ordinals);
      let count = 0;
      for await (const batch of batches) {
        for (const fields of batch) {
          count++;
          await txn.insert(def, rowFromFields(def, ordinals, template, fields, count));
        }
      }
      if (own) await txn.commit();
      return count;
    } catch (error) {
      if (own) {
        if (txn.state === 'active') txn.rollback();
      } else this.session.failed = true;
      throw error;
    }
  }

  /**
   * The row COPY starts from: columns left out of the column list hold their DEFAULT, evaluated once
   * (cast to the column's type) by the SQL layer, or NULL.
   */
  private async defaultsRow(def: TableDef, ordinals: readonly number[]): Promise<Value[]> {
    const row: Value[] = def.columns.map(() => null);
    for (let i = 0; i < def.columns.length; i++) {
      const c = def.columns[i]!;
      if (ordinals.includes(i) || c.defaultSql === undefined) continue;
      const r = await this.session.query(`SELECT CAST((${c.defaultSql}) AS ${typeName(c.type)})`, []);
      // Query results may carry decimals, dates and timestamps as text: bring them to the row form.
      const value = r.rows[0]?.[0] ?? null;
      row[i] = typeof value === 'string' ? parseTextAs(value, c.type) : value;
    }
    return row;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

function columnOrdinals(def: TableDef, columns: readonly string[] | undefined): number[] {
  if (!columns) return def.columns.map((_, i) => i);
  return columns.map((name) => {
    const i = def.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${name}" of relation "${def.name}" does not exist`);
    return i;
  });
}

function rowFromFields(def: TableDef, ordinals: readonly number[], template: readonly Value[], fields: readonly (string | null)[], line: number): Value[] {
  if (fields.length !== ordinals.length) {
    const what = fields.length < ordinals.length ? 'missing data for a column' : 'extra data after the last expected column';
    throw new DuetError('22P04', `${what}`, { detail: `COPY ${def.name}, line ${line}: expected ${ordinals.length} fields, got ${fields.length}` });
  }
  const row = template.slice();
  ordinals.forEach((o, i) => {
    const field = fields[i] ?? null;
    row[o] = field === null ? null : parseTextAs(field, def.columns[o]!.type);
  });
  return row;
}

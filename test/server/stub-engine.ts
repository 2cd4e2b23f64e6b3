// A stand-in for the SQL engine, speaking a handful of fixed commands, so the wire protocol can be
// tested on its own (framing, types, errors, transaction status, cancel, COPY, backpressure).
//
//   begin | commit | rollback          transaction state as PostgreSQL keeps it (failed → 'E')
//   select types                       one row holding a value of every SQL type, plus a row of NULLs
//   select params                      one row echoing the parameters (type from the JavaScript value)
//   select series N                    N rows (i integer, label text)
//   select * from T                    rows COPY'd into table T (columns a integer, b text, c double)
//   sleep MS                           waits, stopping with 57014 when cancelled
//   fail CODE                          a DuetError with that SQLSTATE, position 6, a hint and a detail

import type { TableDef, ViewDef } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, type SqlType, type Value } from '../../oltp/types.ts';
import type { QueryResult, WireEngine, WireSession } from '../../server/engine.ts';

export const typeSample: { name: string; type: SqlType; value: Value; text: string }[] = [
  { name: 'i', type: Types.integer, value: -2147483648, text: '-2147483648' },
  { name: 'b', type: Types.bigint, value: 9007199254740991, text: '9007199254740991' },
  { name: 'n', type: Types.decimal(12, 3), value: -123456789012n, text: '-123456789.012' },
  { name: 'd', type: Types.double, value: 0.1, text: '0.1' },
  { name: 't', type: Types.text, value: 'héllo\t"wörld"', text: 'héllo\t"wörld"' },
  { name: 'v', type: Types.varchar(10), value: 'abc', text: 'abc' },
  { name: 'ch', type: Types.varchar(4, true), value: 'ab  ', text: 'ab  ' },
  { name: 'bo', type: Types.boolean, value: true, text: 't' },
  { name: 'dt', type: Types.date, value: 19723, text: '2024-01-01' },
  { name: 'ts', type: Types.timestamp, value: 1704110400123456, text: '2024-01-01 12:00:00.123456' },
];

const copyColumns = [
  { name: 'a', type: Types.integer, notNull: false },
  { name: 'b', type: Types.text, notNull: false },
  { name: 'c', type: Types.double, notNull: false },
];

export class StubEngine implements WireEngine {
  readonly tables = new Map<string, Value[][]>();
  /** Every statement the sessions received, in order. */
  readonly log: string[] = [];
  openSessions = 0;
  rolledBack = 0;

  openSession(): WireSession {
    this.openSessions++;
    return new StubSession(this);
  }
}

class StubSession implements WireSession {
  inTransaction = false;
  failed = false;
  private cancelRequested: (() => void) | undefined;

  constructor(private readonly engine: StubEngine) {}

  markFailed(): void {
    this.failed = true;
  }

  cancel(): void {
    this.cancelRequested?.();
  }

  listTables(): readonly TableDef[] {
    return [...this.engine.tables.keys()].map((name, id) => ({
      id,
      name,
      columns: copyColumns,
      primaryKey: [0],
      hiddenRowId: false,
      indexes: [],
      schemaVersion: 1,
    }));
  }

  listViews(): readonly ViewDef[] {
    return [];
  }

  async copyFrom(table: string, columns: readonly string[] | undefined, batches: AsyncIterable<(string | null)[][]>): Promise<number> {
    if (columns && columns.join() !== 'a,b,c') throw new DuetError(SqlState.undefinedColumn, 'the stub takes columns a, b, c');
    const rows: Value[][] = [];
    for await (const batch of batches) {
      for (const f of batch) {
        if (f.length !== 3) throw new DuetError('22P04', `expected 3 fields, got ${f.length}`);
        rows.push([f[0] === null ? null : Number(f[0]), f[1] ?? null, f[2] === null ? null : Number(f[2])]);
      }
    }
    this.engine.tables.set(table, [...(this.engine.tables.get(table) ?? []), ...rows]);
    return rows.length;
  }

  async close(): Promise<void> {
    if (this.inTransaction) this.engine.rolledBack++;
    this.engine.openSessions--;
  }

  async query(sql: string, params: readonly Value[]): Promise<QueryResult> {
    const s = sql.replace(/--.*$/gm, '').trim().replace(/;$/, '').toLowerCase();
    this.engine.log.push(s);
    if (s === 'begin') {
      this.inTransaction = true;
      return done('BEGIN');
    }
    if (s === 'commit' || s === 'rollback') {
      const wasFailed = this.failed;
      this.inTransaction = false;
      this.failed = false;
      return done(wasFailed ? 'ROLLBACK' : s.toUpperCase());
    }
    if (this.failed) throw new DuetError(SqlState.inFailedTransaction, 'current transaction is aborted');
    try {
      return await this.run(s, params);
    } catch (error) {
      if (this.inTransaction) this.failed = true;
      throw error;
    }
  }

  private async run(s: string, params: readonly Value[]): Promise<QueryResult> {
    let m: RegExpExecArray | null;
    if (s === 'select types') {
      return {
        columns: typeSample.map(({ name, type }) => ({ name, type })),
        rows: [typeSample.map((t) => t.value), typeSample.map(() => null)],
        command: 'SELECT 2',
        rowCount: 2,
      };
    }
    if (s === 'select params') {
      const columns = params.map((p, i) => ({
        name: `p${i + 1}`,
        type: typeof p === 'boolean' ? Types.boolean : typeof p === 'number' ? (Number.isInteger(p) ? Types.bigint : Types.double) : Types.text,
      }));
      return { columns, rows: [[...params]], command: 'SELECT 1', rowCount: 1 };
    }
    if ((m = /^select series (\d+)$/.exec(s))) {
      const n = Number(m[1]);
      const rows: Value[][] = [];
      for (let i = 1; i <= n; i++) rows.push([i, `row ${i}`]);
      return { columns: [{ name: 'i', type: Types.integer }, { name: 'label', type: Types.text }], rows, command: `SELECT ${n}`, rowCount: n };
    }
    if ((m = /^select \* from "?(\w+)"?$/.exec(s))) {
      const rows = this.engine.tables.get(m[1]!);
      if (!rows) throw new DuetError(SqlState.undefinedTable, `relation "${m[1]}" does not exist`, { position: 15 });
      return { columns: copyColumns.map(({ name, type }) => ({ name, type })), rows, command: `SELECT ${rows.length}`, rowCount: rows.length };
    }
    if ((m = /^sleep (\d+)$/.exec(s))) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Number(m![1]));
        this.cancelRequested = () => {
          clearTimeout(timer);
          reject(new DuetError(SqlState.queryCanceled, 'canceling statement due to user request'));
        };
      }).finally(() => (this.cancelRequested = undefined));
      return done('SLEEP');
    }
    if ((m = /^fail (\w+)$/.exec(s))) {
      throw new DuetError(m[1]!.toUpperCase(), 'the stub failed on purpose', { position: 6, hint: 'a hint', detail: 'a detail' });
    }
    throw new DuetError(SqlState.syntaxError, `the stub engine does not understand "${s}"`, { position: 1 });
  }
}

function done(command: string): QueryResult {
  return { columns: [], rows: [], command, rowCount: 0 };
}

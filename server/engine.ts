// What the wire protocol needs from the database, as a narrow interface, so the protocol can be
// tested against a stand-in and the server never reaches into query/ or oltp/ beyond these calls.

import type { QueryResult } from '../query/database.ts';
import type { TableDef, ViewDef } from '../oltp/api.ts';
import type { Value } from '../oltp/types.ts';

export type { QueryResult };

/** One client connection's view of the database (wraps query/database.ts Session). */
export interface WireSession {
  query(sql: string, params: readonly Value[]): Promise<QueryResult>;
  /** Inside BEGIN ... COMMIT (ReadyForQuery 'T'). */
  readonly inTransaction: boolean;
  /** The explicit transaction failed and awaits ROLLBACK (ReadyForQuery 'E'). */
  readonly failed: boolean;
  /** Puts an open explicit transaction into the failed state (an error raised by the protocol layer). */
  markFailed(): void;
  /** Asks the running statement to stop with 57014 (CancelRequest). Harmless when nothing runs. */
  cancel(): void;
  /** Tables visible to this session, for the pg_catalog emulation. */
  listTables(): readonly TableDef[];
  /** Views visible to this session, for the pg_catalog emulation. */
  listViews(): readonly ViewDef[];
  /**
   * COPY ... FROM STDIN: inserts rows given as text fields (null = SQL NULL) in batches, inside the open
   * transaction or in one transaction of its own. Returns the number of rows inserted.
   */
  copyFrom(table: string, columns: readonly string[] | undefined, batches: AsyncIterable<(string | null)[][]>): Promise<number>;
  /** Ends the session; an open transaction is rolled back. */
  close(): Promise<void>;
}

export interface WireEngine {
  openSession(): WireSession;
}

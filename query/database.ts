// The public facade: Database (one embedded engine) and Session (one client connection's state).
// SQL execution lives in query/execute.ts; transactions live in oltp/. This file only wires them.

import { DuetError, SqlState } from '../oltp/errors.ts';
import type { Isolation, Txn } from '../oltp/api.ts';
import { RowStore, type RowStoreOpenOptions } from '../oltp/rowstore.ts';
import type { SqlType, Value } from '../oltp/types.ts';
import { executeSql, prepareSql, runPointText, type PreparedStatement } from './execute.ts';
import { storeChanges, type ChangeEvent, type ChangesOptions } from '../cdc/index.ts';
import type { RecordBatch, Schema, Table } from 'apache-arrow';
import { arrowTable, publicResultToArrow } from './route/arrow.ts';
import { replicaStatus, startLearner, stopLearner, type LearnerReplicaOptions, type ReplicaStatus } from '../olap/learner/index.ts';

export interface QueryResult {
  columns: { name: string; type: SqlType }[];
  /** One array of values per row, in column order (see oltp/types.ts for the value representation). */
  rows: Value[][];
  /** The command tag PostgreSQL would send, e.g. 'SELECT 3', 'INSERT 0 1', 'CREATE TABLE'. */
  command: string;
  /** Rows affected by INSERT/UPDATE/DELETE (and rows returned by SELECT). */
  rowCount: number;
}

export interface DatabaseOptions extends RowStoreOpenOptions {
  /**
   * The columnar learner (the column path's replica). Default: started in the background, so `open` returns
   * at once and SELECTs take the row path until it is ready (`db.startLearner()` waits for it). `true` or its
   * options: started before `open` returns. `false`: none (row path only).
   */
  learner?: boolean | LearnerReplicaOptions;
}

export class Database {
  readonly dir: string;
  readonly store: RowStore;
  private readonly sessions = new Set<Session>();
  private closed = false;
  /** The learner's start (background by default); close aborts it if it is still booting. */
  private learnerStart: Promise<void> | undefined;
  private readonly learnerAbort = new AbortController();
  /** Settings shared by db.query / PreparedQuery calls: SET through db.query applies to later calls. */
  private readonly querySettings = new Map<string, string>();
  private queryIsolation: Isolation = 'read committed';
  /** A db.query session parked between calls: a new Session per call was ~1 µs of a ~10 µs point read. */
  private idleQuerySession: Session | undefined;

  private constructor(dir: string, store: RowStore) {
    this.dir = dir;
    this.store = store;
  }

  static async open(dir: string, options: DatabaseOptions = {}): Promise<Database> {
    const { learner, ...storeOptions } = options;
    const store = await RowStore.open(dir, storeOptions);
    const db = new Database(dir, store);
    if (learner === false) return db;
    db.learnerStart = startLearner(store, { ...(typeof learner === 'object' ? learner : {}), signal: db.learnerAbort.signal }).then(() => undefined);
    if (learner !== undefined) {
      try {
        await db.learnerStart;
      } catch (e) {
        await store.close();
        throw e;
      }
    }
    // in the background a failed start leaves the row path only; startLearner() reports why
    else db.learnerStart.catch(() => undefined);
    return db;
  }

  /** An independent session: its own transaction state, like one client connection. */
  session(): Session {
    this.assertOpen();
    const session = new Session(this);
    this.sessions.add(session);
    return session;
  }

  /**
   * Runs one SQL statement (or a `;`-separated script). Calls behave like one connection for settings:
   * `SET` (`duet.engine`, `default_transaction_isolation`, ...) applies to later db.query and prepared
   * calls. Each call is its own transaction scope: autocommit, and a BEGIN not ended within the same call is
   * rolled back when it returns (for a transaction spanning calls use `db.session()`).
   */
  query(sql: string, params: readonly Value[] = []): Promise<QueryResult> {
    return this.runInIdleSession((session) => session.queryPoint(sql, params)) ?? this.withQuerySession((session) => session.query(sql, params));
  }

  /**
   * Runs one statement (or a script: the last statement's result) and returns the result as an apache-arrow
   * Table. A SELECT's batches are never turned into JS rows: on the column path they are the learner's
   * Arrow batches as received, on the row path the executor's batches converted. Types: INTEGER Int32,
   * BIGINT Int64, DOUBLE Float64, DECIMAL Decimal128 (scaled), DATE DateDay, TIMESTAMP Timestamp(µs),
   * BOOLEAN Bool, text Utf8, NULL Null; each field's SQL type is in its metadata `duet.type`. Repeated column
   * names get a suffix (`x`, `x_1`). Other statements give their public rows (DECIMAL/DATE/TIMESTAMP as text).
   */
  async queryArrow(sql: string, params: readonly Value[] = []): Promise<Table> {
    return this.withQuerySession(async (session) => {
      session.arrowOutput = true;
      const result = await session.query(sql, params);
      const arrow = session.lastArrow;
      return arrow && result.command.startsWith('SELECT ') ? arrowTable(arrow) : publicResultToArrow(result);
    });
  }

  /** @internal A session carrying the db.query settings; settings it changes are kept for later calls. */
  async withQuerySession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    // concurrent calls each get their own session: only an idle one is reused
    let session = this.idleQuerySession;
    this.idleQuerySession = undefined;
    if (session === undefined) session = this.session();
    else this.assertOpen();
    for (const [k, v] of this.querySettings) session.settings.set(k, v);
    session.defaultIsolation = this.queryIsolation;
    try {
      return await fn(session);
    } finally {
      this.querySettings.clear();
      for (const [k, v] of session.settings) this.querySettings.set(k, v);
      this.queryIsolation = session.defaultIsolation;
      // as if closed: an open transaction rolls back and no state reaches the next call
      session.reset();
      if (this.idleQuerySession === undefined && !this.closed) this.idleQuerySession = session;
      else await session.close();
    }
  }

  /**
   * @internal A prepared point SELECT run synchronously in the idle db.query session (no async frames);
   * undefined when it does not apply, and then nothing ran. A SELECT changes no setting: none to copy back.
   */
  tryPointQuery(statement: PreparedStatement, params: readonly Value[]): Promise<QueryResult> | undefined {
    return statement.runPoint === undefined ? undefined : this.runInIdleSession((session) => session.executePoint(statement, params));
  }

  private runInIdleSession(fn: (session: Session) => QueryResult | undefined): Promise<QueryResult> | undefined {
    const session = this.idleQuerySession;
    if (session === undefined || this.closed) return undefined;
    this.idleQuerySession = undefined;
    for (const [k, v] of this.querySettings) session.settings.set(k, v);
    session.defaultIsolation = this.queryIsolation;
    try {
      const result = fn(session);
      return result && Promise.resolve(result);
    } catch (e) {
      return Promise.reject(e);
    } finally {
      session.reset();
      this.idleQuerySession ??= session;
    }
  }

  /** A statement parsed and planned once, run many times with `$1`-style parameters. */
  prepare(sql: string): PreparedQuery {
    this.assertOpen();
    return new PreparedQuery(this, prepareSql(this, sql));
  }

  /** CDC: committed changes in commit order from `options.from` on (cdc/README.md). */
  changes(options: ChangesOptions = {}): AsyncGenerator<ChangeEvent> {
    this.assertOpen();
    return storeChanges(this.store, options);
  }

  /**
   * Starts the columnar learner if none runs yet (SELECTs may then take the column path); with the default
   * background start, waits until it is ready (and throws if it failed to start).
   */
  async startLearner(options: LearnerReplicaOptions = {}): Promise<void> {
    this.assertOpen();
    this.learnerStart ??= startLearner(this.store, { ...options, signal: this.learnerAbort.signal }).then(() => undefined);
    await this.learnerStart;
  }

  /** The learner's status (applied index, lag, tables), or undefined when none runs. */
  replicaStatus(): Promise<ReplicaStatus | undefined> {
    return replicaStatus(this.store);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.sessions) await session.close();
    // a learner still booting is stopped at once (it holds nothing to save yet)
    this.learnerAbort.abort();
    await this.learnerStart?.catch(() => undefined);
    await stopLearner(this.store);
    await this.store.close();
  }

  /** @internal */
  forgetSession(session: Session): void {
    this.sessions.delete(session);
  }

  private assertOpen(): void {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the database is closed');
  }
}

export class PreparedQuery {
  constructor(
    private readonly db: Database,
    readonly statement: PreparedStatement,
  ) {}

  query(params: readonly Value[] = []): Promise<QueryResult> {
    return this.db.tryPointQuery(this.statement, params) ?? this.db.withQuerySession((session) => session.execute(this.statement, params));
  }
}

export class Session {
  readonly db: Database;
  /** The explicit transaction (BEGIN ... COMMIT), if one is open. */
  txn: Txn | undefined;
  /** PostgreSQL's "current transaction is aborted" state: set by an error inside an explicit transaction. */
  failed = false;
  /** Isolation of transactions this session starts (SET default_transaction_isolation / SET SESSION CHARACTERISTICS). */
  defaultIsolation: Isolation = 'read committed';
  /** Session settings (SET name = value), keyed by lower-case name. */
  readonly settings = new Map<string, string>();
  /** The path that answered the last SELECT run by query()/execute() ('row' or 'column'); undefined if none. */
  lastPath: 'row' | 'column' | undefined;
  /** @internal Set by db.queryArrow: SELECTs hand back Arrow batches (lastArrow) instead of rows. */
  arrowOutput = false;
  /** @internal The Arrow result of the last SELECT when arrowOutput is set. */
  lastArrow: { readonly schema: Schema; readonly batches: readonly RecordBatch[] } | undefined;
  private closed = false;
  /** Per statement: cancel() aborts it (wire-protocol CancelRequest, Ctrl-C in the REPL). Made on first use. */
  private cancelController: AbortController | undefined;
  private cancelled = false;

  constructor(db: Database) {
    this.db = db;
  }

  get inTransaction(): boolean {
    return this.txn !== undefined;
  }

  begin(options: { isolation?: Isolation } = {}): Txn {
    if (this.txn) throw new DuetError(SqlState.activeTransaction, 'there is already a transaction in progress');
    this.txn = this.db.store.begin({ isolation: options.isolation ?? this.defaultIsolation });
    this.failed = false;
    return this.txn;
  }

  async commit(): Promise<void> {
    const txn = this.txn;
    if (!txn) throw new DuetError(SqlState.noActiveTransaction, 'there is no transaction in progress');
    this.txn = undefined;
    if (this.failed) {
      this.failed = false;
      txn.rollback();
      throw new DuetError(SqlState.inFailedTransaction, 'the transaction was aborted by an earlier error and has been rolled back');
    }
    await txn.commit();
  }

  rollback(): void {
    const txn = this.txn;
    this.txn = undefined;
    this.failed = false;
    if (txn && txn.state === 'active') txn.rollback();
  }

  query(sql: string, params: readonly Value[] = []): Promise<QueryResult> {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the session is closed');
    this.newStatement();
    return executeSql(this, sql, params);
  }

  execute(statement: PreparedStatement, params: readonly Value[] = []): Promise<QueryResult> {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the session is closed');
    this.newStatement();
    return statement.run(this, params);
  }

  /** @internal query() of a point SELECT whose shape is cached, synchronously (runPointText); undefined: not one. */
  queryPoint(sql: string, params: readonly Value[]): QueryResult | undefined {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the session is closed');
    this.newStatement();
    return runPointText(this, sql, params);
  }

  /** @internal execute() of a point SELECT, synchronously (PreparedStatement.runPoint); undefined: not one. */
  executePoint(statement: PreparedStatement, params: readonly Value[]): QueryResult | undefined {
    if (this.closed) throw new DuetError(SqlState.objectInUse, 'the session is closed');
    this.newStatement();
    return statement.runPoint?.(this, params);
  }

  private newStatement(): void {
    this.cancelController = undefined;
    this.cancelled = false;
    this.lastPath = undefined;
    this.lastArrow = undefined;
  }

  /** @internal Back to a fresh session's state (Database reuses db.query sessions): transaction rolled back, settings cleared. */
  reset(): void {
    this.rollback();
    this.settings.clear();
    this.defaultIsolation = 'read committed';
    this.arrowOutput = false;
    this.newStatement();
  }

  /** Asks the running statement to stop: it fails with 57014 at its next checkCancelled(). */
  cancel(): void {
    this.cancelled = true;
    this.cancelController?.abort();
  }

  /** Aborted when the running statement is cancelled (for waits that can take an AbortSignal). */
  get cancelSignal(): AbortSignal {
    if (this.cancelController === undefined) {
      this.cancelController = new AbortController();
      if (this.cancelled) this.cancelController.abort();
    }
    return this.cancelController.signal;
  }

  /** The executor calls this between batches (and lock waits): throws 57014 once cancel() was called. */
  checkCancelled(): void {
    if (this.cancelled) {
      throw new DuetError(SqlState.queryCanceled, 'canceling statement due to user request');
    }
  }

  /** Ends the session; an open transaction is rolled back (like a dropped connection). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rollback();
    this.db.forgetSession(this);
  }
}

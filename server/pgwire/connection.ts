// One client connection: startup and authentication, then the simple and extended query protocols,
// COPY, cancellation and teardown. Reads messages one at a time (pull), so a slow statement or a
// slow client holds back reading rather than buffering without bound.

import type { Socket } from 'node:net';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import type { QueryResult, WireEngine, WireSession } from '../engine.ts';
import { ClientSettings, reportedDefaults, runBuiltin, type BuiltinOutcome } from './builtins.ts';
import { answerCatalogQuery } from './catalog.ts';
import { parseCopy } from './copy.ts';
import { runCopy, type CopyIo } from './copy-protocol.ts';
import { BodyReader, FrameReader, MessageWriter, protocolError, protocolViolation, type Frame } from './framing.ts';
import * as msg from './messages.ts';
import { ScramExchange, type ScramSecret } from './scram.ts';
import { ExtendedState, parameterOids, type Portal } from './extended.ts';
import { splitStatements } from './split.ts';
import { runStopgap } from './stopgaps.ts';

export interface ConnectionLimits {
  /** Largest message accepted; a bigger one closes the connection (08P01). */
  messageBytesMax: number;
  /** Input buffered beyond this pauses the socket until the statement in progress has consumed it. */
  inputBytesHighWater: number;
  /** Output is handed to the socket in pieces of about this size, waiting for 'drain' when it is full. */
  outputBytesBatch: number;
  /** A client that has not finished startup and authentication by then is disconnected. */
  startupTimeoutMs: number;
}

/** What a connection needs from the server it belongs to. */
export interface ConnectionHost {
  readonly engine: WireEngine;
  readonly limits: ConnectionLimits;
  /** undefined = trust (no password asked). */
  readonly secret: ScramSecret | undefined;
  readonly maxConnections: number;
  /** Counts this connection as a session; false when the limit is reached. */
  admit(conn: Connection): boolean;
  release(conn: Connection): void;
  /** Whether a client at this address may connect (loopback always; others only when a password is set). */
  trusts(remoteAddress: string | undefined): boolean;
  /** Routes a CancelRequest to the connection with that key (ignored when nothing matches). */
  cancel(processId: number, secretKey: number): void;
  /** Statement log for debugging (e.g. capturing what psql sends); undefined = off. */
  readonly logStatement: ((sql: string) => void) | undefined;
}

const sslRequestCode = 80877103;
const gssRequestCode = 80877104;
const cancelRequestCode = 80877102;
const protocol30 = 196608;

type Phase = 'startup' | 'auth' | 'ready' | 'closed';

export class Connection {
  readonly processId: number;
  readonly secretKey: number;
  private readonly reader: FrameReader;
  private readonly out = new MessageWriter();
  private phase: Phase = 'startup';
  private session: WireSession | undefined;
  private settings = new ClientSettings('duet', 100);
  private user = 'duet';
  private scram: ScramExchange | undefined;
  private readonly extended = new ExtendedState();
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipUntilSync = false;
  private admitted = false;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly startupTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    processId: number,
    secretKey: number,
  ) {
    this.processId = processId;
    this.secretKey = secretKey;
    this.reader = new FrameReader(host.limits.messageBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      if (this.reader.bufferedBytes >= host.limits.inputBytesHighWater) socket.pause();
      this.notify();
    });
    socket.on('end', () => this.markEnded());
    socket.on('close', () => this.markEnded());
    socket.on('error', () => this.markEnded());
    this.startupTimer = setTimeout(() => {
      if (this.phase === 'startup' || this.phase === 'auth') socket.destroy();
    }, host.limits.startupTimeoutMs);
    this.startupTimer.unref();
  }

  /** Runs the connection until the client leaves; never rejects. */
  async run(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.readFrame();
        if (!frame) break;
        const keepGoing = await this.dispatch(frame);
        if (!keepGoing) break;
      }
    } catch (error) {
      await this.fatal(error);
    } finally {
      clearTimeout(this.startupTimer);
      this.phase = 'closed';
      if (this.session) await this.session.close().catch(() => undefined);
      if (this.admitted) this.host.release(this);
      this.socket.end();
    }
  }

  /** CancelRequest for this connection: stop the running statement. */
  cancel(): void {
    this.session?.cancel();
  }

  private markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    // A client gone mid-statement: stop the statement so its transaction rolls back promptly.
    this.session?.cancel();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The next complete message, waiting for the client as needed; undefined once the client is gone. */
  private async readFrame(): Promise<Frame | undefined> {
    for (;;) {
      if (this.ended && this.socket.destroyed) return undefined;
      const frame = this.phase === 'startup' ? this.reader.nextStartup() : this.reader.nextMessage();
      if (frame) return frame;
      if (this.ended) return undefined;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async dispatch(frame: Frame): Promise<boolean> {
    if (this.phase === 'startup') return this.onStartup(frame.body);
    if (this.phase === 'auth') return this.onAuth(frame);
    return this.onMessage(frame);
  }

  // ------------------------------------------------------------------ startup and authentication

  private async onStartup(body: Buffer): Promise<boolean> {
    const r = new BodyReader(body);
    const code = r.int32();
    if (code === sslRequestCode || code === gssRequestCode) {
      await this.write(Buffer.from('N'));
      return true;
    }
    if (code === cancelRequestCode) {
      this.host.cancel(r.int32(), r.int32());
      return false;
    }
    if (code !== protocol30) {
      throw new DuetError(SqlState.featureNotSupported, `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0`);
    }
    const params = new Map<string, string>();
    while (r.remaining > 1) params.set(r.cstring(), r.cstring());
    this.user = params.get('user') ?? 'duet';
    this.settings = new ClientSettings(this.user, this.host.maxConnections);
    const appName = params.get('application_name');
    if (appName !== undefined) this.settings.values.set('application_name', appName);
    if (!this.host.admit(this)) {
      throw new DuetError(SqlState.tooManyConnections, 'sorry, too many clients already', {
        hint: `the server allows ${this.host.maxConnections} connections (--max-connections)`,
      });
    }
    this.admitted = true;
    if (!this.host.trusts(this.socket.remoteAddress)) {
      throw new DuetError('28000', `no password is configured, so only loopback clients may connect`, {
        hint: 'start the server with --password-file FILE or DUET_PASSWORD to let remote clients in',
      });
    }
    if (!this.host.secret) return this.completeStartup();
    this.phase = 'auth';
    this.scram = new ScramExchange(this.host.secret);
    msg.writeAuthentication(this.out, 10, Buffer.from('SCRAM-SHA-256\0\0'));
    await this.flush();
    return true;
  }

  private async onAuth(frame: Frame): Promise<boolean> {
    // Nothing but the SASL exchange is possible before authentication succeeds.
    if (frame.type !== 0x70 /* p */ || !this.scram) throw protocolError('expected a SASL response message');
    const r = new BodyReader(frame.body);
    const fail = (why: string): never => {
      throw new DuetError('28P01', `password authentication failed for user "${this.user}"`, { detail: why });
    };
    if (this.scramStarted) {
      const outcome = this.scram.finish(r.rest().toString('utf8'));
      if ('error' in outcome) fail(outcome.error);
      else {
        msg.writeAuthentication(this.out, 12, Buffer.from(outcome.reply));
        return this.completeStartup();
      }
    }
    const mechanism = r.cstring();
    if (mechanism !== 'SCRAM-SHA-256') fail(`unsupported SASL mechanism ${mechanism}`);
    const length = r.int32();
    const outcome = this.scram.start(r.bytes(length).toString('utf8'));
    if ('error' in outcome) fail(outcome.error);
    else msg.writeAuthentication(this.out, 11, Buffer.from(outcome.reply));
    this.scramStarted = true;
    await this.flush();
    return true;
  }

  private scramStarted = false;

  private async completeStartup(): Promise<boolean> {
    this.session = this.host.engine.openSession();
    this.phase = 'ready';
    clearTimeout(this.startupTimer);
    msg.writeAuthentication(this.out, 0);
    for (const name of reportedDefaults.keys()) msg.writeParameterStatus(this.out, name, this.settings.values.get(name) ?? '');
    msg.writeParameterStatus(this.out, 'session_authorization', this.user);
    msg.writeBackendKeyData(this.out, this.processId, this.secretKey);
    this.writeReady();
    await this.flush();
    return true;
  }

  // ------------------------------------------------------------------ ready phase

  private async onMessage(frame: Frame): Promise<boolean> {
    const type = String.fromCharCode(frame.type);
    if (type === 'X') return false;
    if (this.skipUntilSync && type !== 'S') return true;
    try {
      switch (type) {
        case 'Q': await this.simpleQuery(new BodyReader(frame.body).cstring()); break;
        case 'P': {
          const sql = this.extended.parse(new BodyReader(frame.body));
          this.host.logStatement?.(sql);
          this.out.empty('1');
          break;
        }
        case 'B':
          this.extended.bind(new BodyReader(frame.body));
          this.out.empty('2');
          break;
        case 'D': await this.describe(new BodyReader(frame.body)); break;
        case 'E': await this.execute(new BodyReader(frame.body)); break;
        case 'C': this.close(new BodyReader(frame.body)); break;
        case 'H': await this.flush(); break;
        case 'S':
          this.skipUntilSync = false;
          this.extended.sync();
          this.writeReady();
          await this.flush();
          break;
        // Stray COPY messages (e.g. after a COPY already failed) are ignored as PostgreSQL does.
        case 'd': case 'c': case 'f': break;
        default: throw protocolError(`invalid frontend message type ${frame.type}`);
      }
    } catch (error) {
      if (error instanceof DuetError && error.code === protocolViolation) throw error;
      this.reportError(error, 0);
      this.skipUntilSync = true;
    }
    if (this.out.byteLength >= this.host.limits.outputBytesBatch) await this.flush();
    return true;
  }

  private writeReady(): void {
    const s = this.session!;
    msg.writeReadyForQuery(this.out, s.failed ? 'E' : s.inTransaction ? 'T' : 'I');
  }

  private async simpleQuery(sql: string): Promise<void> {
    this.host.logStatement?.(sql);
    const statements = splitStatements(sql);
    if (statements.length === 0) this.out.empty('I');
    // Like PostgreSQL, several statements in one Query run in one implicit transaction, unless they
    // manage transactions themselves or one is already open.
    const session = this.session!;
    const implicit = statements.length > 1 && !session.inTransaction && !statements.some((s) => transactionControl.test(s.text));
    if (implicit) await session.query('BEGIN', []);
    let failed = false;
    for (const statement of statements) {
      try {
        const copy = parseCopy(statement.text);
        if (copy) await runCopy(this.copyIo, copy);
        else {
          const result = await this.runStatement(statement.text, []);
          await this.sendResult(result, [], true, 0);
        }
      } catch (error) {
        if (error instanceof DuetError && error.code === protocolViolation) throw error;
        this.reportError(error, statement.offset);
        failed = true;
        break;
      }
    }
    if (implicit && session.inTransaction) {
      if (failed || session.failed) await session.query('ROLLBACK', []);
      else {
        try {
          await session.query('COMMIT', []);
        } catch (error) {
          this.reportError(error, 0);
        }
      }
    }
    this.writeReady();
    await this.flush();
  }


  /** Runs one statement: connection-level builtins, then the catalog emulation, then the engine. */
  private async runStatement(sql: string, params: readonly Value[]): Promise<QueryResult> {
    const session = this.session!;
    const builtin = runBuiltin(sql, this.settings, this.processId);
    if (builtin) return this.applyBuiltin(builtin);
    const catalog = await answerCatalogQuery(sql, params, session, this.settings);
    if (catalog) return catalog;
    const stopgap = await runStopgap(sql, params, session);
    if (stopgap) {
      if (stopgap.notice) msg.writeReport(this.out, 'N', stopgap.notice);
      return stopgap.result;
    }
    return this.withStatementTimeout(() => session.query(sql, params));
  }

  /** SET statement_timeout: a statement running longer is cancelled (57014), as PostgreSQL does. */
  private async withStatementTimeout(run: () => Promise<QueryResult>): Promise<QueryResult> {
    const timeoutMs = durationMs(this.settings.values.get('statement_timeout') ?? '0');
    if (timeoutMs <= 0) return run();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.session!.cancel();
    }, timeoutMs);
    try {
      return await run();
    } catch (error) {
      if (timedOut && error instanceof DuetError && error.code === SqlState.queryCanceled) {
        throw new DuetError(SqlState.queryCanceled, 'canceling statement due to statement timeout');
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private applyBuiltin(outcome: BuiltinOutcome): QueryResult {
    if (this.session!.failed) {
      throw new DuetError(SqlState.inFailedTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
    }
    if (outcome.discardAll) {
      if (this.session!.inTransaction) throw new DuetError(SqlState.activeTransaction, 'DISCARD ALL cannot run inside a transaction block');
      this.extended.clear();
      this.settings.reset();
    }
    for (const notice of outcome.notices ?? []) msg.writeReport(this.out, 'N', notice);
    for (const [name, value] of outcome.changed ?? []) msg.writeParameterStatus(this.out, name, value);
    return outcome.result;
  }

  /** Sends rows (up to rowsMax, 0 = all, from `from`) and the completion; returns whether rows remain. */
  private async sendRows(result: QueryResult, formats: readonly number[], from: number, rowsMax: number): Promise<number> {
    const end = rowsMax > 0 ? Math.min(result.rows.length, from + rowsMax) : result.rows.length;
    const columns = result.columns;
    const batchBytes = this.host.limits.outputBytesBatch;
    for (let i = from; i < end; i++) {
      msg.writeDataRow(this.out, result.rows[i]!, columns, formats);
      // Respect the socket: never build more than a batch ahead of what the client has taken.
      if (this.out.byteLength >= batchBytes) await this.flush();
    }
    return end;
  }

  private async sendResult(result: QueryResult, formats: readonly number[], describe: boolean, rowsMax: number): Promise<void> {
    if (describe && result.columns.length > 0) msg.writeRowDescription(this.out, result.columns, formats);
    await this.sendRows(result, formats, 0, rowsMax);
    msg.writeCommandComplete(this.out, result.command);
  }

  private reportError(error: unknown, offset: number): void {
    if (!(error instanceof DuetError)) {
      console.error('duet serve: internal error while running a statement:', error);
    }
    const e = error instanceof DuetError ? error : new DuetError(SqlState.internalError, `internal error: ${(error as Error)?.message ?? String(error)}`);
    // Errors the protocol raises itself (bad parameters, COPY syntax) also abort an explicit transaction.
    if (this.session?.inTransaction && !this.session.failed) this.session.markFailed();
    msg.writeReport(this.out, 'E', {
      severity: 'ERROR',
      code: e.code,
      message: e.message,
      position: e.position === undefined ? undefined : e.position + offset,
      detail: e.detail,
      hint: e.hint,
    });
  }

  // ------------------------------------------------------------------ extended query protocol

  private async describe(r: BodyReader): Promise<void> {
    const kind = String.fromCharCode(r.bytes(1)[0]!);
    const name = r.cstring();
    if (kind === 'S') {
      const statement = this.extended.statement(name);
      const oids = parameterOids(statement);
      msg.writeParameterDescription(this.out, oids);
      const columns = await this.queryShape(statement.sql, oids.length);
      if (columns && columns.length > 0) msg.writeRowDescription(this.out, columns, []);
      else this.out.empty('n');
      return;
    }
    const portal = this.extended.portal(name);
    // The row shape comes from running the statement, so Describe(portal) runs it; Execute then sends rows.
    const result = await this.portalResult(portal);
    if (result.columns.length > 0) msg.writeRowDescription(this.out, result.columns, portal.resultFormats);
    else this.out.empty('n');
  }

  /**
   * The columns a query would return, learned by running it for zero rows with NULL parameters (the
   * engine has no describe-only call). Only plain queries outside a transaction: an error there must not
   * abort the client's transaction, and statements with effects are never run early. undefined = unknown.
   */
  private async queryShape(sql: string, paramCount: number): Promise<QueryResult['columns'] | undefined> {
    if (this.session!.inTransaction || !readOnlyQuery.test(sql) || dataChange.test(sql)) return undefined;
    try {
      const params = Array.from({ length: paramCount }, () => null);
      // The newline ends a trailing `--` comment in the client's SQL.
      return (await this.runStatement(`SELECT * FROM (${sql}\n) AS duet_describe LIMIT 0`, params)).columns;
    } catch {
      return undefined;
    }
  }

  private async portalResult(portal: Portal): Promise<QueryResult> {
    if (!portal.result) {
      if (parseCopy(portal.statement.sql)) {
        throw new DuetError(SqlState.featureNotSupported, 'COPY to or from the client works only in the simple query protocol');
      }
      portal.result = portal.statement.sql === '' ? emptyResult : await this.runStatement(portal.statement.sql, portal.params);
    }
    return portal.result;
  }

  private async execute(r: BodyReader): Promise<void> {
    const name = r.cstring();
    const rowsMax = r.int32();
    const portal = this.extended.portal(name);
    const result = await this.portalResult(portal);
    if (result === emptyResult) {
      this.out.empty('I');
      return;
    }
    const end = await this.sendRows(result, portal.resultFormats, portal.sentRows, rowsMax);
    const sent = end - portal.sentRows;
    portal.sentRows = end;
    if (end < result.rows.length) this.out.empty('s');
    else msg.writeCommandComplete(this.out, rowsMax > 0 && result.command.startsWith('SELECT') ? `SELECT ${sent}` : result.command);
  }

  private close(r: BodyReader): void {
    const kind = String.fromCharCode(r.bytes(1)[0]!);
    this.extended.close(kind, r.cstring());
    this.out.empty('3');
  }

  /** What COPY needs from this connection (copy-protocol.ts). */
  private get copyIo(): CopyIo {
    return {
      out: this.out,
      outputBytesBatch: this.host.limits.outputBytesBatch,
      session: () => this.session!,
      readFrame: () => this.readFrame(),
      flush: () => this.flush(),
      runStatement: (sql) => this.runStatement(sql, []),
    };
  }

  // ------------------------------------------------------------------ output

  private async fatal(error: unknown): Promise<void> {
    if (this.ended) return;
    const e = error instanceof DuetError ? error : new DuetError(SqlState.internalError, String((error as Error)?.message ?? error));
    if (!(error instanceof DuetError)) console.error('duet serve: connection failed:', error);
    this.out.take(); // half-built output is dropped: the error is the last thing the client gets
    msg.writeReport(this.out, 'E', { severity: 'FATAL', code: e.code, message: e.message, detail: e.detail, hint: e.hint });
    await this.flush().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.out.byteLength === 0) return;
    await this.write(this.out.take());
  }

  /** Writes and, when the socket's buffer is full, waits until it drains (or the client is gone). */
  private async write(data: Buffer): Promise<void> {
    if (this.ended || this.socket.destroyed) throw new DuetError('08006', 'the client disconnected');
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    if (this.socket.destroyed) throw new DuetError('08006', 'the client disconnected');
  }
}

/** A PostgreSQL duration setting ('250', '250ms', '5s', '1min', '1h'; a bare number is milliseconds). */
function durationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$/i.exec(text);
  if (!m) return 0;
  const unit = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'] ?? 1;
  return Number(m[1]) * unit;
}

/** Describe(statement) runs only queries: SELECT/WITH/VALUES without a data change anywhere in them. */
const readOnlyQuery = /^\s*(select|with|values)\b/i;
const dataChange = /\b(insert|update|delete|into|for\s+update|for\s+share)\b/i;

/** Statements that begin or end transactions themselves (no implicit transaction around them). */
const transactionControl = /^\s*(begin|start|commit|end|rollback|abort|savepoint|release|prepare\s+transaction|vacuum)\b/i;

const emptyResult: QueryResult = { columns: [], rows: [], command: '', rowCount: 0 };

// COPY's sub-protocol on one connection: CopyInResponse, then the client's CopyData / CopyDone /
// CopyFail streamed into the engine in batches (FROM STDIN); CopyOutResponse and CopyData lines for a
// table or query (TO STDOUT), flushed in bounded pieces.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { QueryResult, WireSession } from '../engine.ts';
import { CopyParser, formatCopyLine, type CopyStatement } from './copy.ts';
import { BodyReader, protocolError, type Frame, type MessageWriter } from './framing.ts';
import * as msg from './messages.ts';
import { formatText } from './values.ts';

/** What COPY needs from the connection it runs on. */
export interface CopyIo {
  readonly out: MessageWriter;
  /** Flush output once this much is buffered. */
  readonly outputBytesBatch: number;
  session(): WireSession;
  /** The client's next message (undefined once it is gone). */
  readFrame(): Promise<Frame | undefined>;
  flush(): Promise<void>;
  runStatement(sql: string): Promise<QueryResult>;
}

export async function runCopy(io: CopyIo, statement: CopyStatement): Promise<void> {
  if (statement.direction === 'to') return copyOut(io, statement);
  if (io.session().failed) {
    throw new DuetError(SqlState.inFailedTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
  }
  const columnCount = statement.columns?.length ?? io.session().listTables().find((t) => t.name === statement.table)?.columns.length ?? 0;
  msg.writeCopyResponse(io.out, 'G', columnCount);
  await io.flush();
  const state = { finished: false };
  try {
    const count = await io.session().copyFrom(statement.table!, statement.columns, copyBatches(io, statement, state));
    if (!state.finished) throw new DuetError(SqlState.internalError, 'COPY ended before the client finished sending');
    msg.writeCommandComplete(io.out, `COPY ${count}`);
  } catch (error) {
    // Discard the rest of the client's data: the error is reported once it has finished sending.
    while (!state.finished) {
      const frame = await io.readFrame();
      if (!frame) throw error;
      if (frame.type === 0x63 /* c */ || frame.type === 0x66 /* f */) state.finished = true;
    }
    throw error;
  }
}

async function* copyBatches(io: CopyIo, statement: CopyStatement, state: { finished: boolean }): AsyncGenerator<(string | null)[][]> {
  const parser = new CopyParser(statement.format);
  for (;;) {
    const frame = await io.readFrame();
    if (!frame) throw new DuetError('08006', 'the client disconnected during COPY');
    const type = String.fromCharCode(frame.type);
    if (type === 'd') {
      const rows = parser.push(frame.body);
      if (rows.length > 0) yield rows;
    } else if (type === 'c') {
      state.finished = true;
      const rows = parser.end();
      if (rows.length > 0) yield rows;
      return;
    } else if (type === 'f') {
      state.finished = true;
      throw new DuetError(SqlState.queryCanceled, `COPY from stdin failed: ${new BodyReader(frame.body).cstring()}`);
    } else if (type !== 'H' && type !== 'S') {
      throw protocolError(`unexpected message type ${type} during COPY from stdin`);
    }
  }
}

async function copyOut(io: CopyIo, statement: CopyStatement): Promise<void> {
  const sql = statement.query ?? `SELECT ${statement.columns ? statement.columns.map(quoteIdent).join(', ') : '*'} FROM ${quoteIdent(statement.table!)}`;
  let result: QueryResult;
  try {
    result = await io.runStatement(sql);
  } catch (error) {
    throw error instanceof DuetError && error.position !== undefined ? repositioned(error, statement.queryOffset) : error;
  }
  msg.writeCopyResponse(io.out, 'H', result.columns.length);
  const format = statement.format;
  if (format.header) copyData(io.out, formatCopyLine(result.columns.map((c) => c.name), format));
  for (const row of result.rows) {
    copyData(io.out, formatCopyLine(result.columns.map((c, i) => formatText(row[i] ?? null, c.type)), format));
    if (io.out.byteLength >= io.outputBytesBatch) await io.flush();
  }
  io.out.empty('c');
  msg.writeCommandComplete(io.out, `COPY ${result.rows.length}`);
}

function copyData(out: MessageWriter, line: string): void {
  out.begin('d');
  out.bytes(Buffer.from(line, 'utf8'));
  out.end();
}

/** The error placed inside the COPY statement: shifted onto COPY (query), dropped for the generated SELECT. */
function repositioned(error: DuetError, queryOffset: number | undefined): DuetError {
  const options = { hint: error.hint, detail: error.detail, cause: error };
  return new DuetError(error.code, error.message, queryOffset === undefined ? options : { ...options, position: error.position! + queryOffset });
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

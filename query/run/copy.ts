// COPY table [(columns)] FROM 'file': bulk load of csv, text (tab) and TPC-H .tbl ('|'-separated with
// a trailing '|') files, streamed line by line into the statement's one transaction (at most COPY_MAX_ROWS rows).

import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Row, SqlType, Value } from '../../oltp/types.ts';
import { castConstant } from '../bind/literals.ts';
import { fastCast } from './copy-cast.ts';
import type { Statement } from '../parse/parse.ts';
import type { RowsResult } from './dml.ts';
import { evalDefault } from './defaults.ts';

const TEXT: SqlType = { id: 'varchar' };

/** Rows between checks of the cancel signal. */
const CANCEL_CHECK_ROWS = 1024;

/**
 * Most rows one COPY loads. A COPY is one transaction whose write set stays in memory until commit (measured:
 * ~2.5 KB resident per TPC-H lineitem row), and the default V8 heap is ~4 GiB: a few million rows would end the
 * process with an out-of-memory crash. Past this limit the COPY fails with 54000 and loads nothing; split the file.
 */
export const COPY_MAX_ROWS = 1_000_000;

export async function runCopy(txn: Txn, stmt: Extract<Statement, { kind: 'copy' }>, signal?: AbortSignal, maxRows = COPY_MAX_ROWS): Promise<RowsResult> {
  const table = txn.getTable(stmt.table);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${stmt.table}" does not exist`);
  const targets = stmt.columns
    ? stmt.columns.map((n) => {
      const i = table.columns.findIndex((c) => c.name === n);
      if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${n}" of relation "${table.name}" does not exist`);
      return i;
    })
    : table.columns.map((_c, i) => i);
  try {
    await access(stmt.file);
  } catch {
    throw new DuetError(SqlState.ioError, `could not open file "${stmt.file}" for reading: no such file or it is not readable`);
  }
  const { format } = stmt.options;
  const delimiter = stmt.options.delimiter ?? (format === 'csv' ? ',' : format === 'tbl' ? '|' : '\t');
  const nullString = stmt.options.nullString ?? (format === 'csv' ? '' : format === 'text' ? '\\N' : null);
  // per field: the type its text is cast to (undefined: text columns take the text as it is)
  const castTo = targets.map((t) => {
    const type = table.columns[t]!.type;
    return type.id === 'varchar' ? undefined : type;
  });
  const defaults: Value[] = table.columns.map((c) => (c.defaultSql === undefined ? null : evalDefault(c.defaultSql, c.type)));
  const lines = createInterface({ input: createReadStream(stmt.file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  let count = 0;
  let pending = '';
  for await (const raw of lines) {
    lineNo++;
    if (lineNo === 1 && stmt.options.header) continue;
    let line = pending ? `${pending}\n${raw}` : raw;
    if (format === 'csv' && unbalancedQuotes(line)) { pending = line; continue; }
    pending = '';
    if (line === '' || (format === 'text' && line === '\\.')) continue;
    if (format === 'tbl' && line.endsWith(delimiter)) line = line.slice(0, -delimiter.length);
    let texts: string[];
    let quoted: boolean[] | undefined;
    if (format === 'csv') {
      const fields = splitCsv(line, delimiter);
      texts = fields.map((f) => f.text);
      quoted = fields.map((f) => f.quoted);
    } else {
      texts = line.split(delimiter);
    }
    if (texts.length !== targets.length) {
      throw new DuetError(SqlState.invalidTextRepresentation, `COPY ${table.name}, line ${lineNo}: expected ${targets.length} columns, found ${texts.length}`);
    }
    const row: Row = defaults.slice();
    let k = 0;
    try {
      for (; k < texts.length; k++) {
        const text = texts[k]!;
        const target = targets[k]!;
        if (nullString !== null && text === nullString && quoted?.[k] !== true) { row[target] = null; continue; }
        const type = castTo[k];
        row[target] = type === undefined ? text : (fastCast(text, type) ?? castConstant(text, TEXT, type));
      }
    } catch (e) {
      if (e instanceof DuetError) throw new DuetError(e.code, `COPY ${table.name}, line ${lineNo}, column ${table.columns[targets[k]!]!.name}: ${e.message}`);
      throw e;
    }
    if (count === maxRows) {
      lines.close();
      throw new DuetError(SqlState.programLimitExceeded, `COPY ${table.name}, line ${lineNo}: more than ${maxRows} rows in one COPY`, {
        hint: `One COPY is one transaction held in memory until it commits; split the file into pieces of at most ${maxRows} rows.`,
      });
    }
    await txn.insert(table, row);
    count++;
    if (count % CANCEL_CHECK_ROWS === 0 && signal?.aborted) {
      lines.close();
      throw new DuetError(SqlState.queryCanceled, 'canceling statement due to user request');
    }
  }
  return { command: `COPY ${count}`, rowCount: count, columns: [], rows: [] };
}

function unbalancedQuotes(line: string): boolean {
  let n = 0;
  for (let i = 0; i < line.length; i++) if (line[i] === '"') n++;
  return n % 2 === 1;
}

function splitCsv(line: string, delimiter: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) { text += line.slice(i); i = line.length; break; }
        text += line.slice(i, q);
        if (line[q + 1] === '"') { text += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      out.push({ text, quoted: true });
      const d = line.indexOf(delimiter, i);
      if (d < 0) return out;
      i = d + delimiter.length;
    } else {
      const d = line.indexOf(delimiter, i);
      if (d < 0) { out.push({ text: line.slice(i), quoted: false }); return out; }
      out.push({ text: line.slice(i, d), quoted: false });
      i = d + delimiter.length;
    }
  }
}

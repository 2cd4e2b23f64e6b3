// COPY ... FROM STDIN / TO STDOUT: recognising the statement, and the text and CSV row formats
// (parsing a stream of CopyData chunks into rows, formatting result rows into lines).

import { StringDecoder } from 'node:string_decoder';
import { DuetError, SqlState } from '../../oltp/errors.ts';

export interface CopyFormat {
  csv: boolean;
  header: boolean;
  delimiter: string;
  nullText: string;
  quote: string;
  escape: string;
}

export interface CopyStatement {
  direction: 'from' | 'to';
  /** Table name (COPY table ...) or undefined for COPY (query) TO. */
  table?: string;
  columns?: string[];
  query?: string;
  /** Where `query` starts inside the COPY statement (0-based), to place error positions. */
  queryOffset?: number;
  format: CopyFormat;
}

const ident = String.raw`(?:"(?:[^"]|"")+"|[\w.]+)`;
const copyHead = new RegExp(String.raw`^copy\s+(?:(${ident})\s*(?:\(([^)]*)\))?|\(([\s\S]+)\))\s+(from|to)\s+(stdin|stdout)\b([\s\S]*)$`, 'i');

export function unquoteIdent(name: string): string {
  const n = name.trim();
  if (n.startsWith('"') && n.endsWith('"')) return n.slice(1, -1).replaceAll('""', '"');
  return n.toLowerCase();
}

/** Recognises COPY to/from the client; COPY with a file name is left to the SQL engine. */
export function parseCopy(sql: string): CopyStatement | undefined {
  const text = sql.replace(/;\s*$/, '').trim();
  const m = copyHead.exec(text);
  if (!m) return undefined;
  const direction = m[4]!.toLowerCase() as 'from' | 'to';
  const stdio = m[5]!.toLowerCase();
  if ((direction === 'from') !== (stdio === 'stdin')) {
    throw new DuetError(SqlState.syntaxError, `COPY ${direction.toUpperCase()} goes with ${direction === 'from' ? 'STDIN' : 'STDOUT'}`);
  }
  const statement: CopyStatement = { direction, format: parseOptions(m[6] ?? '') };
  if (m[3] !== undefined) {
    if (direction === 'from') throw new DuetError(SqlState.syntaxError, 'COPY (query) can only be used with TO');
    statement.query = m[3];
    statement.queryOffset = text.indexOf(m[3], 4);
  } else {
    statement.table = unquoteIdent(m[1]!);
    if (m[2] !== undefined) statement.columns = m[2].split(',').map(unquoteIdent);
  }
  return statement;
}

const valueWords = new Set(['csv', 'text', 'binary', 'true', 'false', 'on', 'off', '0', '1', 'match']);

function parseOptions(text: string): CopyFormat {
  const format: CopyFormat = { csv: false, header: false, delimiter: '', nullText: '\\N', quote: '"', escape: '"' };
  let t = text.trim().replace(/^with\b/i, '').trim();
  if (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1);
  // Old style (`CSV HEADER DELIMITER ','`) and new style (`(FORMAT csv, HEADER true)`) alike: a name,
  // then a value only when one follows (a quoted string or a value word).
  const tokens = [...t.matchAll(/'(?:[^']|'')*'|\w+/g)].map((m) => m[0]);
  const options: [string, string | undefined][] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i]!.toLowerCase();
    if (tokens[i + 1]?.toLowerCase() === 'as') i++;
    const next = tokens[i + 1];
    if (next !== undefined && (next.startsWith("'") || valueWords.has(next.toLowerCase()))) {
      options.push([name, next.startsWith("'") ? next.slice(1, -1).replaceAll("''", "'") : next.toLowerCase()]);
      i++;
    } else options.push([name, undefined]);
  }
  for (const [name, value] of options) {
    if (name === 'binary' || (name === 'format' && value === 'binary')) throw unsupported('binary COPY');
    else if (name === 'format') format.csv = value === 'csv';
    else if (name === 'csv') format.csv = true;
    else if (name === 'header') format.header = value === undefined || ['true', 'on', '1', 'match'].includes(value);
    else if (name === 'delimiter' && value !== undefined) format.delimiter = value;
    else if (name === 'null' && value !== undefined) format.nullText = value;
    else if (name === 'quote' && value !== undefined) format.quote = value;
    else if (name === 'escape' && value !== undefined) format.escape = value;
    else if (name === 'freeze' || name === 'encoding') continue; // no effect in duetdb
    else throw unsupported(`COPY option "${name}"`);
  }
  if (format.delimiter === '') format.delimiter = format.csv ? ',' : '\t';
  if (format.csv && format.nullText === '\\N') format.nullText = '';
  if (format.csv && format.escape === '"') format.escape = format.quote;
  if (format.delimiter.length !== 1) throw new DuetError(SqlState.featureNotSupported, 'COPY delimiter must be a single one-byte character');
  return format;
}

function unsupported(what: string): DuetError {
  return new DuetError(SqlState.featureNotSupported, `${what} is not supported`);
}

type Fields = (string | null)[];

/** Incremental parser: feed CopyData bodies, get back complete rows. */
export class CopyParser {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private headerSkipped = false;
  private lineNumber = 0;

  constructor(private readonly format: CopyFormat) {}

  push(chunk: Buffer): Fields[] {
    this.pending += this.decoder.write(chunk);
    return this.drain(false);
  }

  end(): Fields[] {
    this.pending += this.decoder.end();
    return this.drain(true);
  }

  private drain(final: boolean): Fields[] {
    const rows: Fields[] = [];
    let start = 0;
    for (;;) {
      const end = this.format.csv ? csvRecordEnd(this.pending, start, this.format.quote) : this.pending.indexOf('\n', start);
      let line: string;
      if (end < 0) {
        if (!final || start >= this.pending.length) break;
        line = this.pending.slice(start);
        start = this.pending.length;
      } else {
        line = this.pending.slice(start, end);
        start = end + 1;
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.lineNumber++;
      if (line === '\\.') continue; // the old end-of-data marker
      if (this.format.header && !this.headerSkipped) {
        this.headerSkipped = true;
        continue;
      }
      rows.push(this.format.csv ? parseCsvLine(line, this.format) : parseTextLine(line, this.format));
    }
    this.pending = this.pending.slice(start);
    return rows;
  }

  get line(): number {
    return this.lineNumber;
  }
}

/** Index of the newline ending the CSV record starting at `from` (newlines inside quotes belong to the field). */
function csvRecordEnd(text: string, from: number, quote: string): number {
  let inQuotes = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === quote) inQuotes = !inQuotes;
    else if (c === '\n' && !inQuotes) return i;
  }
  return -1;
}

function parseTextLine(line: string, format: CopyFormat): Fields {
  return line.split(format.delimiter).map((raw) => (raw === format.nullText ? null : unescapeText(raw)));
}

const textEscapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeText(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return textEscapes[e] ?? e;
  });
}

function parseCsvLine(line: string, format: CopyFormat): Fields {
  const fields: Fields = [];
  let i = 0;
  for (;;) {
    let value = '';
    let quoted = false;
    while (i < line.length && line[i] !== format.delimiter) {
      if (line[i] === format.quote) {
        quoted = true;
        i++;
        while (i < line.length) {
          if (line[i] === format.escape && line[i + 1] === format.quote) {
            value += format.quote;
            i += 2;
          } else if (line[i] === format.quote) {
            i++;
            break;
          } else value += line[i++];
        }
      } else value += line[i++];
    }
    fields.push(!quoted && value === format.nullText ? null : value);
    if (i >= line.length) return fields;
    i++; // the delimiter
  }
}

/** One output line (with its newline) for COPY TO. */
export function formatCopyLine(fields: readonly (string | null)[], format: CopyFormat): string {
  const parts = fields.map((f) => {
    if (f === null) return format.nullText;
    if (!format.csv) return f.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
    const needsQuotes = f === '' || f.includes(format.delimiter) || f.includes(format.quote) || /[\r\n]/.test(f);
    return needsQuotes ? format.quote + f.replaceAll(format.quote, format.escape + format.quote) + format.quote : f;
  });
  return parts.join(format.delimiter) + '\n';
}

// Parses a sqllogictest script (SQLite's format) into records; knows nothing about any engine.
// Format: records separated by blank lines; `#` comment lines; `skipif X` / `onlyif X` guard the next record.

export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

export interface Condition {
  readonly mode: 'skipif' | 'onlyif';
  readonly dbms: string;
}

export type Expected =
  | { readonly kind: 'values'; readonly values: readonly string[] }
  | { readonly kind: 'hash'; readonly count: number; readonly md5: string };

interface RecordBase {
  /** 1-based line of the `statement` / `query` / `halt` / `hash-threshold` line (not of its guards). */
  readonly line: number;
  readonly conditions: readonly Condition[];
}

export interface StatementRecord extends RecordBase {
  readonly kind: 'statement';
  readonly expectError: boolean;
  readonly sql: string;
}

export interface QueryRecord extends RecordBase {
  readonly kind: 'query';
  /** One letter per result column: I integer, R real (3 decimals), T text. */
  readonly types: string;
  readonly sortMode: SortMode;
  /** Queries sharing a label must produce the same result. */
  readonly label: string | undefined;
  readonly sql: string;
  readonly expected: Expected;
}

export interface HaltRecord extends RecordBase {
  readonly kind: 'halt';
}

export interface HashThresholdRecord extends RecordBase {
  readonly kind: 'hash-threshold';
  readonly threshold: number;
}

export type SltRecord = StatementRecord | QueryRecord | HaltRecord | HashThresholdRecord;

export class SltParseError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'SltParseError';
  }
}

const HASH_LINE = /^(\d+) values hashing to ([0-9a-f]{32})$/;
const SORT_MODES: readonly string[] = ['nosort', 'rowsort', 'valuesort'];

/** Whether a record runs on `dbms` (we run as 'postgresql'). */
export function appliesTo(conditions: readonly Condition[], dbms: string): boolean {
  for (const c of conditions) {
    if (c.mode === 'skipif' && c.dbms === dbms) return false;
    if (c.mode === 'onlyif' && c.dbms !== dbms) return false;
  }
  return true;
}

/** Parses the text of one script; `file` only names it in error messages. */
export function parseSlt(text: string, file: string): SltRecord[] {
  // Some scripts have CRLF (or mixed) endings. Other trailing whitespace is kept: it may belong to a value.
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const records: SltRecord[] = [];
  let i = 0;
  let conditions: Condition[] = [];
  while (i < lines.length) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) {
      i++;
      continue;
    }
    const words = raw.trim().split(/\s+/);
    const head = words[0];
    if (head === 'skipif' || head === 'onlyif') {
      if (words[1] === undefined) throw new SltParseError(file, lineNo, `${head} needs a database name`);
      conditions.push({ mode: head, dbms: words[1] });
      i++;
      continue;
    }
    if (head === 'halt') {
      records.push({ kind: 'halt', line: lineNo, conditions });
      i++;
    } else if (head === 'hash-threshold') {
      const threshold = Number(words[1]);
      if (!Number.isInteger(threshold)) throw new SltParseError(file, lineNo, 'hash-threshold needs an integer');
      records.push({ kind: 'hash-threshold', line: lineNo, conditions, threshold });
      i++;
    } else if (head === 'statement') {
      if (words[1] !== 'ok' && words[1] !== 'error') throw new SltParseError(file, lineNo, `expected "statement ok" or "statement error", got "${raw}"`);
      const body = readBlock(lines, i + 1);
      // Some dialects put an expected error message after ----; we check only that an error happens.
      const sep = body.lines.indexOf('----');
      const sqlLines = sep < 0 ? body.lines : body.lines.slice(0, sep);
      records.push({ kind: 'statement', line: lineNo, conditions, expectError: words[1] === 'error', sql: requireSql(sqlLines, file, lineNo) });
      i = body.end;
    } else if (head === 'query') {
      records.push(parseQuery(lines, i, words, conditions, file));
      i = readBlock(lines, i + 1).end;
    } else {
      throw new SltParseError(file, lineNo, `unknown record "${raw}"`);
    }
    conditions = [];
  }
  return records;
}

function parseQuery(lines: string[], start: number, words: string[], conditions: Condition[], file: string): QueryRecord {
  const lineNo = start + 1;
  const types = words[1] ?? '';
  if (!/^[ITR]+$/.test(types)) throw new SltParseError(file, lineNo, `query types must be letters I, T, R; got "${types}"`);
  const sortMode = words[2] ?? 'nosort';
  if (!SORT_MODES.includes(sortMode)) throw new SltParseError(file, lineNo, `unknown sort mode "${sortMode}"`);
  const body = readBlock(lines, start + 1);
  const sep = body.lines.indexOf('----');
  const sqlLines = sep < 0 ? body.lines : body.lines.slice(0, sep);
  const resultLines = sep < 0 ? [] : body.lines.slice(sep + 1);
  const only = resultLines.length === 1 ? HASH_LINE.exec(resultLines[0] ?? '') : null;
  const expected: Expected = only
    ? { kind: 'hash', count: Number(only[1]), md5: only[2] ?? '' }
    : { kind: 'values', values: resultLines.flatMap((l) => splitValues(l, types.length)) };
  return { kind: 'query', line: lineNo, conditions, types, sortMode: sortMode as SortMode, label: words[3], sql: requireSql(sqlLines, file, lineNo), expected };
}

/** SQLite's scripts hold one value per line; other generators put a whole row on a line, tab-separated. */
function splitValues(line: string, columns: number): string[] {
  if (columns > 1 && line.includes('\t')) return line.split('\t');
  return [line];
}

function readBlock(lines: string[], from: number): { lines: string[]; end: number } {
  let end = from;
  while (end < lines.length && (lines[end] ?? '').trim() !== '') end++;
  return { lines: lines.slice(from, end), end };
}

function requireSql(sqlLines: string[], file: string, lineNo: number): string {
  const sql = sqlLines.join('\n');
  if (sql.trim() === '') throw new SltParseError(file, lineNo, 'record has no SQL');
  return sql;
}

// Turns one SQL statement's text into a Statement: session commands (BEGIN, COMMIT, SET, SHOW, COPY,
// EXPLAIN prefixes) are recognised here; everything else goes through node-sql-parser (PostgreSQL
// mode) after the prepass. Syntax errors become 42601 with line and column.

import NSP from 'node-sql-parser';
import type { Isolation } from '../../oltp/api.ts';
import type { SqlType } from '../../oltp/types.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import { prepass } from './prepass.ts';
import { stripComments, type Piece } from './split.ts';

// node-sql-parser's AST is untyped JSON; only the binder (bind/) reads it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ast = any;

export type Statement =
  | { readonly kind: 'ast'; readonly ast: Ast; readonly text: string; readonly offset: number; readonly paramTypes?: ReadonlyMap<number, SqlType>; readonly lockRows?: boolean }
  | { readonly kind: 'begin'; readonly isolation: Isolation | null }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'set'; readonly name: string; readonly value: string }
  | { readonly kind: 'set_isolation'; readonly isolation: Isolation; readonly session: boolean }
  | { readonly kind: 'show'; readonly name: string }
  | { readonly kind: 'copy'; readonly table: string; readonly columns: string[] | null; readonly file: string; readonly options: CopyOptions }
  | { readonly kind: 'explain'; readonly analyze: boolean; readonly inner: Statement };

export interface CopyOptions {
  format: 'csv' | 'tbl' | 'text';
  delimiter: string | null;
  header: boolean;
  nullString: string | null;
}

const parser = new NSP.Parser();
const ISO = '(read\\s+committed|read\\s+uncommitted|repeatable\\s+read|serializable)';

export function parseStatement(piece: Piece): Statement {
  const clean = stripComments(piece.text).trim();
  const lead = piece.text.length - piece.text.trimStart().length;
  return parseClean(clean, piece.offset + lead, piece.text);
}

function parseClean(text: string, offset: number, original: string): Statement {
  let m: RegExpMatchArray | null;
  if ((m = /^explain\s+(analy[sz]e\s+)?(verbose\s+)?([\s\S]*)$/i.exec(text))) {
    const innerText = m[3]!;
    const skipped = text.length - innerText.length;
    return { kind: 'explain', analyze: m[1] !== undefined, inner: parseClean(innerText, offset + skipped, original) };
  }
  if ((m = new RegExp(`^(?:begin|start\\s+transaction)(?:\\s+(?:work|transaction))?(?:\\s+isolation\\s+level\\s+${ISO})?(?:\\s+read\\s+(?:write|only))?$`, 'i').exec(text))) {
    return { kind: 'begin', isolation: m[1] ? isolationOf(m[1]) : null };
  }
  if (/^(commit|end)(\s+(work|transaction))?$/i.test(text)) return { kind: 'commit' };
  if (/^(rollback|abort)(\s+(work|transaction))?$/i.test(text)) return { kind: 'rollback' };
  if ((m = new RegExp(`^set\\s+(session\\s+characteristics\\s+as\\s+)?transaction\\s+isolation\\s+level\\s+${ISO}$`, 'i').exec(text))) {
    return { kind: 'set_isolation', isolation: isolationOf(m[2]!), session: m[1] !== undefined };
  }
  if ((m = /^set\s+(?:session\s+|local\s+)?([a-z_][a-z0-9_.]*)\s*(?:=|\s+to\s+)\s*(.+)$/i.exec(text))) {
    return { kind: 'set', name: m[1]!.toLowerCase(), value: unquote(m[2]!.trim()) };
  }
  if ((m = /^show\s+([a-z_][a-z0-9_.]*|all)$/i.exec(text))) return { kind: 'show', name: m[1]!.toLowerCase() };
  if (/^copy\s/i.test(text)) return parseCopy(text, offset);
  // SELECT ... FOR UPDATE / FOR SHARE: node-sql-parser cannot read the clause; strip it and lock rows
  const locking = /^select\b/i.test(text) ? /\s+for\s+(?:update|share|no\s+key\s+update|key\s+share)(?:\s+of\s+[\w\s,.]+?)?(?:\s+nowait|\s+skip\s+locked)?\s*$/i.exec(text) : null;
  const rewritten = prepass(locking ? text.slice(0, locking.index) : text);
  try {
    const ast = parser.astify(rewritten, { database: 'PostgreSQL', trimQuery: false, parseOptions: { includeLocations: true } } as never);
    const one = Array.isArray(ast) ? ast : [ast];
    if (one.length !== 1) throw new DuetError(SqlState.syntaxError, 'expected exactly one statement', { position: offset + 1 });
    return { kind: 'ast', ast: one[0], text: rewritten, offset, ...(locking ? { lockRows: true } : {}) };
  } catch (e) {
    if (e instanceof DuetError) throw e;
    const retried = insertSelectReturning(rewritten, offset);
    if (retried) return retried;
    throw syntaxError(e, text, offset, original);
  }
}

/** node-sql-parser cannot read INSERT ... SELECT ... RETURNING: parse the two halves separately. */
function insertSelectReturning(text: string, offset: number): Statement | null {
  if (!/^insert\b/i.test(text)) return null;
  const m = /^([\s\S]*)\breturning\b([\s\S]*)$/i.exec(text);
  if (!m) return null;
  try {
    const head = parser.astify(m[1]!, { database: 'PostgreSQL', parseOptions: { includeLocations: true } } as never);
    const tail = parser.astify(`SELECT ${m[2]!}`, { database: 'PostgreSQL' } as never);
    const h: Ast = Array.isArray(head) ? head[0] : head;
    const t: Ast = Array.isArray(tail) ? tail[0] : tail;
    if (!h || h.type !== 'insert' || !t) return null;
    return { kind: 'ast', ast: { ...h, returning: { type: 'returning', columns: t.columns } }, text, offset };
  } catch {
    return null;
  }
}

function isolationOf(s: string): Isolation {
  const t = s.toLowerCase().replace(/\s+/g, ' ');
  if (t === 'serializable') return 'serializable';
  if (t === 'repeatable read') return 'snapshot';
  return 'read committed';
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  return v;
}

function syntaxError(e: unknown, text: string, offset: number, _original: string): DuetError {
  const loc = (e as { location?: { start?: { offset: number; line: number; column: number } } }).location?.start;
  if (!loc) return new DuetError(SqlState.syntaxError, `syntax error: ${(e as Error).message}`, { position: offset + 1 });
  const word = /^\S*/.exec(text.slice(loc.offset))?.[0] ?? '';
  const near = word.length === 0 ? 'at end of input' : `at or near "${word.slice(0, 20)}"`;
  return new DuetError(SqlState.syntaxError, `syntax error ${near} (line ${loc.line}, column ${loc.column})`, {
    position: offset + loc.offset + 1,
  });
}

/** COPY table [(cols)] FROM 'file' [WITH] [(FORMAT csv|tbl|text, DELIMITER 'x', HEADER [bool], NULL 'x')] */
function parseCopy(text: string, offset: number): Statement {
  const m = /^copy\s+("?[\w.]+"?)\s*(\(([^)]*)\))?\s+from\s+'((?:[^']|'')*)'\s*(?:with\s*)?(\(([\s\S]*)\))?\s*$/i.exec(text);
  if (!m) {
    throw new DuetError(SqlState.syntaxError, 'syntax error in COPY: expected COPY table [(columns)] FROM \'file\' [(FORMAT csv|tbl, DELIMITER \'|\', HEADER)]', { position: offset + 1 });
  }
  const options: CopyOptions = { format: 'text', delimiter: null, header: false, nullString: null };
  const file = m[4]!.replace(/''/g, "'");
  if (/\.tbl$/i.test(file)) options.format = 'tbl';
  else if (/\.csv$/i.test(file)) options.format = 'csv';
  for (const raw of (m[6] ?? '').split(',')) {
    const opt = raw.trim();
    if (opt === '') continue;
    const om = /^(\w+)(?:\s+(.+))?$/.exec(opt);
    if (!om) throw new DuetError(SqlState.syntaxError, `COPY option "${opt}" not understood`, { position: offset + 1 });
    const key = om[1]!.toLowerCase();
    const val = om[2] === undefined ? '' : unquote(om[2].trim());
    if (key === 'format') {
      const f = val.toLowerCase();
      if (f !== 'csv' && f !== 'tbl' && f !== 'text') throw new DuetError(SqlState.featureNotSupported, `COPY format "${val}" is not supported (csv, tbl, text)`);
      options.format = f;
    } else if (key === 'delimiter') options.delimiter = val;
    else if (key === 'header') options.header = val === '' || /^(true|on|1)$/i.test(val);
    else if (key === 'null') options.nullString = val;
    else throw new DuetError(SqlState.syntaxError, `COPY option "${key}" is not supported`, { position: offset + 1 });
  }
  const columns = m[3] === undefined ? null : m[3].split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  return { kind: 'copy', table: m[1]!.replace(/^"|"$/g, '').toLowerCase(), columns, file, options };
}

// Splits a simple-query string into its statements at top-level semicolons, so each statement gets
// its own CommandComplete (and error position) as PostgreSQL gives them. Quotes, dollar quotes,
// and comments are skipped over; nothing else of SQL is understood here.

export interface StatementText {
  readonly text: string;
  /** Character offset of `text` inside the whole query string (to shift error positions). */
  readonly offset: number;
}

export function splitStatements(sql: string): StatementText[] {
  const out: StatementText[] = [];
  let start = 0;
  let i = 0;
  let meaningful = false; // a statement made only of whitespace and comments is dropped
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === "'" || c === '"') {
      const escapes = c === "'" && i > 0 && /[eE]/.test(sql[i - 1]!) && !/\w/.test(sql[i - 2] ?? ' ');
      i = skipQuoted(sql, i, c, escapes);
      meaningful = true;
    } else if (c === '$' && !/\w/.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? sql.length : close + tag[0].length;
      } else i++;
      meaningful = true;
    } else if (c === ';') {
      if (meaningful) out.push(trimmed(sql, start, i));
      i++;
      start = i;
      meaningful = false;
    } else {
      if (!/\s/.test(c)) meaningful = true;
      i++;
    }
  }
  if (meaningful) out.push(trimmed(sql, start, sql.length));
  return out;
}

function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

function trimmed(sql: string, start: number, end: number): StatementText {
  const raw = sql.slice(start, end);
  const lead = raw.length - raw.trimStart().length;
  return { text: raw.trim(), offset: start + lead };
}

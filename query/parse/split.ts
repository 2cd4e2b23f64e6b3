// Splits a SQL script into statements at top-level `;`, aware of quotes and comments, keeping each
// statement's offset so errors can point into the original text.

export interface Piece {
  readonly text: string;
  /** 0-based offset of `text` in the script. */
  readonly offset: number;
}

export function splitStatements(sql: string): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  // no `;` anywhere: one statement (the usual db.query call), no need to walk quotes and comments
  if (!sql.includes(';')) i = n;
  while (i < n) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      pushPiece(pieces, sql, start, i);
      i++;
      start = i;
    } else {
      i++;
    }
  }
  pushPiece(pieces, sql, start, n);
  return pieces;
}

// a module function, not a closure per call: under tsx every named closure costs a defineProperty (keepNames)
function pushPiece(pieces: Piece[], sql: string, start: number, end: number): void {
  const raw = sql.slice(start, end);
  const lead = raw.length - raw.trimStart().length;
  const text = raw.trim();
  if (text.length > 0 && !isOnlyComments(text)) pieces.push({ text, offset: start + lead });
}

function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return j;
}

function isOnlyComments(text: string): boolean {
  return stripComments(text).trim().length === 0;
}

/** Blanks out `--` and block comments outside string literals; positions (and newlines) are kept. */
export function stripComments(text: string): string {
  if (!text.includes('--') && !text.includes('/*')) return text; // the common case, on every statement
  let out = '';
  let i = 0;
  const blank = (s: string): string => s.replace(/[^\n]/g, ' ');
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const j = skipQuoted(text, i, c);
      out += text.slice(i, j);
      i = j;
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      const end = nl < 0 ? text.length : nl;
      out += blank(text.slice(i, end));
      i = end;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : close + 2;
      out += blank(text.slice(i, end));
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** For each character: true when it lies inside a quoted literal or identifier. */
export function quotedMask(text: string): Uint8Array {
  const mask = new Uint8Array(text.length);
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const j = skipQuoted(text, i, c);
      mask.fill(1, i, j);
      i = j;
    } else i++;
  }
  return mask;
}

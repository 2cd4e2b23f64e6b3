// Splits SQL text into complete statements at top-level `;`, skipping quotes, identifiers, comments
// and dollar-quoted bodies: the REPL uses it to know when a statement is finished, -f to run a script.

export interface SplitResult {
  /** Complete statements, without their `;`, skipping ones that hold only whitespace and comments. */
  readonly statements: string[];
  /** Text after the last `;` (an unfinished statement, or only whitespace). */
  readonly rest: string;
}

export function splitStatements(text: string): SplitResult {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ';') {
      pushIfContent(statements, text.slice(start, i));
      start = i + 1;
      i++;
    } else if (ch === "'" ) {
      i = skipQuoted(text, i, "'", isEscapeString(text, i));
    } else if (ch === '"') {
      i = skipQuoted(text, i, '"', false);
    } else if (ch === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (ch === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i);
    } else if (ch === '$') {
      i = skipDollarQuoted(text, i);
    } else {
      i++;
    }
  }
  return { statements, rest: text.slice(start) };
}

/** True when the text holds something besides whitespace and comments (i.e. a statement is pending). */
export function hasContent(text: string): boolean {
  return stripComments(text).trim() !== '';
}

function pushIfContent(out: string[], statement: string): void {
  if (hasContent(statement)) out.push(statement.trim());
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?(\*\/|$)/g, '');
}

/** E'...' strings take backslash escapes; standard strings do not (standard_conforming_strings). */
function isEscapeString(text: string, quoteAt: number): boolean {
  const prev = text[quoteAt - 1];
  return (prev === 'E' || prev === 'e') && !/[A-Za-z0-9_]/.test(text[quoteAt - 2] ?? '');
}

/** Index just past the closing quote (a doubled quote is an escaped quote), or the end if unclosed. */
function skipQuoted(text: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
    } else if (ch === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return text.length;
}

/** PostgreSQL block comments nest. */
function skipBlockComment(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return text.length;
}

/** `$tag$ ... $tag$`; a `$` that does not open a tag (e.g. `$1`) is an ordinary character. */
function skipDollarQuoted(text: string, at: number): number {
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(at, at + 64));
  if (!m || /[A-Za-z0-9_]/.test(text[at - 1] ?? '')) return at + 1;
  const tag = m[0];
  const close = text.indexOf(tag, at + tag.length);
  return close < 0 ? text.length : close + tag.length;
}

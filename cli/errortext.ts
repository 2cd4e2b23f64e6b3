// How the CLI shows an error: one line for scripts (-c, -f, piped input), psql's multi-line form with
// the statement line and a caret under the error position in the REPL.

interface ErrorFields {
  readonly message: string;
  readonly code: string;
  readonly position: number | undefined;
  readonly hint: string | undefined;
  readonly detail: string | undefined;
}

/** A DuetError (or anything shaped like one) as is; any other throw is an internal error (a bug). */
function fields(e: unknown): ErrorFields {
  if (e instanceof Error) {
    const x = e as Error & { code?: unknown; position?: unknown; hint?: unknown; detail?: unknown };
    if (typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code)) {
      return {
        message: x.message,
        code: x.code,
        position: typeof x.position === 'number' ? x.position : undefined,
        hint: typeof x.hint === 'string' ? x.hint : undefined,
        detail: typeof x.detail === 'string' ? x.detail : undefined,
      };
    }
    return { message: `internal error: ${e.name}: ${e.message}`, code: 'XX000', position: undefined, hint: undefined, detail: undefined };
  }
  return { message: `internal error: ${String(e)}`, code: 'XX000', position: undefined, hint: undefined, detail: undefined };
}

/** A hint longer than this is left out of the one-line form (it would bury the message). */
export const LINE_HINT_CHARS_MAX = 120;

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

/**
 * `ERROR:  column "x" does not exist (SQLSTATE 42703)`, no newline; a short hint follows on the same
 * line (`... (SQLSTATE 42703)  HINT:  Perhaps you meant ...`), as scripts promise one line per error.
 */
export function errorLine(e: unknown): string {
  const f = fields(e);
  const hint = f.hint === undefined ? '' : oneLine(f.hint);
  const tail = hint !== '' && hint.length <= LINE_HINT_CHARS_MAX ? `  HINT:  ${hint}` : '';
  return `ERROR:  ${oneLine(f.message)} (SQLSTATE ${f.code})${tail}`;
}

/** psql's form: ERROR, then LINE n with a caret under the position, DETAIL and HINT; ends in a newline. */
export function errorReport(e: unknown, sql: string): string {
  const f = fields(e);
  const out = [`ERROR:  ${f.message}`];
  if (f.position !== undefined && f.position >= 1 && f.position <= sql.length + 1) out.push(...caretLines(sql, f.position - 1));
  if (f.detail !== undefined) out.push(`DETAIL:  ${f.detail}`);
  if (f.hint !== undefined) out.push(`HINT:  ${f.hint}`);
  return `${out.join('\n')}\n`;
}

const LINE_CONTEXT_CHARS = 60;

/** `LINE 2: select x from t` and the caret line; a long line is cut around the position with `...`. */
export function caretLines(sql: string, offset: number): [string, string] {
  const lineStart = sql.lastIndexOf('\n', offset - 1) + 1;
  const lineEndRaw = sql.indexOf('\n', offset);
  const lineEnd = lineEndRaw < 0 ? sql.length : lineEndRaw;
  const lineNo = sql.slice(0, lineStart).split('\n').length;
  let text = sql.slice(lineStart, lineEnd).replace(/\t/g, ' ');
  let column = offset - lineStart;
  if (text.length > LINE_CONTEXT_CHARS) {
    const from = Math.max(0, Math.min(column - LINE_CONTEXT_CHARS / 2, text.length - LINE_CONTEXT_CHARS));
    const to = Math.min(text.length, from + LINE_CONTEXT_CHARS);
    const prefix = from > 0 ? '...' : '';
    text = `${prefix}${text.slice(from, to)}${to < text.length ? '...' : ''}`;
    column = column - from + prefix.length;
  }
  const label = `LINE ${lineNo}: `;
  return [`${label}${text}`, `${' '.repeat(label.length + column)}^`];
}

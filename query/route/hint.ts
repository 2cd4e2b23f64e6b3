// Which path a statement asks for: a leading `/*+ engine(row|column|auto) */` hint, else the session's
// `SET duet.engine = 'row' | 'column' | 'auto'`, else auto.
import { DuetError, SqlState } from '../../oltp/errors.ts';

export type EngineChoice = 'row' | 'column' | 'auto';

const HINT = /\/\*\+\s*engine\s*\(\s*([a-z]+)\s*\)\s*\*\//i;

/** The engine hint in the statement's text, if any (only the first `/*+ ... *\/` counts). */
export function hintOf(text: string): EngineChoice | undefined {
  if (!text.includes('/*+')) return undefined; // runs on every statement: skip the regex in the usual case
  const m = HINT.exec(text);
  if (!m) return undefined;
  return parseChoice(m[1]!, 'hint engine(...)');
}

export function parseChoice(value: string, where: string): EngineChoice {
  const v = value.trim().toLowerCase();
  if (v === 'row' || v === 'column' || v === 'auto') return v;
  throw new DuetError(SqlState.invalidParameterValue, `invalid value for ${where}: "${value}"`, { hint: "expected 'row', 'column' or 'auto'" });
}

// Hints of the statement being run, by session: the plan cache reuses one parsed statement for texts that
// differ only in comments, so the hint is taken from the exact text before the cache is consulted.
const pending = new WeakMap<object, EngineChoice | undefined>();

export function noteStatementText(session: object, text: string): void {
  pending.set(session, hintOf(text));
}

export function statementHint(session: object): EngineChoice | undefined {
  return pending.get(session);
}

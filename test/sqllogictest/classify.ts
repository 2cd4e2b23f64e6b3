// Names the cause of a failing record, for the expectations file and FAILURES.md. A reason must be an
// honest classification ("engine: ...", "dialect: ..."), never "unknown": the engine engineers act on it.

import type { Failure, Outcome } from './runscript.ts';

/**
 * Statements written in SQLite's own dialect that PostgreSQL also rejects: failing them is correct
 * behaviour for a PostgreSQL-dialect engine, so they are classified as dialect, not engine bugs.
 * Each rule was checked by reading the record; add one only with the same care.
 */
const DIALECT_RULES: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  { pattern: /\bCREATE\s+TRIGGER\b[\s\S]*\bBEGIN\b/i, reason: 'dialect: SQLite trigger body (BEGIN ... END) is not PostgreSQL syntax; PostgreSQL triggers call a function' },
  { pattern: /^\s*INSERT\s+OR\s+REPLACE\b/i, reason: 'dialect: INSERT OR REPLACE is SQLite syntax (PostgreSQL: INSERT ... ON CONFLICT)' },
  { pattern: /^\s*REPLACE\s+INTO\b/i, reason: 'dialect: REPLACE INTO is SQLite/MySQL syntax (PostgreSQL: INSERT ... ON CONFLICT)' },
];

export function classify(outcome: Outcome): string {
  const failure = outcome.failure;
  if (failure === undefined) return 'passes';
  for (const rule of DIALECT_RULES) if (rule.pattern.test(outcome.sql)) return rule.reason;
  return classifyFailure(failure);
}

function classifyFailure(failure: Failure): string {
  switch (failure.kind) {
    case 'error':
      if (failure.code === undefined) return `engine bug: ${failure.name}: ${oneLine(failure.message)}`;
      return `engine: ${failure.code} ${oneLine(failure.message)}`;
    case 'no-error': return 'engine: accepts a statement the reference rejects (expected an error)';
    case 'columns': return 'engine: wrong number of result columns';
    case 'mismatch': return /^expected \d+ values, got/.test(failure.detail) ? 'engine: wrong result (row count differs)' : 'engine: wrong result (values differ)';
    case 'label': return 'engine: result differs from an equivalent query with the same label';
    case 'timeout': return `engine: no answer within ${failure.timeoutMs} ms`;
  }
}

/** The specifics behind the reason: the diff for wrong results, the message for errors. */
export function failureDetail(failure: Failure): string | undefined {
  switch (failure.kind) {
    case 'error': return oneLine(failure.message);
    case 'columns':
    case 'mismatch':
    case 'label': return failure.detail;
    case 'no-error':
    case 'timeout': return undefined;
  }
}

/**
 * Groups reasons that differ only in names and numbers (`column "x" does not exist` and
 * `column "y" does not exist` are one cause), for FAILURES.md.
 */
export function causeKey(reason: string): string {
  const m = /^(engine: [0-9A-Z]{5} )([\s\S]*)$/.exec(reason);
  const head = m ? (m[1] ?? '') : '';
  const rest = m ? (m[2] ?? '') : reason;
  return head + rest.replace(/"[^"]*"/g, '"…"').replace(/'[^']*'/g, "'…'").replace(/\b\d+(\.\d+)?\b/g, 'N');
}

export function oneLine(text: string, maxChars = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}

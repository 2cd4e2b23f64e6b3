// Names the cause of a failing record, for the expectations file and FAILURES.md. A reason must be an
// honest classification ("engine: ...", "dialect: ..."), never "unknown": the engine engineers act on it.

import type { Failure, Outcome } from './runscript.ts';

/**
 * Records written for SQLite that PostgreSQL itself fails: failing them is correct behaviour for a
 * PostgreSQL-dialect engine, so they are classified as dialect, not as engine bugs. Each rule was
 * verified by running the scripts on PostgreSQL 15.18 (`npx tsx test/sqllogictest/postgres-check.ts
 * URL evidence/...`): PostgreSQL fails exactly these records, with the error named in the reason.
 * A rule applies only to the failure kind PostgreSQL showed, so a different failure stays an engine one.
 */
const DIALECT_RULES: readonly { readonly pattern: RegExp; readonly file?: string; readonly failure: Failure['kind']; readonly reason: string }[] = [
  { pattern: /\bCREATE\s+TRIGGER\b[\s\S]*\bBEGIN\b/i, failure: 'error', reason: 'dialect: SQLite trigger syntax (CREATE TRIGGER ... BEGIN ... END); PostgreSQL 15 rejects it too (42601)' },
  { pattern: /^\s*DROP\s+TRIGGER\s+\w+\s*$/i, failure: 'error', reason: 'dialect: DROP TRIGGER without ON <table> is SQLite syntax; PostgreSQL 15 rejects it too (42601)' },
  { pattern: /^\s*REINDEX\s+\w+\s*$/i, failure: 'error', reason: 'dialect: REINDEX <name> without INDEX/TABLE is SQLite syntax; PostgreSQL 15 rejects it too (42601)' },
  { pattern: /^\s*INSERT\s+OR\s+REPLACE\b/i, failure: 'error', reason: 'dialect: INSERT OR REPLACE is SQLite syntax; PostgreSQL 15 rejects it too (42601)' },
  { pattern: /^\s*REPLACE\s+INTO\b/i, failure: 'error', reason: 'dialect: REPLACE INTO is SQLite syntax; PostgreSQL 15 rejects it too (42601)' },
  { pattern: /^\s*SELECT\b/i, file: 'evidence/slt_lang_replace.test', failure: 'mismatch', reason: 'dialect (follow-on): checks the effect of an INSERT OR REPLACE / REPLACE INTO that PostgreSQL rejects; PostgreSQL 15 gives the same result' },
  { pattern: /\bIN\s*\(\s*\)/i, failure: 'error', reason: 'dialect: an empty IN () list is SQLite syntax; PostgreSQL 15 rejects it too (42601)' },
  { pattern: /\bx'[0-9a-f]*'\s+(NOT\s+)?IN\b/i, failure: 'error', reason: "dialect: x'..' is a blob in SQLite but a bit string in PostgreSQL; PostgreSQL 15 rejects comparing it with an integer (42883)" },
  { pattern: /^\s*SELECT\s+'[a-z]+'\s+(NOT\s+)?IN\s*\(SELECT\b/i, failure: 'error', reason: 'dialect: PostgreSQL types the string literal as the integer column of the subquery and rejects it; PostgreSQL 15 fails it too (22P02)' },
];

/** `file` is the script path relative to the data folder (rules may be specific to one script). */
export function classify(outcome: Outcome, file?: string): string {
  const failure = outcome.failure;
  if (failure === undefined) return 'passes';
  for (const rule of DIALECT_RULES) {
    if (rule.failure === failure.kind && (rule.file === undefined || rule.file === file) && rule.pattern.test(outcome.sql)) return rule.reason;
  }
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
    case 'timeout': return `engine: too slow, no answer within ${failure.timeoutMs} ms`;
    case 'abandoned': return `engine: too slow, not run: the script was abandoned after ${failure.kills} records timed out`;
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
    case 'timeout':
    case 'abandoned': return undefined;
  }
}

/**
 * Groups reasons that differ only in names and numbers (`column "x" does not exist` and
 * `column "y" does not exist` are one cause), for FAILURES.md.
 */
export function causeKey(reason: string): string {
  if (!reason.startsWith('engine')) return reason; // fixed texts (dialect rules) carry no specifics
  const m = /^(engine: [0-9A-Z]{5} )([\s\S]*)$/.exec(reason);
  const head = m ? (m[1] ?? '') : '';
  const rest = m ? (m[2] ?? '') : reason;
  return head + rest.replace(/"[^"]*"/g, '"…"').replace(/'[^']*'/g, "'…'").replace(/\b\d+(\.\d+)?\b/g, 'N');
}

export function oneLine(text: string, maxChars = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}

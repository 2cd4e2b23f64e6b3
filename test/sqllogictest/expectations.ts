// The checked-in list of records known to fail (expected-failures.json): loading, checking a run
// against it, and rewriting it. The runner fails on any difference in either direction.

import { readFileSync, writeFileSync } from 'node:fs';
import type { Outcome } from './runscript.ts';
import { classify, failureDetail, oneLine } from './classify.ts';

export interface ExpectedFailure {
  /** Script path relative to the sqllogictest data folder, e.g. `select1.test`, `evidence/in1.test`. */
  readonly file: string;
  readonly line: number;
  readonly sql: string;
  readonly reason: string;
  readonly detail?: string;
}

export interface Expectations {
  /**
   * False until the list has been generated against an engine that runs: until then the vitest check
   * cannot mean anything and is skipped (with that reason), instead of failing every commit.
   */
  readonly generatedWithEngine: boolean;
  readonly failures: readonly ExpectedFailure[];
}

export function loadExpectations(path: string): Expectations {
  const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<Expectations>;
  return { generatedWithEngine: data.generatedWithEngine === true, failures: data.failures ?? [] };
}

export function saveExpectations(path: string, expectations: Expectations): void {
  const failures = [...expectations.failures].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  // One entry per line keeps diffs of this file readable as records start passing.
  const body = failures.map((f) => `    ${JSON.stringify(f)}`).join(',\n');
  const text = `{\n  "generatedWithEngine": ${expectations.generatedWithEngine},\n  "failures": [\n${body}${body ? '\n' : ''}  ]\n}\n`;
  writeFileSync(path, text);
}

export function toExpectedFailure(file: string, outcome: Outcome): ExpectedFailure {
  if (outcome.failure === undefined) throw new Error(`record ${file}:${outcome.line} passed; only failures are listed`);
  const detail = failureDetail(outcome.failure);
  const base = { file, line: outcome.line, sql: oneLine(outcome.sql, 160), reason: classify(outcome, file) };
  return detail === undefined ? base : { ...base, detail };
}

/** Reasons of records that failed only by taking too long (see classify.ts). */
export const SLOW_REASON_PREFIX = 'engine: too slow';

export interface Discrepancies {
  /** Failing records missing from the list. */
  readonly newFailures: ExpectedFailure[];
  /** Listed records that now pass (or no longer run): the list must be updated. */
  readonly newPasses: ExpectedFailure[];
  /**
   * Listed records that fail for another reason than listed (classify.ts). Enforced when another engine
   * configuration is checked against the list: a record must fail there exactly as it does on rows.
   */
  readonly changedFailures: { readonly listed: ExpectedFailure; readonly now: ExpectedFailure }[];
}

/** Compares one script's outcomes with the list's entries for that script. */
export function checkScript(file: string, outcomes: readonly Outcome[], expectations: Expectations): Discrepancies {
  const listed = new Map<number, ExpectedFailure>();
  for (const f of expectations.failures) if (f.file === file) listed.set(f.line, f);
  const newFailures: ExpectedFailure[] = [];
  const changedFailures: Discrepancies['changedFailures'] = [];
  const failedLines = new Set<number>();
  for (const o of outcomes) {
    if (o.failure === undefined) continue;
    failedLines.add(o.line);
    const was = listed.get(o.line);
    const now = toExpectedFailure(file, o);
    if (!was) newFailures.push(now);
    else if (was.reason !== now.reason) changedFailures.push({ listed: was, now });
  }
  // A record listed as too slow may finish in time on a faster or idler machine: that is no news.
  const newPasses = [...listed.values()].filter((f) => !failedLines.has(f.line) && !f.reason.startsWith(SLOW_REASON_PREFIX));
  return { newFailures, newPasses, changedFailures };
}

/** The list with the entries of `file` replaced by the failures of this run. */
export function replaceScript(expectations: Expectations, file: string, outcomes: readonly Outcome[]): Expectations {
  const others = expectations.failures.filter((f) => f.file !== file);
  const mine = outcomes.filter((o) => o.failure !== undefined).map((o) => toExpectedFailure(file, o));
  return { generatedWithEngine: true, failures: [...others, ...mine] };
}

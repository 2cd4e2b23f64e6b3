// Writes FAILURES.md: totals per script and the failing records grouped by cause, with one example
// each (SQL and error or diff), so the engine engineers can pick the biggest group and fix it.

import { writeFileSync } from 'node:fs';
import type { ExpectedFailure } from './expectations.ts';
import { causeKey } from './classify.ts';

export interface ScriptStats {
  readonly file: string;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly elapsedMs: number;
}

const LOCATIONS_SHOWN_MAX = 12;

export interface SlowRecord {
  readonly file: string;
  readonly line: number;
  readonly sql: string;
  readonly elapsedMs: number;
}

export function writeFailuresReport(path: string, stats: readonly ScriptStats[], failures: readonly ExpectedFailure[], generatedAt: Date, slowest: readonly SlowRecord[] = []): void {
  writeFileSync(path, failuresReport(stats, failures, generatedAt, slowest));
}

export function failuresReport(stats: readonly ScriptStats[], failures: readonly ExpectedFailure[], generatedAt: Date, slowest: readonly SlowRecord[] = []): string {
  const applied = sum(stats.map((s) => s.applied));
  const failed = sum(stats.map((s) => s.failed));
  const out: string[] = [];
  out.push('# sqllogictest failures', '');
  out.push(`Generated ${generatedAt.toISOString()} by \`npx tsx test/sqllogictest/run.ts\` over the whole suite (do not edit by hand).`, '');
  out.push(`**${applied - failed} of ${applied} records that apply pass (${percent(applied - failed, applied)}); ${failed} fail.** Records guarded out for PostgreSQL or after a \`halt\` are skipped.`, '');
  out.push('| script | apply | pass | fail | skipped | seconds |', '|---|---:|---:|---:|---:|---:|');
  for (const s of stats) out.push(`| ${s.file} | ${s.applied} | ${s.applied - s.failed} | ${s.failed} | ${s.skipped} | ${(s.elapsedMs / 1000).toFixed(1)} |`);
  out.push('');
  const groups = groupByCause(failures);
  out.push(`## Failures by cause (${groups.length} causes)`, '');
  for (const [cause, members] of groups) {
    const example = members[0];
    if (example === undefined) continue;
    out.push(`### ${members.length} × ${cause}`, '');
    out.push(`Example \`${example.file}:${example.line}\`:`, '', '```sql', example.sql, '```', '');
    out.push(`> ${example.reason}`, '');
    if (example.detail !== undefined && !example.reason.includes(example.detail)) out.push(`> ${example.detail}`, '');
    const more = members.slice(1, LOCATIONS_SHOWN_MAX + 1).map((f) => `${f.file}:${f.line}`);
    if (more.length > 0) out.push(`Also: ${more.join(', ')}${members.length > LOCATIONS_SHOWN_MAX + 1 ? `, and ${members.length - LOCATIONS_SHOWN_MAX - 1} more` : ''}.`, '');
  }
  if (slowest.length > 0) {
    out.push('## Slowest records', '', '| ms | record | SQL |', '|---:|---|---|');
    for (const r of slowest) out.push(`| ${r.elapsedMs.toFixed(0)} | ${r.file}:${r.line} | \`${r.sql.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 120)}\` |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

function groupByCause(failures: readonly ExpectedFailure[]): [string, ExpectedFailure[]][] {
  const groups = new Map<string, ExpectedFailure[]>();
  for (const f of failures) {
    const key = causeKey(f.reason);
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function percent(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(2)}%`;
}

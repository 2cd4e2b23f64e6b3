// What the SQL benchmarks share: the better-sqlite3 anchor (typed here: the package ships no types),
// option parsing, progress lines, the machine line with load averages, percentiles and seeded keys.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { barChartSvg, type Bar } from '../rowstore/svg.ts';

export interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  raw(): SqliteStatement;
}
export interface SqliteDb {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  transaction(fn: () => void): () => void;
  close(): void;
}
export const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDb;

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

/** `--name value` from argv, else the default. */
export function option(name: string, dflt: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : undefined;
  return v ?? dflt;
}

export function numberOption(name: string, dflt: number): number {
  const v = Number(option(name, String(dflt)));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

export function progressTo(tag: string): (msg: string) => void {
  return (msg) => void process.stderr.write(`[${tag}] ${msg}\n`);
}

export function pkgVersion(name: string): string {
  const file = join(import.meta.dirname, '..', '..', 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export function sqliteVersion(): string {
  const db = new Sqlite(':memory:');
  try {
    return (db.prepare('select sqlite_version() v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

const loadText = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

/** Call at the start of a run; the returned function gives the report's machine line (load at start and end). */
export function machineLine(): () => string {
  const atStart = loadText();
  return () => {
    const cpu = cpus();
    return `${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
      `load average (1/5/15 min) ${atStart} at the start, ${loadText()} at the end (a shared machine: compare within one run only)`;
  };
}

/** The q-quantile (0..1) of samples, nearest rank. Sorts a copy. */
export function quantile(samples: Float64Array, q: number): number {
  const s = Float64Array.from(samples).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** `count` keys in [0, n), from a fixed-seed LCG: every engine reads the same sequence. */
export function seededKeys(n: number, count: number, seed = 987654321): Int32Array {
  const ids = new Int32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    ids[i] = s % n;
  }
  return ids;
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Writes bench/results/<name>.md and <name>.svg (a bar chart of ratios to SQLite), then prints the report. */
export function saveReport(name: string, md: string, chartTitle: string, bars: Bar[], progress: (msg: string) => void): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
  writeFileSync(join(RESULTS_DIR, `${name}.svg`), barChartSvg(chartTitle, bars));
  progress(`wrote ${join(RESULTS_DIR, `${name}.md`)} and ${name}.svg`);
  process.stdout.write(md);
}

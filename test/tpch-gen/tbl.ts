// Reads a TPC-H .tbl file (with or without dbgen's trailing separator) and the column names and
// types from the shared schema.sql, for comparing generated data with the reference data.
import { readFileSync, statSync } from 'node:fs';

export type ColumnKind = 'int' | 'decimal' | 'date' | 'string';
export interface Column {
  name: string;
  kind: ColumnKind;
}

/** Column lists per table from `CREATE TABLE name (col TYPE ..., ...)` lines. */
export function readSchema(path: string): Map<string, Column[]> {
  const tables = new Map<string, Column[]>();
  for (const match of readFileSync(path, 'utf8').matchAll(/CREATE TABLE (\w+)\s*\((.*)\);/g)) {
    const columns: Column[] = [];
    for (const part of match[2]!.split(/,(?![^(]*\))/)) {
      const [name, type] = part.trim().split(/\s+/) as [string, string | undefined];
      if (name === 'PRIMARY' || type === undefined) continue;
      columns.push({ name, kind: kindOf(type) });
    }
    tables.set(match[1]!, columns);
  }
  return tables;
}

function kindOf(sqlType: string): ColumnKind {
  if (sqlType.startsWith('INTEGER')) return 'int';
  if (sqlType.startsWith('DECIMAL')) return 'decimal';
  if (sqlType.startsWith('DATE')) return 'date';
  return 'string';
}

// Several tests read the same files; parsing lineitem is the slow part, so keep what was read
// (keyed by path, size and modification time, so a rewritten file is read again).
const parsed = new Map<string, string[][]>();

/** Rows as arrays of field strings. */
export function readTbl(path: string, columnCount: number): string[][] {
  const { size, mtimeMs } = statSync(path);
  const key = `${path}|${size}|${mtimeMs}|${columnCount}`;
  const cached = parsed.get(key);
  if (cached !== undefined) return cached;
  const rows = parseTbl(path, columnCount);
  parsed.set(key, rows);
  return rows;
}

function parseTbl(path: string, columnCount: number): string[][] {
  const rows: string[][] = [];
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    if (line === '') continue;
    const fields = line.split('|');
    if (fields.length === columnCount + 1 && fields[columnCount] === '') fields.pop();
    if (fields.length !== columnCount) throw new Error(`${path}: ${fields.length} fields, expected ${columnCount}: ${line}`);
    rows.push(fields);
  }
  return rows;
}

const msPerDay = 86_400_000;
const dayCache = new Map<string, number>();
/** Days since 1970-01-01; memoized, as a TPC-H database has only a few thousand distinct dates. */
export function dayOf(iso: string): number {
  let day = dayCache.get(iso);
  if (day === undefined) {
    day = Date.parse(`${iso}T00:00:00Z`) / msPerDay;
    dayCache.set(iso, day);
  }
  return day;
}

export interface ColumnStats {
  count: number;
  distinct: number;
  /** Values with their counts, kept only while there are at most 1000 distinct values. */
  frequencies: Map<string, number> | null;
  /** Numeric view: the number itself, days for dates, length for strings. */
  min: number;
  max: number;
  mean: number;
  sd: number;
  minText: string;
  maxText: string;
}

export function columnStats(rows: readonly string[][], index: number, kind: ColumnKind): ColumnStats {
  const counts = new Map<string, number>();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  let minText = '';
  let maxText = '';
  for (const row of rows) {
    const text = row[index]!;
    counts.set(text, (counts.get(text) ?? 0) + 1);
    const x = kind === 'string' ? text.length : kind === 'date' ? dayOf(text) : Number(text);
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSquares += x * x;
    if (minText === '' || text < minText) minText = text;
    if (text > maxText) maxText = text;
  }
  const n = rows.length;
  const mean = sum / n;
  return {
    count: n,
    distinct: counts.size,
    frequencies: counts.size <= 1000 ? counts : null,
    min,
    max,
    mean,
    sd: Math.sqrt(Math.max(0, sumSquares / n - mean * mean)),
    minText,
    maxText,
  };
}

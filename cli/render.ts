// Renders query results for people (psql's aligned table) and for programs (CSV, JSON lines).

import type { SqlType, Value } from '../oltp/types.ts';
import { pgText } from './pgtext.ts';

export type OutputFormat = 'table' | 'csv' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

export interface ResultLike {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly rows: readonly (readonly Value[])[];
  readonly command: string;
}

/** The text to print for one statement's result, ending in a newline (or empty). */
export function renderResult(result: ResultLike, format: OutputFormat): string {
  switch (format) {
    case 'table': return renderTableResult(result);
    case 'csv': return result.columns.length === 0 ? '' : renderCsv(result);
    case 'json': return result.columns.length === 0 ? '' : renderJson(result);
  }
}

function renderTableResult(result: ResultLike): string {
  if (result.columns.length === 0) return result.command === '' ? '' : `${result.command}\n`;
  const cells = result.rows.map((row) => row.map((v, c) => pgText(v, typeOf(result, c)) ?? ''));
  const n = result.rows.length;
  let text = `${renderTable(result.columns.map((c) => c.name), cells, result.columns.map((c) => isNumeric(c.type)))}(${n} ${n === 1 ? 'row' : 'rows'})\n`;
  // psql shows the tag of data-modifying statements that also return rows (RETURNING).
  if (/^(INSERT|UPDATE|DELETE|MERGE)\b/.test(result.command)) text += `${result.command}\n`;
  return `${text}\n`;
}

/**
 * psql's aligned format: header centred, numbers right-aligned, text left-aligned, columns joined
 * by ` | `, and no trailing padding after the last column of a data row.
 */
export function renderTable(header: readonly string[], cells: readonly (readonly string[])[], rightAlign: readonly boolean[], title?: string): string {
  const widths = header.map((h, c) => Math.max(width(h), ...cells.map((row) => width(row[c] ?? ''))));
  const lines: string[] = [];
  const total = widths.reduce((a, w) => a + w + 3, -1);
  if (title !== undefined) lines.push(center(title, total).trimEnd());
  lines.push(header.map((h, c) => ` ${center(h, widths[c] ?? 0)} `).join('|'));
  lines.push(widths.map((w) => '-'.repeat(w + 2)).join('+'));
  for (const row of cells) {
    const parts = header.map((_, c) => {
      const w = widths[c] ?? 0;
      const v = row[c] ?? '';
      return rightAlign[c] ? v.padStart(w) : v.padEnd(w);
    });
    lines.push(` ${parts.join(' | ')}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

function center(text: string, w: number): string {
  const free = w - width(text);
  if (free <= 0) return text;
  const left = Math.floor(free / 2);
  return ' '.repeat(left) + text + ' '.repeat(free - left);
}

function width(text: string): number {
  return text.length;
}

function isNumeric(type: SqlType): boolean {
  return type.id === 'integer' || type.id === 'bigint' || type.id === 'decimal' || type.id === 'double';
}

function typeOf(result: ResultLike, column: number): SqlType {
  return result.columns[column]?.type ?? { id: 'varchar' };
}

/** RFC 4180: a header line, NULL as an empty field, '' as "" so the two stay distinguishable. */
function renderCsv(result: ResultLike): string {
  const lines = [result.columns.map((c) => csvField(c.name)).join(',')];
  for (const row of result.rows) {
    lines.push(row.map((v, c) => (v === null ? '' : csvField(pgText(v, typeOf(result, c)) ?? ''))).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function csvField(text: string): string {
  return text === '' || /[",\n\r]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One JSON array of row objects per statement, on one line (JSON lines across statements). */
function renderJson(result: ResultLike): string {
  const objects = result.rows.map((row) => {
    const parts = result.columns.map((c, i) => `${JSON.stringify(c.name)}:${jsonValue(row[i] ?? null, c.type)}`);
    return `{${parts.join(',')}}`;
  });
  return `[${objects.join(',')}]\n`;
}

function jsonValue(value: Value, type: SqlType): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  // DECIMALs are written as exact JSON numbers (not through a double), dates and timestamps as strings.
  // The engine hands DECIMALs out either as scaled bigints (oltp/types.ts) or as their decimal text.
  if (typeof value === 'bigint') return pgText(value, type) ?? 'null';
  if (typeof value === 'string' && type.id === 'decimal' && /^-?\d+(\.\d+)?$/.test(value)) return value;
  if (typeof value === 'number' && (type.id === 'date' || type.id === 'timestamp')) return JSON.stringify(pgText(value, type));
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(pgText(value, type));
  return JSON.stringify(value);
}

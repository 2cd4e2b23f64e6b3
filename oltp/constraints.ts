// Row checks a write must pass (NOT NULL, VARCHAR/CHAR length) and PostgreSQL-style error texts for them
// and for unique violations.
import type { TableDef } from './api.ts';
import { DuetError, SqlState } from './errors.ts';
import type { Row, SqlType, Value } from './types.ts';

/** Formats a value the way PostgreSQL prints it in error details. */
export function formatValue(v: Value, type: SqlType | undefined): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'bigint') {
    const scale = type?.scale ?? 0;
    if (scale === 0) return v.toString();
    const neg = v < 0n;
    const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
    return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  if (typeof v === 'number' && type?.id === 'date') return new Date(v * 86_400_000).toISOString().slice(0, 10);
  if (typeof v === 'number' && type?.id === 'timestamp') {
    const iso = new Date(Math.floor(v / 1000)).toISOString();
    const micros = ((v % 1_000_000) + 1_000_000) % 1_000_000;
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${micros ? '.' + String(micros).padStart(6, '0').replace(/0+$/, '') : ''}`;
  }
  return String(v);
}

export function keyDetail(def: TableDef, columns: readonly number[], values: readonly Value[]): string {
  const names = columns.map((c) => def.columns[c]!.name).join(', ');
  const vals = values.map((v, i) => formatValue(v, def.columns[columns[i]!]?.type)).join(', ');
  return `Key (${names})=(${vals})`;
}

export function uniqueViolation(constraint: string, def: TableDef, columns: readonly number[], values: readonly Value[]): DuetError {
  return new DuetError(SqlState.uniqueViolation, `duplicate key value violates unique constraint "${constraint}"`, {
    detail: `${keyDetail(def, columns, values)} already exists.`,
  });
}

function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++; // count a surrogate pair once
  }
  return n;
}

/**
 * Checks a row against the table definition. Returns the row to store: the same array, or a copy when
 * excess trailing spaces had to be cut (PostgreSQL truncates those instead of failing).
 */
export function checkRow(def: TableDef, row: Row): Row {
  if (row.length !== def.columns.length) {
    throw new DuetError(SqlState.internalError, `row has ${row.length} values, table "${def.name}" has ${def.columns.length} columns`);
  }
  let out = row;
  for (let i = 0; i < def.columns.length; i++) {
    const col = def.columns[i]!;
    const v = row[i]!;
    if (v === null) {
      if (col.notNull || (!def.hiddenRowId && def.primaryKey.includes(i))) {
        throw new DuetError(SqlState.notNullViolation, `null value in column "${col.name}" of relation "${def.name}" violates not-null constraint`, {
          detail: `Failing row contains (${row.map((x, j) => formatValue(x, def.columns[j]?.type)).join(', ')}).`,
        });
      }
      continue;
    }
    const max = col.type.length;
    if (col.type.id === 'varchar' && max !== undefined && typeof v === 'string' && v.length > max && charLength(v) > max) {
      const trimmed = v.replace(/ +$/, '');
      if (charLength(trimmed) > max) {
        const typeName = col.type.fixed ? `character(${max})` : `character varying(${max})`;
        throw new DuetError(SqlState.stringDataRightTruncation, `value too long for type ${typeName}`);
      }
      if (out === row) out = [...row];
      out[i] = trimmed + ' '.repeat(max - charLength(trimmed));
    }
  }
  return out;
}

// SQL types and the in-memory representation of their values, shared by every layer.
//
// Value representation (what rows hold everywhere inside the engine):
//   INTEGER, BIGINT  -> number (BIGINT is limited to the safe-integer range ±2^53-1; beyond it: 22003)
//   DECIMAL(p,s)     -> bigint holding the value scaled by 10^s (the scale of the column/expression type)
//   DOUBLE, REAL     -> number
//   VARCHAR/CHAR/TEXT-> string
//   BOOLEAN          -> boolean
//   DATE             -> number: days since 1970-01-01
//   TIMESTAMP        -> number: microseconds since 1970-01-01 00:00:00 (exact within ±285 years of 1970)
//   NULL             -> null

export type TypeId = 'integer' | 'bigint' | 'decimal' | 'double' | 'varchar' | 'boolean' | 'date' | 'timestamp' | 'null';

export interface SqlType {
  readonly id: TypeId;
  /** DECIMAL precision (total digits); VARCHAR/CHAR maximum length (undefined = unbounded TEXT). */
  readonly precision?: number;
  /** DECIMAL scale (digits after the point). */
  readonly scale?: number;
  /** VARCHAR/CHAR maximum length in characters; undefined = unbounded (TEXT). */
  readonly length?: number;
  /** CHAR(n): blank-padded semantics. */
  readonly fixed?: boolean;
}

export type Value = number | bigint | string | boolean | null;
export type Row = Value[];

export const Types = {
  integer: Object.freeze({ id: 'integer' }) as SqlType,
  bigint: Object.freeze({ id: 'bigint' }) as SqlType,
  double: Object.freeze({ id: 'double' }) as SqlType,
  text: Object.freeze({ id: 'varchar' }) as SqlType,
  boolean: Object.freeze({ id: 'boolean' }) as SqlType,
  date: Object.freeze({ id: 'date' }) as SqlType,
  timestamp: Object.freeze({ id: 'timestamp' }) as SqlType,
  null: Object.freeze({ id: 'null' }) as SqlType,
  decimal(precision: number, scale: number): SqlType {
    return Object.freeze({ id: 'decimal', precision, scale });
  },
  varchar(length?: number, fixed = false): SqlType {
    return Object.freeze(length === undefined ? { id: 'varchar' } : fixed ? { id: 'varchar', length, fixed } : { id: 'varchar', length });
  },
} as const;

/** The PostgreSQL spelling of a type, for catalogs, EXPLAIN and error messages. */
export function typeName(t: SqlType): string {
  switch (t.id) {
    case 'integer': return 'integer';
    case 'bigint': return 'bigint';
    case 'double': return 'double precision';
    case 'boolean': return 'boolean';
    case 'date': return 'date';
    case 'timestamp': return 'timestamp';
    case 'null': return 'unknown';
    case 'decimal': return t.precision === undefined ? 'numeric' : `numeric(${t.precision},${t.scale ?? 0})`;
    case 'varchar':
      if (t.length === undefined) return 'text';
      return t.fixed ? `character(${t.length})` : `character varying(${t.length})`;
  }
}

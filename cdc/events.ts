// Change events: a committed log entry decoded into `{ index, commitTs, txnId, schema, changes }`, with
// table names and primary-key values resolved against the schema as of that entry (SchemaTracker).
import { decodeLogEntry, type LogEntry, type RowOp } from '../oltp/commitlog.ts';
import { keyTypes, type StoredTableDef } from '../oltp/catalog.ts';
import { decodeKey } from '../oltp/keycodec.ts';
import type { Row, Value } from '../oltp/types.ts';
import type { SchemaChange, SchemaTracker } from './schema.ts';

export interface RowChange {
  readonly table: string;
  readonly tableId: number;
  readonly op: RowOp;
  /** Primary-key values (the hidden row id for a table without a key). */
  readonly key: Value[];
  /** The new row in column order of the table as of this entry (ADD COLUMN fills applied); null for delete. */
  readonly row: Row | null;
}

export interface ChangeEvent {
  readonly index: number;
  readonly commitTs: number;
  readonly txnId: number;
  /** Schema changes of this transaction; they take effect before its row changes. */
  readonly schema: readonly SchemaChange[];
  readonly changes: readonly RowChange[];
}

/** Decodes one encoded entry (checksum verified) and advances the tracker past it. */
export function decodeChangeEvent(bytes: Buffer, schema: SchemaTracker): ChangeEvent {
  return toChangeEvent(decodeLogEntry(bytes), schema);
}

export function toChangeEvent(entry: LogEntry, schema: SchemaTracker): ChangeEvent {
  const schemaChanges = schema.apply(entry.writes);
  const changes: RowChange[] = [];
  for (const w of entry.writes) {
    if (w.kind !== 'row') continue;
    const def = schema.table(w.tableId);
    // A transaction's rows of a table it dropped are never logged; an unknown id is a catalog we cannot see.
    if (!def) continue;
    changes.push({ table: def.name, tableId: def.id, op: w.op, key: decodeKey(w.key, keyTypes(def)), row: w.row === null ? null : completeRow(def, w.row) });
  }
  return { index: entry.index, commitTs: entry.commitTs, txnId: entry.txnId, schema: schemaChanges, changes };
}

/** A row stored before ADD COLUMN reads the added columns as their fill values. */
export function completeRow(def: StoredTableDef, row: Row): Row {
  if (row.length >= def.columns.length) return row.length === def.columns.length ? row : row.slice(0, def.columns.length);
  const out = row.slice();
  for (let i = row.length; i < def.columns.length; i++) out.push(def.fills[i] ?? null);
  return out;
}

/** JSON for external consumers: DECIMAL (bigint) values become strings so no precision is lost. */
export function changeEventJson(e: ChangeEvent): string {
  return JSON.stringify(
    {
      index: e.index,
      commitTs: e.commitTs,
      txnId: e.txnId,
      schema: e.schema.map((s) => ({ kind: s.kind, table: s.table, columns: s.def?.columns.map((c) => ({ name: c.name, type: c.type })) })),
      changes: e.changes.map((c) => ({ table: c.table, op: c.op, key: c.key, row: c.row })),
    },
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

// Transactional DDL: each change writes new versions of catalog entries into the transaction's write set,
// under catalog locks, so it becomes visible atomically at commit (and vanishes on rollback).
import type { ColumnDef, IndexDef, NewTable, TableDef, ViewDef } from './api.ts';
import { freezeTable, indexEntry, serializeCatalogValue, tableEntry, viewEntry, type CatalogValue, type StoredTableDef } from './catalog.ts';
import { keyDetail } from './constraints.ts';
import { DuetError, SqlState } from './errors.ts';
import { latestKey } from './keys.ts';
import type { Transaction } from './txn.ts';
import { indexEntryBytes } from './txn.ts';
import type { Value } from './types.ts';

export const serialize = serializeCatalogValue;

function relationExists(name: string): DuetError {
  return new DuetError(SqlState.duplicateTable, `relation "${name}" already exists`);
}

/** Tables, views and indexes share one namespace, as PostgreSQL relations do. */
async function claimName(txn: Transaction, name: string): Promise<void> {
  for (const entry of [tableEntry(name), viewEntry(name), indexEntry(name)]) {
    await txn.lockCatalog(entry);
    if (txn.lookupCatalog(entry) !== null) throw relationExists(name);
  }
}

function checkColumns(columns: readonly ColumnDef[]): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new DuetError(SqlState.duplicateColumn, `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }
}

function checkOrdinals(def: { columns: readonly unknown[] }, ordinals: readonly number[], what: string): void {
  for (const o of ordinals) {
    if (!Number.isInteger(o) || o < 0 || o >= def.columns.length) throw new DuetError(SqlState.undefinedColumn, `${what} refers to column ordinal ${o}, which does not exist`);
  }
}

export async function createTable(txn: Transaction, spec: NewTable): Promise<TableDef> {
  await claimName(txn, spec.name);
  checkColumns(spec.columns);
  checkOrdinals(spec, spec.primaryKey, 'PRIMARY KEY');
  const id = txn.host.allocateObjectId();
  const indexes: IndexDef[] = [];
  const indexNames = new Set<string>([`${spec.name}_pkey`]);
  for (const u of spec.uniques ?? []) {
    checkOrdinals(spec, u.columns, 'UNIQUE');
    let name = u.name ?? `${spec.name}_${u.columns.map((c) => spec.columns[c]!.name).join('_')}_key`;
    for (let n = 1; indexNames.has(name) && u.name === undefined; n++) name = `${spec.name}_${u.columns.map((c) => spec.columns[c]!.name).join('_')}_key${n}`;
    if (indexNames.has(name)) throw relationExists(name);
    indexNames.add(name);
    await claimName(txn, name);
    indexes.push({ id: txn.host.allocateObjectId(), name, columns: [...u.columns], unique: true });
  }
  const def = freezeTable({
    id,
    name: spec.name,
    columns: spec.columns,
    primaryKey: spec.primaryKey,
    hiddenRowId: spec.primaryKey.length === 0,
    indexes,
    schemaVersion: 1,
    fills: spec.columns.map(() => null),
  });
  txn.writeCatalog(tableEntry(def.name), { kind: 'table', def });
  for (const idx of indexes) txn.writeCatalog(indexEntry(idx.name), { kind: 'index', table: def.name });
  return def;
}

async function lockTable(txn: Transaction, name: string): Promise<StoredTableDef> {
  await txn.lockCatalog(tableEntry(name));
  const def = txn.getTable(name);
  if (!def) throw new DuetError(SqlState.undefinedTable, `table "${name}" does not exist`);
  txn.noteDdlTable(def.id, txn.readTs);
  return def;
}

export async function dropTable(txn: Transaction, name: string): Promise<void> {
  const def = await lockTable(txn, name);
  txn.writeCatalog(tableEntry(name), null);
  for (const idx of def.indexes) {
    await txn.lockCatalog(indexEntry(idx.name));
    txn.writeCatalog(indexEntry(idx.name), null);
  }
}

function replaceTable(txn: Transaction, def: StoredTableDef, changes: Partial<StoredTableDef>): StoredTableDef {
  const next = freezeTable({ ...def, ...changes, schemaVersion: def.schemaVersion + 1 });
  txn.writeCatalog(tableEntry(def.name), { kind: 'table', def: next });
  return next;
}

export async function createIndex(txn: Transaction, table: string, spec: { name: string; columns: number[]; unique: boolean }): Promise<IndexDef> {
  const def = await lockTable(txn, table);
  checkOrdinals(def, spec.columns, `index "${spec.name}"`);
  await claimName(txn, spec.name);
  const index: IndexDef = Object.freeze({ id: txn.host.allocateObjectId(), name: spec.name, columns: Object.freeze([...spec.columns]), unique: spec.unique });
  const next = replaceTable(txn, def, { indexes: [...def.indexes, index] });
  txn.writeCatalog(indexEntry(spec.name), { kind: 'index', table });
  await backfill(txn, next, index);
  return index;
}

/** Builds the new index's entries from every row visible to the transaction; a unique index rejects duplicates. */
async function backfill(txn: Transaction, def: StoredTableDef, index: IndexDef): Promise<void> {
  const seen = new Map<string, Value[]>();
  for await (const rows of txn.scan(def, { withRowId: def.hiddenRowId })) {
    for (const row of rows) {
      const pkValues = def.hiddenRowId ? [row[def.columns.length]!] : def.primaryKey.map((i) => row[i]!);
      const pk = txn.encodePk(def, pkValues);
      const entry = indexEntryBytes(def, index, row, pk);
      if (index.unique) {
        const values = index.columns.map((c) => row[c]!);
        if (!values.some((v) => v === null)) {
          const valueKey = entry.subarray(0, entry.length - pk.length).toString('latin1');
          if (seen.has(valueKey)) {
            throw new DuetError(SqlState.uniqueViolation, `could not create unique index "${index.name}"`, {
              detail: `${keyDetail(def, index.columns, values)} is duplicated.`,
            });
          }
          seen.set(valueKey, values);
        }
      }
      txn.addPendingIndexEntry(def, index, entry, row, latestKey(def.id, pk).toString('latin1'));
    }
  }
}

export async function dropIndex(txn: Transaction, name: string): Promise<void> {
  await txn.lockCatalog(indexEntry(name));
  const entry = txn.lookupCatalog(indexEntry(name));
  if (entry?.kind !== 'index') throw new DuetError(SqlState.undefinedObject, `index "${name}" does not exist`);
  const def = await lockTable(txn, entry.table);
  replaceTable(txn, def, { indexes: def.indexes.filter((i) => i.name !== name) });
  txn.writeCatalog(indexEntry(name), null);
}

export async function addColumn(txn: Transaction, table: string, column: ColumnDef, fill: Value): Promise<TableDef> {
  const def = await lockTable(txn, table);
  if (def.columns.some((c) => c.name === column.name)) throw new DuetError(SqlState.duplicateColumn, `column "${column.name}" of relation "${table}" already exists`);
  if (column.notNull && fill === null && (await hasRows(txn, def))) {
    throw new DuetError(SqlState.notNullViolation, `column "${column.name}" of relation "${table}" contains null values`);
  }
  return replaceTable(txn, def, { columns: [...def.columns, column], fills: [...def.fills, fill] });
}

export async function createView(txn: Transaction, def: ViewDef): Promise<void> {
  await claimName(txn, def.name);
  const value: CatalogValue = { kind: 'view', def: Object.freeze({ ...def }) };
  txn.writeCatalog(viewEntry(def.name), value);
}

export async function dropView(txn: Transaction, name: string): Promise<void> {
  await txn.lockCatalog(viewEntry(name));
  if (txn.lookupCatalog(viewEntry(name)) === null) throw new DuetError(SqlState.undefinedTable, `view "${name}" does not exist`);
  txn.writeCatalog(viewEntry(name), null);
}

async function hasRows(txn: Transaction, def: StoredTableDef): Promise<boolean> {
  for await (const rows of txn.scan(def, { batchRows: 1 })) if (rows.length > 0) return true;
  return false;
}

// The catalog (tables, views, index names) as in-memory MVCC versions, mirrored in the KS_CATALOG keyspace.
// The catalog is small, so every version stays in memory: catalog reads are synchronous and cheap.
import { assert } from './errors.ts';
import { decodeRow, encodeRow } from './rowcodec.ts';
import type { ColumnDef, IndexDef, TableDef, ViewDef } from './api.ts';
import { Types, type SqlType, type Value } from './types.ts';

/** A table definition as stored: the API shape plus what the row store needs internally. */
export interface StoredTableDef extends TableDef {
  /**
   * One value per column: what a row stored before ADD COLUMN reads for that column (rows are stored
   * with the columns that existed when written; a shorter row is completed from fills[row.length..]).
   */
  readonly fills: readonly Value[];
}

export type CatalogValue =
  | { readonly kind: 'table'; readonly def: StoredTableDef }
  | { readonly kind: 'view'; readonly def: ViewDef }
  | { readonly kind: 'index'; readonly table: string };

export interface CatalogVersion {
  readonly ts: number;
  readonly value: CatalogValue | null;
}

export const tableEntry = (name: string): string => `t/${name}`;
export const viewEntry = (name: string): string => `v/${name}`;
export const indexEntry = (name: string): string => `i/${name}`;

export function serializeCatalogValue(v: CatalogValue): string {
  if (v.kind !== 'table') return JSON.stringify(v);
  const { fills, ...rest } = v.def;
  return JSON.stringify({ kind: 'table', def: { ...rest, fills: encodeRow(fills).toString('base64') } });
}

export function parseCatalogValue(json: string): CatalogValue {
  const v = JSON.parse(json) as { kind: string; def?: Record<string, unknown>; table?: string };
  if (v.kind === 'table') {
    const def = v.def as unknown as StoredTableDef & { fills: string };
    return { kind: 'table', def: freezeTable({ ...def, fills: decodeRow(Buffer.from(def.fills, 'base64')) }) };
  }
  if (v.kind === 'view') return { kind: 'view', def: Object.freeze(v.def as unknown as ViewDef) };
  if (v.kind === 'index' && typeof v.table === 'string') return { kind: 'index', table: v.table };
  throw new Error(`unknown catalog entry kind ${v.kind}`);
}

export function freezeTable(def: StoredTableDef): StoredTableDef {
  return Object.freeze({
    ...def,
    columns: Object.freeze(def.columns.map((c: ColumnDef) => Object.freeze({ ...c }))),
    primaryKey: Object.freeze([...def.primaryKey]),
    indexes: Object.freeze(def.indexes.map((i: IndexDef) => Object.freeze({ ...i, columns: Object.freeze([...i.columns]) }))),
    fills: Object.freeze([...def.fills]),
  });
}

/** Types of the encoded primary key: the key columns, or the hidden BIGINT row id. */
export function keyTypes(def: TableDef): SqlType[] {
  if (def.hiddenRowId) return [Types.bigint];
  return def.primaryKey.map((i) => def.columns[i]!.type);
}

export function indexTypes(def: TableDef, index: IndexDef): SqlType[] {
  return index.columns.map((i) => def.columns[i]!.type);
}

/** Every committed version of every catalog entry, newest first per entry. */
export class Catalog {
  private readonly entries = new Map<string, CatalogVersion[]>();
  private readonly tableNamesById = new Map<number, string>();
  maxObjectId = 0;

  /** Adds a committed version (at open, and when a commit is applied). Versions arrive in any order at load. */
  add(name: string, ts: number, value: CatalogValue | null): void {
    let list = this.entries.get(name);
    if (!list) {
      list = [];
      this.entries.set(name, list);
    }
    let at = 0;
    while (at < list.length && list[at]!.ts > ts) at++;
    assert(list[at]?.ts !== ts, 'duplicate catalog version');
    list.splice(at, 0, { ts, value });
    if (value?.kind === 'table') {
      this.tableNamesById.set(value.def.id, value.def.name);
      this.maxObjectId = Math.max(this.maxObjectId, value.def.id, ...value.def.indexes.map((i) => i.id));
    }
  }

  /** Forgets every version (a replica replacing its whole state reloads the catalog from disk). */
  clear(): void {
    this.entries.clear();
    this.tableNamesById.clear();
    this.maxObjectId = 0;
  }

  visible(name: string, readTs: number): CatalogVersion | undefined {
    const list = this.entries.get(name);
    if (!list) return undefined;
    for (const v of list) if (v.ts <= readTs) return v;
    return undefined;
  }

  /** Every committed version of an entry, newest first. */
  versionsOf(name: string): readonly CatalogVersion[] {
    return this.entries.get(name) ?? [];
  }

  /** Commit timestamp of the newest committed version (0 if none). */
  latestTs(name: string): number {
    return this.entries.get(name)?.[0]?.ts ?? 0;
  }

  tableNameById(id: number): string | undefined {
    return this.tableNamesById.get(id);
  }

  names(): IterableIterator<string> {
    return this.entries.keys();
  }

  /**
   * Drops versions no snapshot at or above `horizonTs` can see: per entry, everything older than the newest
   * version <= horizon, and that version too when it is a drop. Returns what was removed (to delete on disk).
   */
  collectGarbage(horizonTs: number): { name: string; ts: number }[] {
    const removed: { name: string; ts: number }[] = [];
    for (const [name, list] of this.entries) {
      const keep = list.findIndex((v) => v.ts <= horizonTs);
      if (keep < 0) continue;
      const dropAll = list[keep]!.value === null;
      const from = dropAll ? keep : keep + 1;
      for (const v of list.slice(from)) removed.push({ name, ts: v.ts });
      list.length = from;
      if (list.length === 0) this.entries.delete(name);
    }
    return removed;
  }
}

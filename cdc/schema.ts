// The table definitions as of a log position, advanced by the catalog writes of each entry in log order,
// and the schema-change events those writes mean (CREATE/DROP TABLE, ADD COLUMN, CREATE/DROP INDEX).
import { parseCatalogValue, tableEntry, type StoredTableDef } from '../oltp/catalog.ts';
import type { Catalog } from '../oltp/catalog.ts';
import type { LogWrite } from '../oltp/commitlog.ts';

export type SchemaChangeKind = 'createTable' | 'dropTable' | 'addColumn' | 'createIndex' | 'dropIndex' | 'alterTable';

export interface SchemaChange {
  readonly kind: SchemaChangeKind;
  readonly table: string;
  readonly tableId: number;
  /** The definition after the change; null for dropTable. */
  readonly def: StoredTableDef | null;
}

export class SchemaTracker {
  private readonly byId = new Map<number, StoredTableDef>();
  private readonly idByName = new Map<string, number>();

  /** Tables visible in the row store's catalog at `ts` (the state just before the first entry to decode). */
  static fromCatalog(catalog: Catalog, ts: number): SchemaTracker {
    const t = new SchemaTracker();
    for (const name of catalog.names()) {
      if (!name.startsWith('t/')) continue;
      const v = catalog.visible(name, ts)?.value;
      if (v?.kind === 'table') t.set(v.def);
    }
    return t;
  }

  static fromDefs(defs: readonly StoredTableDef[]): SchemaTracker {
    const t = new SchemaTracker();
    for (const d of defs) t.set(d);
    return t;
  }

  table(id: number): StoredTableDef | undefined {
    return this.byId.get(id);
  }

  tables(): StoredTableDef[] {
    return [...this.byId.values()];
  }

  /** Applies one entry's catalog writes; returns the schema changes they make, in write order. */
  apply(writes: readonly LogWrite[]): SchemaChange[] {
    const out: SchemaChange[] = [];
    for (const w of writes) {
      if (w.kind !== 'catalog' || !w.name.startsWith('t/')) continue;
      const name = w.name.slice(2);
      const beforeId = this.idByName.get(name);
      const before = beforeId === undefined ? undefined : this.byId.get(beforeId);
      if (w.value === null) {
        if (before) {
          this.delete(before);
          out.push({ kind: 'dropTable', table: name, tableId: before.id, def: null });
        }
        continue;
      }
      const v = parseCatalogValue(w.value);
      if (v.kind !== 'table') continue;
      const def = v.def;
      if (before && before.id !== def.id) {
        // dropped and recreated under the same name in one transaction
        this.delete(before);
        out.push({ kind: 'dropTable', table: name, tableId: before.id, def: null });
      }
      const prev = before?.id === def.id ? before : undefined;
      this.set(def);
      for (const kind of classify(prev, def)) out.push({ kind, table: name, tableId: def.id, def });
    }
    return out;
  }

  private set(def: StoredTableDef): void {
    const old = this.byId.get(def.id);
    if (old) this.idByName.delete(old.name);
    this.byId.set(def.id, def);
    this.idByName.set(def.name, def.id);
  }

  private delete(def: StoredTableDef): void {
    this.byId.delete(def.id);
    this.idByName.delete(def.name);
  }
}

/** The kinds of change from prev to def (one transaction may add a column and create an index). */
function classify(prev: StoredTableDef | undefined, def: StoredTableDef): SchemaChangeKind[] {
  if (!prev) return ['createTable'];
  const kinds: SchemaChangeKind[] = [];
  if (def.columns.length > prev.columns.length) kinds.push('addColumn');
  const before = new Set(prev.indexes.map((i) => i.id));
  const after = new Set(def.indexes.map((i) => i.id));
  if (def.indexes.some((i) => !before.has(i.id))) kinds.push('createIndex');
  if (prev.indexes.some((i) => !after.has(i.id))) kinds.push('dropIndex');
  return kinds.length > 0 ? kinds : ['alterTable'];
}

export { tableEntry };

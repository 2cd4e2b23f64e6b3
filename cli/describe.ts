// The catalog views behind \d: the list of tables and views, and one table's columns, keys and indexes.

import type { Session } from '../query/database.ts';
import type { TableDef, Txn } from '../oltp/api.ts';
import { typeName } from '../oltp/types.ts';
import { renderTable } from './render.ts';

/** Reads the catalog as the session sees it: inside its open transaction, else from a fresh snapshot. */
function withCatalog<T>(session: Session, read: (txn: Txn) => T): T {
  if (session.txn) return read(session.txn);
  const txn = session.db.store.begin({ isolation: 'snapshot' });
  try {
    return read(txn);
  } finally {
    txn.rollback();
  }
}

export function listRelations(session: Session): string {
  const rows = withCatalog(session, (txn) => [
    ...txn.listTables().map((t) => [t.name, 'table']),
    ...txn.listViews().map((v) => [v.name, 'view']),
  ]);
  if (rows.length === 0) return 'Did not find any relations.\n';
  rows.sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1));
  return `${renderTable(['Name', 'Type'], rows, [false, false], 'List of relations')}(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})\n\n`;
}

/** Undefined when no table or view has that name. Views are described by running them with LIMIT 0. */
export async function describeRelation(session: Session, name: string): Promise<string | undefined> {
  const found = withCatalog(session, (txn) => ({ table: txn.getTable(name), view: txn.getView(name) }));
  if (found.table) return describeTable(found.table);
  if (found.view) {
    const result = await session.query(`SELECT * FROM ${quoteIdent(found.view.name)} LIMIT 0`);
    const rows = result.columns.map((c) => [c.name, typeName(c.type)]);
    return `${renderTable(['Column', 'Type'], rows, [false, false], `View "${found.view.name}"`)}View definition:\n ${found.view.sql}\n\n`;
  }
  return undefined;
}

function describeTable(table: TableDef): string {
  const pk = new Set(table.primaryKey);
  const rows = table.columns.map((c, i) => [c.name, typeName(c.type), c.notNull || pk.has(i) ? 'not null' : '', c.defaultSql ?? '']);
  let text = renderTable(['Column', 'Type', 'Nullable', 'Default'], rows, [false, false, false, false], `Table "${table.name}"`);
  const columnList = (ordinals: readonly number[]) => ordinals.map((o) => table.columns[o]?.name ?? `#${o}`).join(', ');
  const indexLines: string[] = [];
  if (!table.hiddenRowId && table.primaryKey.length > 0) indexLines.push(`    "${table.name}_pkey" PRIMARY KEY (${columnList(table.primaryKey)})`);
  for (const index of table.indexes) indexLines.push(`    "${index.name}"${index.unique ? ' UNIQUE' : ''} (${columnList(index.columns)})`);
  if (indexLines.length > 0) text += `Indexes:\n${indexLines.join('\n')}\n`;
  return `${text}\n`;
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

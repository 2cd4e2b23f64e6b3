// A compatible subset of pg_catalog for what psql 15 (\d, \dt, \d TABLE) and pgbench ask at connect
// time, answered from duetdb's own catalog (WireSession.listTables). The queries are recognised by
// fragments of the text these clients send (captured from psql 15.18 and pgbench 15.18 against this
// server); any other query on pg_catalog gets an empty result rather than an error, so a client's
// optional lookups (policies, publications, inheritance, ...) come back "none".

import type { TableDef, ViewDef } from '../../oltp/api.ts';
import { Types, typeName, type SqlType, type Value } from '../../oltp/types.ts';
import type { QueryResult, WireSession } from '../engine.ts';
import type { ClientSettings } from './builtins.ts';

/** Table OIDs shown to clients: stable per table id, in PostgreSQL's user-object range. */
const oidBase = 16384;

interface Col {
  name: string;
  type: SqlType;
}

const text = (name: string): Col => ({ name, type: Types.text });
const bool = (name: string): Col => ({ name, type: Types.boolean });
const int = (name: string): Col => ({ name, type: Types.integer });

function rows(columns: Col[], data: Value[][]): QueryResult {
  return { columns, rows: data, command: `SELECT ${data.length}`, rowCount: data.length };
}

const relkindNames: Record<string, string> = { r: 'table', v: 'view', i: 'index' };

/** One entry of the emulated pg_class: a table, a view or an index. */
interface Relation {
  oid: number;
  name: string;
  kind: 'r' | 'v' | 'i';
  table?: TableDef;
  view?: ViewDef;
  /** For an index: the table it belongs to. */
  ofTable?: string;
}

/** Table OIDs follow the table id; views and indexes get numbers after every table's, by name order. */
function relations(session: WireSession): Relation[] {
  const tables = [...session.listTables()].sort((a, b) => a.name.localeCompare(b.name));
  const out: Relation[] = tables.map((t) => ({ oid: oidBase + t.id, name: t.name, kind: 'r', table: t }));
  let next = oidBase + Math.max(0, ...tables.map((t) => t.id)) + 1;
  for (const view of [...session.listViews()].sort((a, b) => a.name.localeCompare(b.name))) out.push({ oid: next++, name: view.name, kind: 'v', view });
  for (const t of tables) {
    if (!t.hiddenRowId) out.push({ oid: next++, name: `${t.name}_pkey`, kind: 'i', ofTable: t.name });
    for (const index of t.indexes) out.push({ oid: next++, name: index.name, kind: 'i', ofTable: t.name });
  }
  return out;
}

const listColumns = [text('Schema'), text('Name'), text('Type'), text('Owner')];

export async function answerCatalogQuery(sql: string, _params: readonly Value[], session: WireSession, settings: ClientSettings): Promise<QueryResult | undefined> {
  if (!/\bpg_catalog\.|\bpg_class\b|\bpg_namespace\b|\binformation_schema\./i.test(sql)) return undefined;
  const owner = settings.values.get('session_authorization') ?? 'duet';
  const oidMatch = /\.oid = '(\d+)'|attrelid = '(\d+)'|conrelid = '(\d+)'|inhrelid = '(\d+)'/.exec(sql);
  const targetOid = oidMatch?.slice(1).find((g) => g !== undefined);
  const target = (): Relation | undefined => relations(session).find((r) => String(r.oid) === targetOid);

  // \l: the one database.
  if (/FROM pg_catalog\.pg_database d/i.test(sql) && /as "Name"/i.test(sql)) {
    return rows([text('Name'), text('Owner'), text('Encoding'), text('Collate'), text('Ctype'), text('Access privileges')], [['duet', owner, 'UTF8', 'C', 'C', null]]);
  }
  // \dn: the one schema.
  if (/FROM pg_catalog\.pg_namespace n\s/i.test(sql) && /AS "Name"/i.test(sql) && !/pg_class/i.test(sql)) {
    return rows([text('Name'), text('Owner')], [['public', owner]]);
  }

  // \dt, \d, \dv, \di ...: the relation list.
  if (/as "Schema"/i.test(sql) && /as "Name"/i.test(sql) && /c\.relkind IN \(/i.test(sql) && /as "Owner"/i.test(sql)) {
    const kinds = /c\.relkind IN \(([^)]*)\)/i.exec(sql)![1]!;
    const withTable = /as "Table"/i.test(sql);
    const pattern = namePattern(sql);
    const data = relations(session)
      .filter((r) => kinds.includes(`'${r.kind}'`) && (pattern === undefined || pattern.test(r.name)))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => {
        const row: Value[] = ['public', r.name, relkindNames[r.kind]!, owner];
        if (withTable) row.push(r.ofTable ?? null);
        return row;
      });
    return rows(withTable ? [...listColumns, text('Table')] : listColumns, data);
  }

  // \d NAME, step 1: which relations the pattern names.
  if (/^SELECT c\.oid,\s*n\.nspname,\s*c\.relname\s+FROM pg_catalog\.pg_class c/i.test(sql)) {
    const pattern = namePattern(sql);
    const data = relations(session)
      .filter((r) => r.kind !== 'i' && (pattern === undefined || pattern.test(r.name)))
      .map((r) => [r.oid, 'public', r.name]);
    return rows([int('oid'), text('nspname'), text('relname')], data);
  }

  // \d NAME, step 2: the relation's properties.
  if (/^SELECT c\.relchecks, c\.relkind, c\.relhasindex/i.test(sql)) {
    const r = target();
    const columns = [
      int('relchecks'), text('relkind'), bool('relhasindex'), bool('relhasrules'), bool('relhastriggers'),
      bool('relrowsecurity'), bool('relforcerowsecurity'), bool('relhasoids'), bool('relispartition'), text('reloptions'),
      int('reltablespace'), text('reloftype'), text('relpersistence'), text('relreplident'), text('amname'),
    ];
    if (!r) return rows(columns, []);
    const hasIndex = r.table !== undefined && (!r.table.hiddenRowId || r.table.indexes.length > 0);
    return rows(columns, [[0, r.kind, hasIndex, false, false, false, false, false, false, '', 0, '', 'p', 'd', r.kind === 'r' ? 'heap' : null]]);
  }

  // \d NAME, step 3: the columns.
  if (/FROM pg_catalog\.pg_attribute a/i.test(sql) && /a\.attname/i.test(sql) && /format_type/i.test(sql)) {
    const columns = [text('attname'), text('format_type'), text('pg_get_expr'), bool('attnotnull'), text('attcollation'), text('attidentity'), text('attgenerated')];
    const verbose = /attstorage/i.test(sql);
    if (verbose) columns.push(text('attstorage'), text('attcompression'), text('attstattarget'), text('col_description'));
    const data = (await columnsOf(session, target())).map((c) => {
      const row: Value[] = [c.name, formatType(c.type), c.defaultSql ?? null, c.notNull, null, '', ''];
      if (verbose) row.push(c.type.id === 'varchar' || c.type.id === 'decimal' ? 'x' : 'p', '', null, null);
      return row;
    });
    return rows(columns, data);
  }

  // \d+ VIEW: the definition.
  if (/pg_catalog\.pg_get_viewdef\(/i.test(sql)) {
    const r = target() ?? relations(session).find((x) => sql.includes(`'${x.oid}'`));
    return rows([text('pg_get_viewdef')], r?.view ? [[r.view.sql]] : []);
  }

  // \d NAME, step 4: the indexes (primary key first).
  if (/FROM pg_catalog\.pg_class c, pg_catalog\.pg_class c2, pg_catalog\.pg_index i/i.test(sql)) {
    const t = target()?.table;
    const columns = [
      text('relname'), bool('indisprimary'), bool('indisunique'), bool('indisclustered'), bool('indisvalid'), text('pg_get_indexdef'),
      text('pg_get_constraintdef'), text('contype'), bool('condeferrable'), bool('condeferred'), bool('indisreplident'), int('reltablespace'),
    ];
    return rows(columns, t ? indexRows(t) : []);
  }

  // Anything else on the catalog: "nothing of that kind here".
  return { columns: [], rows: [], command: 'SELECT 0', rowCount: 0 };
}

interface ColumnShape {
  name: string;
  type: SqlType;
  notNull: boolean;
  defaultSql?: string | undefined;
}

/** A table's columns from its definition; a view's by running it for zero rows. */
async function columnsOf(session: WireSession, r: Relation | undefined): Promise<ColumnShape[]> {
  if (r?.table) {
    const t = r.table;
    return t.columns.map((c, i) => ({ name: c.name, type: c.type, notNull: c.notNull || (!t.hiddenRowId && t.primaryKey.includes(i)), defaultSql: c.defaultSql }));
  }
  if (r?.view) {
    const result = await session.query(`SELECT * FROM "${r.name.replaceAll('"', '""')}" LIMIT 0`, []);
    return result.columns.map((c) => ({ name: c.name, type: c.type, notNull: false }));
  }
  return [];
}

/** pg_catalog.format_type's spelling (psql shows it in \\d). */
function formatType(t: SqlType): string {
  return t.id === 'timestamp' ? 'timestamp without time zone' : typeName(t);
}

function indexRows(t: TableDef): Value[][] {
  const names = (ordinals: readonly number[]): string => ordinals.map((o) => t.columns[o]?.name ?? '?').join(', ');
  const out: Value[][] = [];
  if (!t.hiddenRowId) {
    const name = `${t.name}_pkey`;
    const cols = names(t.primaryKey);
    out.push([name, true, true, false, true, `CREATE UNIQUE INDEX ${name} ON public.${t.name} USING btree (${cols})`, `PRIMARY KEY (${cols})`, 'p', false, false, false, 0]);
  }
  for (const index of [...t.indexes].sort((a, b) => a.name.localeCompare(b.name))) {
    const cols = names(index.columns);
    const def = `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${index.name} ON public.${t.name} USING btree (${cols})`;
    out.push([index.name, false, index.unique, false, true, def, null, null, false, false, false, 0]);
  }
  return out;
}

/** The `c.relname OPERATOR(pg_catalog.~) '^(foo)$'` filter psql sends for a name pattern. */
function namePattern(sql: string): RegExp | undefined {
  const m = /relname OPERATOR\(pg_catalog\.~\) '((?:[^']|'')*)'/i.exec(sql);
  if (!m) return undefined;
  try {
    return new RegExp(m[1]!.replaceAll("''", "'"));
  } catch {
    return /$^/;
  }
}

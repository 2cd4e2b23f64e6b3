// DDL against the row store's transactional catalog: CREATE/DROP TABLE, CREATE/DROP INDEX,
// ALTER TABLE ADD COLUMN, CREATE/DROP VIEW.

import type { ColumnDef, NewTable, Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import NSP from 'node-sql-parser';
import { identName } from '../bind/expr.ts';
import { typeFromDef } from '../bind/types.ts';
import type { Ast } from '../parse/parse.ts';
import { evalDefault } from './defaults.ts';

const printer = new NSP.Parser();

export interface DdlResult { command: string }

export async function runCreateTable(txn: Txn, ast: Ast): Promise<DdlResult> {
  const name = String(ast.table?.[0]?.table ?? '').toLowerCase();
  if (ast.if_not_exists && (txn.getTable(name) || txn.getView(name))) return { command: 'CREATE TABLE' };
  const columns: ColumnDef[] = [];
  let primaryKey: number[] = [];
  const uniques: { name?: string; columns: number[] }[] = [];
  const defs: Ast[] = ast.create_definitions ?? [];
  const ordinal = (colAst: Ast): number => {
    const n = identName(colAst.column ?? colAst).toLowerCase();
    const i = columns.findIndex((c) => c.name === n);
    if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${n}" named in key does not exist`);
    return i;
  };
  for (const d of defs) {
    if (d.resource !== 'column') continue;
    const colName = identName(d.column.column).toLowerCase();
    if (columns.some((c) => c.name === colName)) throw new DuetError(SqlState.duplicateColumn, `column "${colName}" specified more than once`);
    const type = typeFromDef(d.definition);
    const isPk = Boolean(d.primary_key);
    const notNull = isPk || String(d.nullable?.type ?? '').toLowerCase() === 'not null';
    const col: ColumnDef = { name: colName, type, notNull, ...(d.default_val ? { defaultSql: exprSql(d.default_val.value) } : {}) };
    columns.push(col);
    if (isPk) {
      if (primaryKey.length > 0) throw new DuetError(SqlState.syntaxError, `multiple primary keys for table "${name}" are not allowed`);
      primaryKey = [columns.length - 1];
    }
    if (d.unique) uniques.push({ columns: [columns.length - 1] });
  }
  for (const d of defs) {
    if (d.resource !== 'constraint') continue;
    const kind = String(d.constraint_type ?? '').toLowerCase();
    const cols = (d.definition as Ast[]).map(ordinal);
    if (kind === 'primary key') {
      if (primaryKey.length > 0) throw new DuetError(SqlState.syntaxError, `multiple primary keys for table "${name}" are not allowed`);
      primaryKey = cols;
      for (const i of cols) columns[i] = { ...columns[i]!, notNull: true };
    } else if (kind.startsWith('unique')) {
      uniques.push({ ...(d.constraint ? { name: String(d.constraint) } : {}), columns: cols });
    } else {
      throw new DuetError(SqlState.featureNotSupported, `constraint ${kind.toUpperCase()} is not supported`);
    }
  }
  // validate DEFAULTs now so a bad one fails at CREATE, not at the first INSERT
  for (const c of columns) if (c.defaultSql !== undefined) evalDefault(c.defaultSql, c.type);
  const def: NewTable = { name, columns, primaryKey, ...(uniques.length > 0 ? { uniques } : {}) };
  await txn.createTable(def);
  return { command: 'CREATE TABLE' };
}

function exprSql(ast: Ast): string {
  return printer.exprToSQL(ast, { database: 'PostgreSQL' });
}

export async function runDrop(txn: Txn, ast: Ast): Promise<DdlResult> {
  const keyword = String(ast.keyword).toLowerCase();
  const ifExists = /if exists/i.test(String(ast.prefix ?? ''));
  if (keyword === 'table' || keyword === 'view') {
    for (const n of ast.name as Ast[]) {
      const name = String(n.table ?? identName(n)).toLowerCase();
      const exists = keyword === 'table' ? txn.getTable(name) : txn.getView(name);
      if (!exists) {
        if (ifExists) continue;
        throw new DuetError(SqlState.undefinedTable, `${keyword === 'table' ? 'table' : 'view'} "${name}" does not exist`);
      }
      if (keyword === 'table') await txn.dropTable(name);
      else await txn.dropView(name);
    }
    return { command: keyword === 'table' ? 'DROP TABLE' : 'DROP VIEW' };
  }
  if (keyword === 'index') {
    const names = Array.isArray(ast.name) ? ast.name : [ast.name];
    for (const n of names as Ast[]) {
      const name = (n?.column ? identName(n.column) : String(n?.table ?? identName(n))).toLowerCase();
      const found = txn.listTables().some((t) => t.indexes.some((i) => i.name === name));
      if (!found) {
        if (ifExists) continue;
        throw new DuetError(SqlState.undefinedObject, `index "${name}" does not exist`);
      }
      await txn.dropIndex(name);
    }
    return { command: 'DROP INDEX' };
  }
  throw new DuetError(SqlState.featureNotSupported, `DROP ${keyword.toUpperCase()} is not supported`);
}

export async function runCreateIndex(txn: Txn, ast: Ast): Promise<DdlResult> {
  const tableName = String(ast.table?.table ?? ast.table?.[0]?.table).toLowerCase();
  const table = txn.getTable(tableName);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${tableName}" does not exist`);
  const columns = (ast.index_columns as Ast[]).map((c) => {
    const n = identName(c.column ?? c.expr?.column ?? c).toLowerCase();
    const i = table.columns.findIndex((tc) => tc.name === n);
    if (i < 0) throw new DuetError(SqlState.undefinedColumn, `column "${n}" does not exist`);
    return i;
  });
  const name = ast.index ? String(ast.index).toLowerCase() : `${tableName}_${columns.map((i) => table.columns[i]!.name).join('_')}_idx`;
  const exists = txn.listTables().some((t) => t.indexes.some((i) => i.name === name));
  if (exists) {
    if (ast.if_not_exists) return { command: 'CREATE INDEX' };
    throw new DuetError(SqlState.duplicateTable, `relation "${name}" already exists`);
  }
  await txn.createIndex(tableName, { name, columns, unique: String(ast.index_type ?? '').toLowerCase() === 'unique' });
  return { command: 'CREATE INDEX' };
}

export async function runAlter(txn: Txn, ast: Ast): Promise<DdlResult> {
  const tableName = String(ast.table?.[0]?.table ?? '').toLowerCase();
  const table = txn.getTable(tableName);
  if (!table) throw new DuetError(SqlState.undefinedTable, `relation "${tableName}" does not exist`);
  for (const action of ast.expr as Ast[]) {
    if (String(action.action).toLowerCase() !== 'add' || action.resource !== 'column') {
      throw new DuetError(SqlState.featureNotSupported, 'only ALTER TABLE ... ADD COLUMN is supported');
    }
    const name = identName(action.column.column).toLowerCase();
    if (txn.getTable(tableName)!.columns.some((c) => c.name === name)) {
      if (action.if_not_exists) continue;
      throw new DuetError(SqlState.duplicateColumn, `column "${name}" of relation "${tableName}" already exists`);
    }
    const type = typeFromDef(action.definition);
    const notNull = String(action.nullable?.type ?? '').toLowerCase() === 'not null';
    const defaultSql = action.default_val ? exprSql(action.default_val.value) : undefined;
    const fill: Value = defaultSql === undefined ? null : evalDefault(defaultSql, type);
    if (notNull && fill === null && (await hasRows(txn, tableName))) {
      throw new DuetError(SqlState.notNullViolation, `column "${name}" of relation "${tableName}" contains null values`);
    }
    await txn.addColumn(tableName, { name, type, notNull, ...(defaultSql !== undefined ? { defaultSql } : {}) }, fill);
  }
  return { command: 'ALTER TABLE' };
}

async function hasRows(txn: Txn, tableName: string): Promise<boolean> {
  const table = txn.getTable(tableName)!;
  for await (const rows of txn.scan(table, { batchRows: 1 })) if (rows.length > 0) return true;
  return false;
}

export async function runCreateView(txn: Txn, ast: Ast, sqlText: string): Promise<DdlResult> {
  const name = String(ast.view?.view ?? ast.view?.table ?? identName(ast.view)).toLowerCase();
  // keep the user's own text of the SELECT: it is re-bound at every use
  const m = /^as\s+([\s\S]*)$/i.exec(sqlText.replace(/^[\s\S]*?\bview\s+[^\s(]+(\s*\([^)]*\))?\s*/i, ''));
  const body = m ? m[1]!.trim() : printer.sqlify(ast.select, { database: 'PostgreSQL' });
  const columnNames = Array.isArray(ast.columns) && ast.columns.length > 0 ? (ast.columns as Ast[]).map((c) => identName(c).toLowerCase()) : undefined;
  if (ast.replace && txn.getView(name)) await txn.dropView(name);
  await txn.createView({ name, sql: body, ...(columnNames ? { columnNames } : {}) });
  return { command: 'CREATE VIEW' };
}

// Statements pgbench needs that the SQL layer does not have yet, served here by equivalent statements
// it does have, each announced with a NOTICE. Delete each one once query/ implements the statement:
//   TRUNCATE t, ...                     → DELETE FROM t (same transaction, same effect)
//   ALTER TABLE t ADD PRIMARY KEY (c)   → empty table without indexes: recreated with the primary key;
//                                         otherwise: a unique index t_pkey on (c)
//   CREATE TABLE ... WITH (fillfactor=) → the storage parameters are dropped (no meaning in duetdb)

import type { ColumnDef } from '../../oltp/api.ts';
import { typeName } from '../../oltp/types.ts';
import type { QueryResult, WireSession } from '../engine.ts';
import type { Report } from './messages.ts';

const name = String.raw`(?:"(?:[^"]|"")+"|[\w.]+)`;
const truncateRe = new RegExp(String.raw`^truncate\s+(?:table\s+)?(${name}(?:\s*,\s*${name})*)\s*;?\s*$`, 'i');
const addKeyRe = new RegExp(String.raw`^alter\s+table\s+(?:only\s+)?(${name})\s+add\s+primary\s+key\s*\(([^)]*)\)\s*;?\s*$`, 'i');
const storageParam = String.raw`(?:fillfactor|autovacuum_\w+|toast\.\w+)\s*=\s*[\w.]+`;
const createWithRe = new RegExp(String.raw`^(\s*create\s+(?:unlogged\s+)?table\b[\s\S]*\))\s*with\s*\(\s*(${storageParam}(?:\s*,\s*${storageParam})*)\s*\)\s*;?\s*$`, 'i');

export interface StopgapOutcome {
  result: QueryResult;
  notice?: Report;
}

const notice = (message: string): Report => ({ severity: 'NOTICE', code: '00000', message });
const done = (command: string): QueryResult => ({ columns: [], rows: [], command, rowCount: 0 });

function bare(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replaceAll('""', '"') : ident.toLowerCase();
}

const quote = (ident: string): string => `"${ident.replaceAll('"', '""')}"`;

/** Serves `sql` if it is one of the statements above; undefined means: give it to the engine. */
export async function runStopgap(sql: string, params: readonly unknown[], session: WireSession): Promise<StopgapOutcome | undefined> {
  const truncate = truncateRe.exec(sql);
  if (truncate) {
    let rows = 0;
    for (const table of truncate[1]!.split(',')) rows += (await session.query(`DELETE FROM ${table.trim()}`, [])).rowCount;
    return { result: done('TRUNCATE TABLE'), notice: notice(`TRUNCATE is served as DELETE (${rows} rows)`) };
  }
  const addKey = addKeyRe.exec(sql);
  if (addKey) return addPrimaryKey(session, bare(addKey[1]!), addKey[2]!.split(',').map((c) => bare(c.trim())));
  const create = createWithRe.exec(sql);
  if (create) {
    const result = await session.query(create[1]!, params as never);
    return { result, notice: notice(`storage parameters (${create[2]}) have no effect in duetdb and were ignored`) };
  }
  return undefined;
}

async function addPrimaryKey(session: WireSession, table: string, keyColumns: string[]): Promise<StopgapOutcome> {
  const def = session.listTables().find((t) => t.name === table);
  const keyName = `${table}_pkey`;
  const empty = def !== undefined && (await session.query(`SELECT 1 FROM ${quote(table)} LIMIT 1`, [])).rows.length === 0;
  if (def && def.hiddenRowId && def.indexes.length === 0 && empty) {
    // Nothing to carry over: the table is recreated with the key, in one transaction.
    const columns = def.columns.map((c) => columnSql(c, keyColumns.includes(c.name)));
    const create = `CREATE TABLE ${quote(table)} (${columns.join(', ')}, PRIMARY KEY (${keyColumns.map(quote).join(', ')}))`;
    await inTransaction(session, async () => {
      await session.query(`DROP TABLE ${quote(table)}`, []);
      await session.query(create, []);
    });
    return { result: done('ALTER TABLE'), notice: notice(`ALTER TABLE ... ADD PRIMARY KEY: the empty table "${table}" was recreated with the key`) };
  }
  await session.query(`CREATE UNIQUE INDEX ${quote(keyName)} ON ${quote(table)} (${keyColumns.map(quote).join(', ')})`, []);
  return { result: done('ALTER TABLE'), notice: notice(`ALTER TABLE ... ADD PRIMARY KEY is served as a unique index "${keyName}" on (${keyColumns.join(', ')})`) };
}

function columnSql(c: ColumnDef, inKey: boolean): string {
  const parts = [quote(c.name), typeName(c.type)];
  if (c.notNull || inKey) parts.push('NOT NULL');
  if (c.defaultSql !== undefined) parts.push(`DEFAULT ${c.defaultSql}`);
  return parts.join(' ');
}

async function inTransaction(session: WireSession, work: () => Promise<void>): Promise<void> {
  if (session.inTransaction) return work();
  await session.query('BEGIN', []);
  try {
    await work();
    await session.query('COMMIT', []);
  } catch (error) {
    await session.query('ROLLBACK', []).catch(() => undefined);
    throw error;
  }
}

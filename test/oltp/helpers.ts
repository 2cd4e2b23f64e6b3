// Shared helpers for row-store tests: temporary data directories and small table definitions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnDef, NewTable, Txn } from '../../oltp/api.ts';
import { RowStore, type RowStoreOpenOptions } from '../../oltp/rowstore.ts';
import { Types, type Row } from '../../oltp/types.ts';

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duet-oltp-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function openStore(dir = tempDir(), options: RowStoreOpenOptions = {}): Promise<RowStore> {
  return RowStore.open(dir, { gcIntervalMs: 0, ...options });
}

export function col(name: string, type = Types.integer, notNull = false): ColumnDef {
  return { name, type, notNull };
}

/** `accounts(id integer primary key, balance integer)`-style table spec. */
export function kvTable(name = 't'): NewTable {
  return { name, columns: [col('id', Types.integer, true), col('v', Types.integer)], primaryKey: [0] };
}

export async function scanAll(txn: Txn, tableName: string, options = {}): Promise<Row[]> {
  const def = txn.getTable(tableName);
  if (!def) throw new Error(`no table ${tableName}`);
  const out: Row[] = [];
  for await (const batch of txn.scan(def, options)) out.push(...batch);
  return out;
}

export async function createKv(store: RowStore, name = 't', rows: Row[] = []): Promise<void> {
  const txn = store.begin();
  const def = await txn.createTable(kvTable(name));
  for (const r of rows) await txn.insert(def, r);
  await txn.commit();
}

/** Expects the promise to reject with a DuetError carrying `code`; returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error & { code: string; detail?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code: string };
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  throw new Error(`expected an error with code ${code}, but it succeeded`);
}

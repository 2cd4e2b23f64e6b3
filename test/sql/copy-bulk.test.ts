// COPY of many rows is one statement: a duplicate key near the end of the file, or against a row already
// in the table, raises 23505 and loads nothing; a clean file loads every row with its values cast; more rows
// than one COPY may hold in memory raise 54000 and load nothing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { COPY_MAX_ROWS, runCopy } from '../../query/run/copy.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;
const files = mkdtempSync(join(tmpdir(), 'duet-copy-bulk-'));
const ROWS = 20_000;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
});
afterAll(async () => cleanup());

function tblLine(o: number, l: number): string {
  return `${o}|${l}|${(o * 7 + l) % 1000}.${String(l).padStart(2, '0')}|199${o % 10}-0${(l % 9) + 1}-1${l % 10}|`;
}

function writeTbl(name: string, keys: readonly (readonly [number, number])[]): string {
  const file = join(files, name);
  writeFileSync(file, keys.map(([o, l]) => tblLine(o, l)).join('\n') + '\n');
  return file;
}

const count = async (table: string) => (await db.query(`SELECT count(*) FROM ${table}`)).rows[0]![0];

describe('COPY with many rows', () => {
  const keys = Array.from({ length: ROWS }, (_v, i) => [Math.floor(i / 4) + 1, (i % 4) + 1] as const);

  it('a duplicate key in the last lines of the file loads nothing (23505)', async () => {
    await db.query('CREATE TABLE li_a (o INTEGER, l INTEGER, price DECIMAL(15,2), shipped DATE, PRIMARY KEY (o, l))');
    const file = writeTbl('dup-in-file.tbl', [...keys, keys[10]!]);
    await expect(db.query(`COPY li_a FROM '${file}' (FORMAT tbl)`)).rejects.toMatchObject({ code: '23505' });
    expect(await count('li_a')).toBe(0);
    // the table is usable afterwards: the same file without the duplicate loads in full
    const clean = writeTbl('clean.tbl', keys);
    const r = await db.query(`COPY li_a FROM '${clean}' (FORMAT tbl)`);
    expect(r.rowCount).toBe(ROWS);
    expect(await count('li_a')).toBe(ROWS);
    expect((await db.query('SELECT price, shipped FROM li_a WHERE o = 3 AND l = 2')).rows).toEqual([['23.02', '1993-03-12']]);
  });

  it('a key that already exists in the table, met at the end of the file, loads nothing (23505)', async () => {
    await db.query('CREATE TABLE li_b (o INTEGER, l INTEGER, price DECIMAL(15,2), shipped DATE, PRIMARY KEY (o, l))');
    await db.query(`INSERT INTO li_b VALUES (999999, 1, 1.00, '2000-01-01')`);
    const file = writeTbl('dup-existing.tbl', [...keys, [999999, 1]]);
    await expect(db.query(`COPY li_b FROM '${file}' (FORMAT tbl)`)).rejects.toMatchObject({ code: '23505' });
    expect(await count('li_b')).toBe(1);
  });

  it('more rows than the limit fail with 54000 and load nothing', async () => {
    expect(COPY_MAX_ROWS).toBeGreaterThanOrEqual(ROWS); // the files above load under the default limit
    await db.query('CREATE TABLE li_c (o INTEGER, l INTEGER, price DECIMAL(15,2), shipped DATE, PRIMARY KEY (o, l))');
    const file = writeTbl('over-limit.tbl', keys);
    const stmt = { kind: 'copy', table: 'li_c', columns: null, file, options: { format: 'tbl', delimiter: null, header: false, nullString: null } } as const;
    const limit = ROWS - 1;
    const txn = db.store.begin();
    await expect(runCopy(txn, stmt, undefined, limit)).rejects.toMatchObject({ code: '54000', message: expect.stringContaining(`line ${ROWS}`) });
    txn.rollback();
    expect(await count('li_c')).toBe(0);
    // exactly at the limit: loads
    const txn2 = db.store.begin();
    expect((await runCopy(txn2, stmt, undefined, ROWS)).rowCount).toBe(ROWS);
    await txn2.commit();
    expect(await count('li_c')).toBe(ROWS);
  });
});

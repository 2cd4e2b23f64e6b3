// db.queryArrow returns an apache-arrow Table on both paths (the same values, SQL types kept), and a
// session records which path answered its last SELECT (the REPL's \timing line).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { arrowToRows } from '../../olap/learner/result-arrow.ts';
import { Client } from '../../cli/client.ts';
import { PassThrough } from 'node:stream';

let db: Database;
let dir: string;
const ROWS = 3000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-query-arrow-'));
  db = await Database.open(dir, { learner: { worker: false } });
  await db.query('CREATE TABLE t (id INT PRIMARY KEY, k BIGINT, price DECIMAL(10,2), d DATE, name TEXT)');
  const values = Array.from({ length: ROWS }, (_, j) => {
    const i = j + 1;
    return i % 10 === 0 ? `(${i}, NULL, NULL, NULL, NULL)` : `(${i}, ${i * 1000}, ${i}.25, DATE '2000-01-01' + ${i}, 'n${i % 5}')`;
  });
  await db.query(`INSERT INTO t VALUES ${values.join(', ')}`);
  await learnerOf(db.store)!.caughtUp();
});

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rowsOf = (t: Table): unknown[][] => arrowToRows(t.batches);

describe('db.queryArrow', () => {
  it('returns the same Table on the row and the column path, with SQL types as Arrow types', async () => {
    const sql = 'SELECT id, k, price, d, name FROM t WHERE id > $1 ORDER BY id';
    const row = await db.queryArrow(`/*+ engine(row) */ ${sql}`, [100]);
    const column = await db.queryArrow(`/*+ engine(column) */ ${sql}`, [100]);
    expect(row.numRows).toBe(ROWS - 100);
    expect(column.numRows).toBe(ROWS - 100);
    expect(rowsOf(column)).toEqual(rowsOf(row));
    expect(column.schema.fields.map((f) => String(f.type))).toEqual(['Int32', 'Int64', 'Decimal[10e+2]', 'Date32<DAY>', 'Utf8']);
    expect(row.schema.fields.map((f) => String(f.type))).toEqual(['Int32', 'Int64', 'Decimal[10e+2]', 'Date32<DAY>', 'Utf8']);
    expect(column.schema.fields[2]!.metadata.get('duet.type')).toBe(JSON.stringify({ id: 'decimal', precision: 10, scale: 2 }));
    // read through apache-arrow's own API: id 101 is the first row, id 110 has NULLs
    const ids = column.getChild('id')!;
    expect(ids.get(0)).toBe(101);
    expect(column.getChild('name')!.get(0)).toBe('n1');
    expect(column.getChild('d')!.get(0)).toBe(Date.UTC(2000, 0, 1) + 101 * 86_400_000);
    expect(column.getChild('k')!.get(9)).toBeNull();
    expect(column.getChild('k')!.get(0)).toBe(101_000n);
  });

  it('an aggregation on the column path and a primary-key point read both come back as Arrow', async () => {
    const agg = await db.queryArrow('/*+ engine(column) */ SELECT name, count(*), sum(price) FROM t GROUP BY name ORDER BY name');
    expect(rowsOf(agg)).toEqual((await db.queryArrow('/*+ engine(row) */ SELECT name, count(*), sum(price) FROM t GROUP BY name ORDER BY name').then(rowsOf)));
    expect(agg.numRows).toBe(6); // n0..n4 and NULL
    const point = await db.queryArrow('SELECT price FROM t WHERE id = 7');
    expect(String(point.schema.fields[0]!.type)).toBe('Decimal[10e+2]');
    expect(rowsOf(point)).toEqual([[725n]]);
  });

  it('empty results keep their schema; repeated names get a suffix; other statements give their public rows', async () => {
    const empty = await db.queryArrow('/*+ engine(column) */ SELECT id, name FROM t WHERE id < 0');
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => f.name)).toEqual(['id', 'name']);
    const twice = await db.queryArrow('SELECT id, id FROM t WHERE id < 3 ORDER BY 1');
    expect(twice.schema.fields.map((f) => f.name)).toEqual(['id', 'id_1']);
    await db.query("SET duet.engine = 'row'");
    const show = await db.queryArrow('SHOW duet.engine');
    expect(rowsOf(show)).toEqual([['row']]);
    await db.query("SET duet.engine = 'auto'");
  });
});

describe('the path that answered', () => {
  it('session.lastPath names the path of the last SELECT', async () => {
    const s = db.session();
    try {
      await s.query('/*+ engine(column) */ SELECT count(*) FROM t');
      expect(s.lastPath).toBe('column');
      await s.query('/*+ engine(row) */ SELECT count(*) FROM t');
      expect(s.lastPath).toBe('row');
      await s.query('SELECT * FROM t WHERE id = 1');
      expect(s.lastPath).toBe('row');
      await s.query('SET duet.engine = column');
      expect(s.lastPath).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('the REPL\'s \\timing line names it', async () => {
    const s = db.session();
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    try {
      const client = new Client(s, 'csv', { stdout: out, stderr: new PassThrough() }, 'line');
      client.timing = true;
      expect(await client.runStatement('/*+ engine(column) */ SELECT count(*) FROM t')).toBe(true);
      expect(await client.runStatement('/*+ engine(row) */ SELECT count(*) FROM t')).toBe(true);
      expect(await client.runStatement("SET duet.engine = 'auto'")).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(text).toMatch(/^count\n3000\nTime: \d+\.\d{3} ms \(column\)\ncount\n3000\nTime: \d+\.\d{3} ms \(row\)\n(SET\n)?Time: \d+\.\d{3} ms\n$/);
    } finally {
      await s.close();
    }
  });
});

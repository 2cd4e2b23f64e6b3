// DDL and bulk load: indexes (used by the planner), ALTER TABLE ADD COLUMN, views, DROP, IF [NOT]
// EXISTS, composite primary keys, INSERT ... SELECT, COPY from csv and .tbl files, EXPLAIN.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import { openTempDb } from './helpers.ts';

let db: Database;
let cleanup: () => Promise<void>;
const files = mkdtempSync(join(tmpdir(), 'duet-copy-'));

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
});
afterAll(async () => cleanup());

const rows = async (sql: string) => (await db.query(sql)).rows;
const plan = async (sql: string) => (await db.query(`EXPLAIN ${sql}`)).rows.map((r) => r[0]).join('\n');

describe('DDL', () => {
  it('composite primary keys: point lookups and prefix ranges', async () => {
    await db.query('CREATE TABLE ol (o INTEGER, l INTEGER, qty DECIMAL(10,2), PRIMARY KEY (o, l))');
    await db.query('INSERT INTO ol SELECT a, b, a * 10 + b FROM (VALUES (1, 1), (1, 2), (2, 1), (2, 2), (3, 1)) AS v(a, b)');
    expect(await plan('SELECT * FROM ol WHERE o = 2 AND l = 1')).toContain('Point Get on ol');
    expect(await rows('SELECT qty FROM ol WHERE o = 2 AND l = 1')).toEqual([['21.00']]);
    expect(await plan('SELECT * FROM ol WHERE o = 2')).toContain('Primary Key Range Scan on ol');
    expect(await rows('SELECT l FROM ol WHERE o = 2 ORDER BY l')).toEqual([[1], [2]]);
    expect(await rows('SELECT o, l FROM ol WHERE o >= 2 AND o < 3 ORDER BY o, l')).toEqual([[2, 1], [2, 2]]);
  });

  it('secondary indexes are chosen for equality and give the same answer', async () => {
    await db.query('CREATE TABLE p (id INTEGER PRIMARY KEY, tag VARCHAR(10), score INTEGER)');
    await db.query(`INSERT INTO p VALUES (1, 'a', 5), (2, 'b', 7), (3, 'a', 9), (4, NULL, 1)`);
    await db.query('CREATE INDEX p_tag ON p (tag)');
    expect(await plan(`SELECT id FROM p WHERE tag = 'a'`)).toContain('Index Scan using p_tag');
    expect(await rows(`SELECT id FROM p WHERE tag = 'a' ORDER BY id`)).toEqual([[1], [3]]);
    await db.query('CREATE UNIQUE INDEX p_score ON p (score)');
    await expect(db.query(`INSERT INTO p VALUES (5, 'c', 7)`)).rejects.toMatchObject({ code: '23505' });
    await db.query('DROP INDEX p_score');
    await db.query(`INSERT INTO p VALUES (5, 'c', 7)`);
    expect(await rows('SELECT count(*) FROM p WHERE score = 7')).toEqual([[2]]);
  });

  it('ALTER TABLE ADD COLUMN fills existing rows with the default', async () => {
    await db.query('CREATE TABLE a1 (id INTEGER PRIMARY KEY)');
    await db.query('INSERT INTO a1 VALUES (1), (2)');
    await db.query(`ALTER TABLE a1 ADD COLUMN status VARCHAR(8) DEFAULT 'new'`);
    await db.query(`INSERT INTO a1 (id, status) VALUES (3, 'old')`);
    expect(await rows('SELECT id, status FROM a1 ORDER BY id')).toEqual([[1, 'new'], [2, 'new'], [3, 'old']]);
  });

  it('views, IF [NOT] EXISTS and DROP', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS a1 (x INTEGER)');
    await db.query(`CREATE VIEW fresh AS SELECT id FROM a1 WHERE status = 'new'`);
    expect(await rows('SELECT * FROM fresh ORDER BY id')).toEqual([[1], [2]]);
    await db.query('DROP VIEW fresh');
    await expect(db.query('SELECT * FROM fresh')).rejects.toMatchObject({ code: '42P01' });
    await expect(db.query('CREATE TABLE a1 (x INTEGER)')).rejects.toMatchObject({ code: '42P07' });
    await db.query('DROP TABLE a1');
    await db.query('DROP TABLE IF EXISTS a1');
    await expect(db.query('DROP TABLE a1')).rejects.toMatchObject({ code: '42P01' });
  });

  it('CREATE TABLE ... AS SELECT copies the query result', async () => {
    const r = await db.query(`CREATE TABLE tagged AS SELECT id, upper(tag) AS tag FROM p WHERE tag IS NOT NULL`);
    expect(r.rowCount).toBe(4);
    expect(await rows('SELECT id, tag FROM tagged ORDER BY id')).toEqual([[1, 'A'], [2, 'B'], [3, 'A'], [5, 'C']]);
  });

  it('tables without a primary key can be updated and deleted', async () => {
    await db.query('CREATE TABLE heap (x INTEGER, y VARCHAR(5))');
    await db.query(`INSERT INTO heap VALUES (1, 'a'), (1, 'a'), (2, 'b')`);
    expect((await db.query(`UPDATE heap SET y = 'z' WHERE x = 1`)).rowCount).toBe(2);
    expect((await db.query('DELETE FROM heap WHERE x = 2')).rowCount).toBe(1);
    expect(await rows('SELECT x, y FROM heap')).toEqual([[1, 'z'], [1, 'z']]);
  });
});

describe('COPY', () => {
  it('loads csv with header, quotes and NULLs', async () => {
    const file = join(files, 'people.csv');
    writeFileSync(file, 'id,name,born,balance\n1,"Smith, J",1990-05-01,10.50\n2,"say ""hi""",,\n3,plain,2000-01-31,-2\n');
    await db.query('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, born DATE, balance DECIMAL(8,2))');
    const r = await db.query(`COPY people FROM '${file}' WITH (FORMAT csv, HEADER true)`);
    expect(r.rowCount).toBe(3);
    expect(await rows('SELECT * FROM people ORDER BY id')).toEqual([
      [1, 'Smith, J', '1990-05-01', '10.50'],
      [2, 'say "hi"', null, null],
      [3, 'plain', '2000-01-31', '-2.00'],
    ]);
  });

  it('loads TPC-H style .tbl lines with a trailing delimiter; a bad value names the line', async () => {
    const file = join(files, 'r.tbl');
    writeFileSync(file, '0|AFRICA|lar deposits|\n1|AMERICA|hs use ironic|\n');
    await db.query('CREATE TABLE region (r_regionkey INTEGER PRIMARY KEY, r_name CHAR(25), r_comment VARCHAR(152))');
    await db.query(`COPY region FROM '${file}' (FORMAT tbl, DELIMITER '|')`);
    expect(await rows('SELECT r_name FROM region ORDER BY 1')).toEqual([['AFRICA'], ['AMERICA']]);
    const bad = join(files, 'bad.tbl');
    writeFileSync(bad, '7|X|ok|\nseven|Y|bad|\n');
    await expect(db.query(`COPY region FROM '${bad}' (FORMAT tbl, DELIMITER '|')`)).rejects.toThrow(/line 2/);
    expect(await rows('SELECT count(*) FROM region')).toEqual([[2]]);
  });
});

describe('EXPLAIN', () => {
  it('EXPLAIN ANALYZE reports actual rows per operator', async () => {
    const out = await plan('ANALYZE SELECT tag, count(*) FROM p GROUP BY tag');
    expect(out).toMatch(/HashAggregate.*actual rows=4/);
    expect(out).toMatch(/Seq Scan on p.*actual rows=5/);
    expect(out).toMatch(/Execution Time/);
  });
});

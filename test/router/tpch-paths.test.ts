// The 22 TPC-H queries (sf0.01) give identical results forced to the row path, forced to the column
// path and on auto; forced column really reads the learner (EXPLAIN ANALYZE counts its blocks).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';

const DATA = join(import.meta.dirname, '../../../shared/data/tpch');
const TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'];

let db: Database;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-router-'));
  db = await Database.open(dir, { learner: { worker: false } });
  await db.query(readFileSync(join(DATA, 'schema.sql'), 'utf8'));
  for (const t of TABLES) await db.query(`COPY ${t} FROM '${join(DATA, 'sf0.01', `${t}.tbl`)}' (FORMAT tbl, DELIMITER '|')`);
}, 240_000);
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(sql: string, engine: string): Promise<{ rows: unknown[]; path: string }> {
  const s = db.session();
  try {
    await s.query(`SET duet.engine = '${engine}'`);
    const plan = await s.query(`EXPLAIN ${sql}`);
    const r = await s.query(sql);
    return { rows: r.rows, path: String(plan.rows[0]![0]) };
  } finally {
    await s.close();
  }
}

describe('TPC-H: row, column and auto agree', () => {
  for (let n = 1; n <= 22; n++) {
    const name = `q${String(n).padStart(2, '0')}`;
    it(name, async () => {
      const sql = readFileSync(join(DATA, 'queries', `${name}.sql`), 'utf8');
      const row = await run(sql, 'row');
      const column = await run(sql, 'column');
      const auto = await run(sql, 'auto');
      expect(row.path).toMatch(/^path: row/);
      expect(column.path).toMatch(/^path: column/);
      expect(row.rows.length).toBeGreaterThan(0);
      expect(column.rows).toEqual(row.rows);
      expect(auto.rows).toEqual(row.rows);
    }, 60_000);
  }

  it('a forced column read is served by the learner', async () => {
    const s = db.session();
    await s.query("SET duet.engine = 'column'");
    const plan = (await s.query("EXPLAIN ANALYZE SELECT count(*) FROM lineitem WHERE l_shipdate >= DATE '1998-01-01'")).rows.map((r) => String(r[0]));
    await s.close();
    expect(plan[0]).toMatch(/^path: column .*blocks scanned=\d+ pruned=\d+/);
    expect(plan[0]).not.toMatch(/fell back/);
  });
});

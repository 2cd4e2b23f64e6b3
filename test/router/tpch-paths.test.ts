// The 22 TPC-H queries (sf0.01) give identical results forced to the row path, forced to the column
// path and on auto; forced column really reads the learner (EXPLAIN ANALYZE counts its blocks). Then a
// labelled set of queries checks the router's choice (EXPLAIN's first line) and its rules. One file: the
// data is loaded once.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';
import { openTpch, TPCH_DATA, type LoadedTpch } from './tpch-data.ts';
import { DuetError } from '../../oltp/errors.ts';
import { LABELLED, LABELLED_SETUP } from './labelled.ts';


let tpch: LoadedTpch | undefined;
let db: Database;

beforeAll(async () => {
  tpch = await openTpch('duet-router-');
  db = tpch.db;
}, 240_000);
afterAll(async () => {
  await tpch?.close();
});

async function run(sql: string, engine: string, setup: readonly string[] = []): Promise<{ rows: unknown[]; path: string }> {
  const s = db.session();
  try {
    await s.query(`SET duet.engine = '${engine}'`);
    for (const q of setup) await s.query(q);
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
      const sql = readFileSync(join(TPCH_DATA, 'queries', `${name}.sql`), 'utf8');
      const row = await run(sql, 'row');
      const column = await run(sql, 'column');
      const auto = await run(sql, 'auto');
      // aggregates over a scan run in two phases on the learner and its helper thread (olap/parallel)
      const twoThreads = await run(sql, 'column', ['SET duet.parallel_min_blocks = 0']);
      expect(row.path).toMatch(/^path: row/);
      expect(column.path).toMatch(/^path: column/);
      expect(row.rows.length).toBeGreaterThan(0);
      expect(column.rows).toEqual(row.rows);
      expect(auto.rows).toEqual(row.rows);
      expect(twoThreads.rows).toEqual(row.rows);
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


async function pathOf(sql: string, setup: readonly string[] = []): Promise<string> {
  const s = db.session();
  try {
    for (const q of setup) await s.query(q);
    return String((await s.query(`EXPLAIN ${sql}`)).rows[0]![0]);
  } finally {
    await s.close();
  }
}

describe('router: labelled choices', () => {
  beforeAll(async () => {
    for (const q of LABELLED_SETUP) await db.query(q);
  });

  for (const [want, sql] of LABELLED) {
    it(`${want}: ${sql}`, async () => {
      const line = await pathOf(sql);
      if (process.env.ROUTER_PRINT) console.log(line, "\t", sql);
      expect(line).toMatch(new RegExp(`^path: ${want} \\(cost [0-9.e+]+; ${want === 'row' ? 'column' : 'row'} [0-9.e+]+\\)$`));
    });
  }

  it('a hint forces either path, whatever the cost; both give the same rows', async () => {
    expect(await pathOf('/*+ engine(column) */ SELECT * FROM orders WHERE o_orderkey = 7')).toMatch(/^path: column .*\[forced\]/);
    expect(await pathOf('/*+ engine(row) */ SELECT count(*) FROM lineitem')).toMatch(/^path: row .*\[forced\]/);
    const col = await db.query('/*+ engine(column) */ SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderkey = 7');
    const row = await db.query('SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderkey = 7');
    expect(col.rows).toEqual(row.rows);
    expect(row.rows.length).toBe(1);
  });

  it('SET duet.engine forces a path for the session; a hint beats the setting', async () => {
    expect(await pathOf('SELECT count(*) FROM lineitem', ["SET duet.engine = 'row'"])).toMatch(/^path: row .*\[forced\]/);
    expect(await pathOf('SELECT * FROM orders WHERE o_orderkey = 7', ["SET duet.engine = 'column'"])).toMatch(/^path: column .*\[forced\]/);
    expect(await pathOf('/*+ engine(auto) */ SELECT * FROM orders WHERE o_orderkey = 7', ["SET duet.engine = 'column'"])).toMatch(/^path: row \(/);
    const s = db.session();
    await s.query("SET duet.engine = 'sideways'");
    await expect(s.query('SELECT 1 FROM region')).rejects.toSatisfy((e: unknown) => e instanceof DuetError && e.code === '22023');
    await s.close();
  });

  it('a transaction with its own writes reads them on the row path, even when column is forced', async () => {
    const s = db.session();
    try {
      await s.query("SET duet.engine = 'column'");
      await s.query('BEGIN');
      const before = Number((await s.query('SELECT count(*) FROM region')).rows[0]![0]);
      await s.query("INSERT INTO region VALUES (99, 'NOWHERE', 'test row')");
      expect(String((await s.query('EXPLAIN SELECT count(*) FROM region')).rows[0]![0])).toMatch(/^path: row .*\[own writes\]/);
      expect(Number((await s.query('SELECT count(*) FROM region')).rows[0]![0])).toBe(before + 1);
    } finally {
      await s.query('ROLLBACK');
      await s.close();
    }
  });

  it('SERIALIZABLE reads stay on the row path (its read set is validated at commit)', async () => {
    expect(await pathOf('SELECT count(*) FROM lineitem', ['SET default_transaction_isolation = serializable'])).toMatch(/^path: row .*\[serializable\]/);
  });

  it('without a learner every query takes the row path', async () => {
    const other = mkdtempSync(join(tmpdir(), 'duet-router-nolearner-'));
    const plain = await Database.open(other, { learner: false });
    try {
      await plain.query('CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER)');
      await plain.query('INSERT INTO t VALUES (1, 2), (3, 4)');
      const s = plain.session();
      await s.query("SET duet.engine = 'column'");
      expect(String((await s.query('EXPLAIN SELECT sum(b) FROM t')).rows[0]![0])).toMatch(/^path: row .*\[no learner\]/);
      expect((await s.query('SELECT sum(b) FROM t')).rows).toEqual([[6]]);
      await s.close();
    } finally {
      await plain.close();
      rmSync(other, { recursive: true, force: true });
    }
  });
});

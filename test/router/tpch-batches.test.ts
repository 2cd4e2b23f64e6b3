// The 22 TPC-H queries (sf0.01) give the same rows with the executor's batch size set to 1 and 3, on the
// row path and on the column path, as on the row path at the default size: batch boundaries fall inside
// every operator's input (the learner's 2048-row blocks are re-sliced by the scan). Also: the knob itself
// (`SET duet.batch_rows`) reaches both paths and rejects bad values.
//
// CPU per size, all 22 queries (sf0.01, in-process learner, Nov 2026): row path 13.8 s at the default size,
// 15.0 s at 3, 19.0 s at 1; column path 0.6 s, 3.1 s, 7.5 s; loading 5.3 s. So CI runs the column path at
// both sizes and the row path at size 3 for all 22, the row path at size 1 for the 7 queries in ROW_BATCH1
// (it would add ~15 s of CPU for little: the row path differs from the column path only in its scan
// source, which the column runs and size 3 already cover). `DUET_TPCH_BATCHES=all` runs them all.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';
import { openTpch, TPCH_DATA, type LoadedTpch } from './tpch-data.ts';

/** Queries the row path runs at size 1 in CI: different operator mixes (aggregate, joins, semi/anti, top-N, subqueries). */
const ROW_BATCH1 = new Set([2, 4, 6, 11, 13, 16, 22]);
const ALL = process.env.DUET_TPCH_BATCHES === 'all';

let tpch: LoadedTpch | undefined;
let db: Database;

beforeAll(async () => {
  tpch = await openTpch('duet-batches-');
  db = tpch.db;
}, 240_000);
afterAll(async () => {
  await tpch?.close();
});

/** The rows of `sql` on `engine` at `batchRows`; with `checkPath`, EXPLAIN ANALYZE's first line too. */
async function run(sql: string, engine: 'row' | 'column', batchRows: number | undefined, checkPath = false): Promise<{ rows: unknown[]; path: string }> {
  const s = db.session();
  try {
    await s.query(`SET duet.engine = '${engine}'`);
    if (batchRows !== undefined) await s.query(`SET duet.batch_rows = ${batchRows}`);
    const rows = (await s.query(sql)).rows;
    const path = checkPath ? String((await s.query(`EXPLAIN ANALYZE ${sql}`)).rows[0]?.[0]) : '';
    return { rows, path };
  } finally {
    await s.close();
  }
}

describe('TPC-H at batch sizes 1 and 3: row and column paths agree with the default', () => {
  for (let n = 1; n <= 22; n++) {
    const name = `q${String(n).padStart(2, '0')}`;
    const rowSizes = ALL || ROW_BATCH1.has(n) ? [3, 1] : [3];
    it(`${name} (column: batch rows 3, 1; row: ${rowSizes.join(', ')})`, async () => {
      const sql = readFileSync(join(TPCH_DATA, 'queries', `${name}.sql`), 'utf8');
      const reference = (await run(sql, 'row', undefined)).rows;
      expect(reference.length).toBeGreaterThan(0);
      for (const size of rowSizes) expect((await run(sql, 'row', size)).rows, `row path, batch rows ${size}`).toEqual(reference);
      for (const size of [3, 1]) {
        // the learner served it (a refused read reruns on rows, which would prove nothing about columns);
        // checked once per query, at size 3: the extra run costs a second execution
        const column = await run(sql, 'column', size, size === 3);
        if (size === 3) expect(column.path).toMatch(/^path: column .*blocks scanned=\d+/);
        expect(column.rows, `column path, batch rows ${size}`).toEqual(reference);
      }
    }, 300_000);
  }
});

describe('SET duet.batch_rows', () => {
  /** The `batches=` count of EXPLAIN ANALYZE's scan line. */
  async function scanBatches(engine: 'row' | 'column', setting: string | undefined): Promise<number> {
    const s = db.session();
    try {
      await s.query(`SET duet.engine = '${engine}'`);
      if (setting !== undefined) await s.query(`SET duet.batch_rows = ${setting}`);
      const lines = (await s.query('EXPLAIN ANALYZE SELECT n_name FROM nation')).rows.map((r) => String(r[0]));
      expect(lines[0]).toMatch(new RegExp(`^path: ${engine}`));
      expect(lines[0]).not.toMatch(/fell back/);
      const scan = lines.find((l) => /Scan on nation/.test(l));
      const m = /batches=(\d+)/.exec(scan ?? '');
      if (!m) throw new Error(`no batch count in ${lines.join('\n')}`);
      return Number(m[1]);
    } finally {
      await s.close();
    }
  }

  it('sets the rows per batch on both paths (25 nations: 9 batches of at most 3, 25 of 1)', async () => {
    for (const engine of ['row', 'column'] as const) {
      expect(await scanBatches(engine, undefined), engine).toBe(1);
      expect(await scanBatches(engine, '3'), engine).toBe(9);
      expect(await scanBatches(engine, "'1'"), engine).toBe(25);
      expect(await scanBatches(engine, 'default'), engine).toBe(1);
    }
  });

  it('rejects values that are not 1..2048 with 22023', async () => {
    const s = db.session();
    try {
      for (const bad of ['0', '2049', "'abc'", "'1.5'", '-1']) {
        await expect(s.query(`SET duet.batch_rows = ${bad}`), bad).rejects.toMatchObject({ code: '22023' });
      }
    } finally {
      await s.close();
    }
  });
});

// End to end: the 22 TPC-H queries, run by DuckDB (the benchmark anchor) on generated SF 0.01 data
// and on dbgen's, find rows for every predicate (LIKE patterns, phone prefixes, date windows) and
// give results of the same shape and magnitude.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTpch, tableNames } from '../../bench/tpch/generate.ts';

const dataDir = join(import.meta.dirname, '../../../shared/data/tpch');
const queryFiles = readdirSync(join(dataDir, 'queries')).filter((f) => f.endsWith('.sql')).sort();
const workDir = mkdtempSync(join(tmpdir(), 'tpch-queries-'));

type Rows = Record<string, unknown>[];
let reference: Rows[];
let generated: Rows[];

async function runAll(tblDir: string): Promise<Rows[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(readFileSync(join(dataDir, 'schema.sql'), 'utf8'));
    for (const table of tableNames) await connection.run(`COPY ${table} FROM '${join(tblDir, `${table}.tbl`)}' (DELIMITER '|')`);
    const results: Rows[] = [];
    for (const file of queryFiles) results.push(await query(connection, readFileSync(join(dataDir, 'queries', file), 'utf8')));
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function query(connection: DuckDBConnection, sql: string): Promise<Rows> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Rows;
}

beforeAll(async () => {
  await generateTpch({ sf: 0.01, outDir: workDir, seed: 3 });
  reference = await runAll(join(dataDir, 'sf0.01'));
  generated = await runAll(workDir);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const num = (value: unknown): number => Number(value);

describe('TPC-H queries on generated data (DuckDB)', () => {
  it('every query returns rows', () => {
    expect(queryFiles).toHaveLength(22);
    // q18 wants orders of more than 300 units: 7 lines of 1-50 units summing past 300, about 1.6
    // such orders expected at SF 0.01 (dbgen's data has 2), so it is empty for 1 seed in 5.
    const empty = queryFiles.filter((file, i) => generated[i]!.length === 0 && file !== 'q18.sql');
    expect(empty).toEqual([]);
  });

  it('queries whose result size follows from the domains return as many rows as on dbgen data', () => {
    // q1 flag/status pairs, q3/q10 LIMIT, q4 priorities, q5 Asian nations, q8 years, q12 ship modes,
    // q14/q17/q19 single aggregates, q22 country codes. (Not q7: with 100 suppliers, France or
    // Germany has none in about 1 seed in 30, which halves its rows.)
    for (const q of [1, 3, 4, 5, 6, 8, 10, 12, 14, 17, 19, 22]) {
      expect(generated[q - 1]!.length, `q${q}`).toBe(reference[q - 1]!.length);
    }
  });

  it('q1: the same groups, with counts and averages of the same size', () => {
    const [ours, theirs] = [generated[0]!, reference[0]!];
    ours.forEach((row, i) => {
      const ref = theirs[i]!;
      expect([row.l_returnflag, row.l_linestatus]).toEqual([ref.l_returnflag, ref.l_linestatus]);
      const count = num(ref.count_order);
      // Counts are binomial: within 5 standard deviations.
      expect(Math.abs(num(row.count_order) - count)).toBeLessThan(5 * Math.sqrt(count) + 1);
      expect(num(row.avg_qty) / num(ref.avg_qty)).toBeCloseTo(1, 1);
      expect(num(row.avg_price) / num(ref.avg_price)).toBeCloseTo(1, 1);
      // Discounts 0.00-0.10 have a standard deviation of 0.032: the mean within 5 standard errors.
      const standardError = 0.032 * Math.sqrt(1 / count + 1 / num(row.count_order));
      expect(Math.abs(num(row.avg_disc) - num(ref.avg_disc))).toBeLessThan(5 * standardError);
    });
  });

  it('q13: exactly the customers with a key divisible by 3 have no orders', () => {
    const noOrders = (rows: Rows): number => num(rows.find((row) => num(row.c_count) === 0)?.custdist);
    expect(noOrders(generated[12]!)).toBe(500);
    expect(noOrders(reference[12]!)).toBe(500);
  });

  it('q6 revenue is within 15% of dbgen data', () => {
    expect(num(generated[5]![0]!.revenue) / num(reference[5]![0]!.revenue)).toBeGreaterThan(0.85);
    expect(num(generated[5]![0]!.revenue) / num(reference[5]![0]!.revenue)).toBeLessThan(1.15);
  });
});

// TPC-H acceptance: the 22 queries run unchanged on the sf0.01 data (loaded with COPY ... FROM the
// .tbl files) and equal DuckDB's answers (numbers within a relative 1e-9, see ../shared/data/README.md).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../query/database.ts';
import type { Value } from '../../oltp/types.ts';
import { openTempDb } from './helpers.ts';

const DATA = join(import.meta.dirname, '../../../shared/data/tpch');
const TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'];
const TOLERANCE = 1e-9;

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
  await db.query(readFileSync(join(DATA, 'schema.sql'), 'utf8'));
  for (const t of TABLES) {
    const r = await db.query(`COPY ${t} FROM '${join(DATA, 'sf0.01', `${t}.tbl`)}' (FORMAT tbl, DELIMITER '|')`);
    expect(r.rowCount).toBeGreaterThan(0);
  }
}, 240_000);
afterAll(async () => cleanup());

function parseAnswer(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { header: lines[0]!.split('|'), rows: lines.slice(1).map((l) => l.split('|')) };
}

function sameCell(actual: Value, expected: string): boolean {
  if (expected === 'NULL') return actual === null;
  if (actual === null) return false;
  const a = String(actual);
  if (a === expected) return true;
  const x = Number(a);
  const y = Number(expected);
  if (a.trim() !== '' && expected.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) {
    return Math.abs(x - y) <= TOLERANCE * Math.max(Math.abs(x), Math.abs(y), 1e-300) || x === y;
  }
  return a.trimEnd() === expected.trimEnd();
}

describe('TPC-H sf0.01', () => {
  for (let n = 1; n <= 22; n++) {
    const name = `q${String(n).padStart(2, '0')}`;
    it(name, async () => {
      const sql = readFileSync(join(DATA, 'queries', `${name}.sql`), 'utf8');
      const answer = parseAnswer(readFileSync(join(DATA, 'answers-sf0.01', `${name}.csv`), 'utf8'));
      const r = await db.query(sql);
      // an unaliased aggregate is named by the engine: DuckDB says "sum(l_quantity)", PostgreSQL "sum"
      const header = answer.header.map((h) => h.replace(/^(\w+)\(.*\)$/, '$1'));
      expect(r.columns.map((c) => c.name)).toEqual(header);
      expect(r.rows.length).toBe(answer.rows.length);
      const mismatches: string[] = [];
      r.rows.forEach((row, i) => {
        row.forEach((v, j) => {
          if (!sameCell(v, answer.rows[i]![j]!)) mismatches.push(`row ${i} col ${answer.header[j]}: got ${String(v)} want ${answer.rows[i]![j]}`);
        });
      });
      expect(mismatches.slice(0, 5)).toEqual([]);
    }, 60_000);
  }
});

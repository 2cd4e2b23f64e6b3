// The TPC-H generator at SF 0.01 against the official dbgen output in ../shared/data/tpch/sf0.01:
// row counts, key sets, per-column domains and distributions, the spec's cross-column rules,
// determinism, and the command line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetError } from '../../oltp/errors.ts';
import { generateTpch, tableNames } from '../../bench/tpch/generate.ts';
import { checkRules } from './rules.ts';
import { columnStats, dayOf, readSchema, readTbl, type ColumnStats } from './tbl.ts';

const dataDir = join(import.meta.dirname, '../../../shared/data/tpch');
const referenceDir = join(dataDir, 'sf0.01');
const schema = readSchema(join(dataDir, 'schema.sql'));
const workDir = mkdtempSync(join(tmpdir(), 'tpch-gen-'));
const generatedDir = join(workDir, 'sf0.01');

/** Columns whose exact value set is fixed by the scale factor (keys, names, fixed tables). */
const exactSets = new Set([
  'n_nationkey', 'n_name', 'n_regionkey', 'r_regionkey', 'r_name', 'p_partkey', 's_suppkey', 's_name', 'ps_partkey',
  'ps_suppkey', 'c_custkey', 'c_name', 'o_orderkey', 'l_orderkey', 'p_retailprice',
]);

let counts: Record<string, number>;
beforeAll(async () => {
  counts = await generateTpch({ sf: 0.01, outDir: generatedDir, seed: 7 });
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('TPC-H generator at SF 0.01 against dbgen', () => {
  it('writes the spec row counts (exact; lineitem within 3%)', () => {
    expect(schema.size).toBe(8);
    for (const table of tableNames) {
      const columns = schema.get(table)!;
      const ours = readTbl(join(generatedDir, `${table}.tbl`), columns.length).length;
      const reference = readTbl(join(referenceDir, `${table}.tbl`), columns.length).length;
      expect(ours, table).toBe(counts[table]);
      if (table === 'lineitem') expect(Math.abs(ours / reference - 1), table).toBeLessThan(0.03);
      else expect(ours, table).toBe(reference);
    }
  });

  it('ends every line with the separator, like dbgen', () => {
    const firstLine = readFileSync(join(generatedDir, 'region.tbl'), 'latin1').split('\n')[0]!;
    expect(firstLine).toMatch(/^0\|AFRICA\|[^|]+\|$/);
  });

  it('follows the cross-column rules of the spec, as dbgen does', () => {
    expect(checkRules(referenceDir)).toEqual([]);
    expect(checkRules(generatedDir)).toEqual([]);
  });

  for (const table of tableNames) {
    it(`matches ${table}'s column domains and distributions`, () => {
      const columns = schema.get(table)!;
      const ours = readTbl(join(generatedDir, `${table}.tbl`), columns.length);
      const reference = readTbl(join(referenceDir, `${table}.tbl`), columns.length);
      const problems: string[] = [];
      columns.forEach((column, index) => {
        const a = columnStats(reference, index, column.kind);
        const b = columnStats(ours, index, column.kind);
        if (exactSets.has(column.name)) {
          if (!sameKeys(a, b) || a.distinct !== b.distinct || a.minText !== b.minText || a.maxText !== b.maxText) {
            problems.push(`${column.name}: value set differs (${a.distinct} vs ${b.distinct} values)`);
          }
          return;
        }
        problems.push(...compareColumn(column.name, a, b));
      });
      expect(problems).toEqual([]);
    });
  }

  it('matches the distributions of lineitem date offsets (ship, commit, receipt)', () => {
    const offsets = (dir: string): string[][] => {
      const orderDay = new Map(readTbl(join(dir, 'orders.tbl'), 9).map((o) => [o[0]!, dayOf(o[4]!)]));
      return readTbl(join(dir, 'lineitem.tbl'), 16).map((l) => {
        const day = orderDay.get(l[0]!)!;
        return [String(dayOf(l[10]!) - day), String(dayOf(l[11]!) - day), String(dayOf(l[12]!) - dayOf(l[10]!))];
      });
    };
    const reference = offsets(referenceDir);
    const ours = offsets(generatedDir);
    const problems = ['ship - order', 'commit - order', 'receipt - ship'].flatMap((name, index) =>
      compareColumn(name, columnStats(reference, index, 'int'), columnStats(ours, index, 'int')),
    );
    expect(problems).toEqual([]);
  });
});

function sameKeys(a: ColumnStats, b: ColumnStats): boolean {
  if (a.frequencies === null || b.frequencies === null) return a.distinct === b.distinct;
  return [...a.frequencies.keys()].every((value) => b.frequencies!.has(value));
}

/** Sums of several random terms: their extremes are far in a thin tail, so only loosely comparable. */
const tailColumns = new Set(['o_totalprice']);

/**
 * Two samples of one column agree when: enumerations (every value seen 10+ times on average) have
 * the same values and pass a chi-square test of homogeneity; numbers, dates and text lengths have
 * min and max within the sampling spread of extremes, a mean within 4.5 standard errors, and a
 * similar spread; and the share of distinct values is within 5%.
 */
function compareColumn(name: string, a: ColumnStats, b: ColumnStats): string[] {
  const problems: string[] = [];
  if (a.frequencies !== null && a.count / a.distinct >= 10) {
    const { statistic, critical, worst } = chiSquare(a.frequencies, a.count, b.frequencies ?? new Map(), b.count);
    if (statistic > critical) problems.push(`${name}: frequencies differ (chi-square ${statistic.toFixed(1)} > ${critical.toFixed(1)}; most: ${worst})`);
    if (b.distinct !== a.distinct) problems.push(`${name}: ${b.distinct} distinct values vs ${a.distinct}`);
  } else if (Math.abs(b.distinct / b.count - a.distinct / a.count) > 0.05) {
    problems.push(`${name}: ${b.distinct} distinct of ${b.count} vs ${a.distinct} of ${a.count}`);
  }
  const range = a.max - a.min;
  // The extreme of n uniform draws lies about range/n inside the bounds.
  const edge = range * (tailColumns.has(name) ? 0.1 : Math.max(0.02, 3 / a.count));
  if (Math.abs(b.min - a.min) > edge || Math.abs(b.max - a.max) > edge) {
    problems.push(`${name}: range [${b.min}, ${b.max}] vs [${a.min}, ${a.max}]`);
  }
  const standardError = Math.sqrt(1 / a.count + 1 / b.count);
  if (Math.abs(b.mean - a.mean) > 4.5 * a.sd * standardError + 1e-9) problems.push(`${name}: mean ${b.mean} vs ${a.mean}`);
  if (a.count >= 1000 && Math.abs(b.sd - a.sd) > 0.1 * a.sd + 1e-9) problems.push(`${name}: sd ${b.sd} vs ${a.sd}`);
  return problems;
}

/** Two-sample chi-square test; the critical value is df + 5 sd of the chi-square (far tail). */
function chiSquare(a: Map<string, number>, nA: number, b: Map<string, number>, nB: number): { statistic: number; critical: number; worst: string } {
  const values = new Set([...a.keys(), ...b.keys()]);
  let statistic = 0;
  let worst = '';
  let worstTerm = 0;
  for (const value of values) {
    const cA = a.get(value) ?? 0;
    const cB = b.get(value) ?? 0;
    const pooled = (cA + cB) / (nA + nB);
    const term = (cA - pooled * nA) ** 2 / (pooled * nA) + (cB - pooled * nB) ** 2 / (pooled * nB);
    statistic += term;
    if (term > worstTerm) {
      worstTerm = term;
      worst = `"${value}" ${cB} vs ${cA}`;
    }
  }
  const df = values.size - 1;
  return { statistic, critical: df + 5 * Math.sqrt(2 * df), worst };
}

describe('TPC-H generator behaviour', () => {
  it('is deterministic for a seed and differs between seeds', async () => {
    const run = async (seed: number, name: string): Promise<string> => {
      await generateTpch({ sf: 0.001, outDir: join(workDir, name), seed });
      return tableNames.map((table) => readFileSync(join(workDir, name, `${table}.tbl`), 'latin1')).join('');
    };
    const first = await run(11, 'a');
    expect(await run(11, 'b')).toBe(first);
    expect(await run(12, 'c')).not.toBe(first);
  });

  it('can omit the trailing separator', async () => {
    await generateTpch({ sf: 0.001, outDir: join(workDir, 'plain'), trailingSeparator: false });
    const lines = readFileSync(join(workDir, 'plain', 'nation.tbl'), 'latin1').trimEnd().split('\n');
    expect(lines).toHaveLength(25);
    for (const line of lines) expect(line.split('|')).toHaveLength(4);
  });

  it('rejects a scale factor too small for four suppliers per part, or too large for its streams', async () => {
    await expect(generateTpch({ sf: 0.0001, outDir: join(workDir, 'tiny') })).rejects.toThrow(DuetError);
    await expect(generateTpch({ sf: 6000, outDir: join(workDir, 'huge') })).rejects.toThrow(/between 0.0004 and 5000/);
  });

  it('runs from the command line', () => {
    const out = join(workDir, 'cli');
    const script = join(import.meta.dirname, '../../bench/tpch/dbgen.ts');
    const stderr = execFileSync(process.execPath, ['--import', 'tsx', script, '--sf', '0.001', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(stderr).toBe('');
    expect(readTbl(join(out, 'customer.tbl'), 8)).toHaveLength(150);
  });
});

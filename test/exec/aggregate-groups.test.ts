// Aggregation with many groups against a reference written here: keys in runs (input clustered by the key),
// sparse and negative keys, NULL keys, groups first seen in later batches, and sum/avg/count of one argument
// (which share one accumulator) next to the same aggregates with FILTER or DISTINCT (which do not).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AggregateSpec, PlanNode } from '../../olap/exec/spec.ts';
import type { Row } from '../../oltp/types.ts';
import { call, col, lit, runAll, scan, sorted, T, type Table } from './helpers.ts';

const D2 = T.decimal(12, 2);
const COLS = [{ name: 'k', type: T.bigint }, { name: 'd', type: D2 }, { name: 's', type: T.text }];

/** Keys in runs of 1-5 equal values, drawn from a small dense range, a sparse wide one, or NULL. */
const runArb = fc.tuple(
  fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constant(null)),
  fc.integer({ min: 1, max: 5 }),
  fc.option(fc.bigInt({ min: -100000n, max: 100000n }), { nil: null, freq: 6 }),
  fc.constantFrom('x', 'y', 'zz'),
);
const tableArb = fc.array(runArb, { maxLength: 120 }).map((runs): Table => {
  const rows: Row[] = [];
  for (const [k, len, d, s] of runs) for (let i = 0; i < len; i++) rows.push([k, d === null ? null : d + BigInt(i), s]);
  return { columns: COLS, rows };
});

const isX = call('=', T.boolean, col(2, T.text), lit('x', T.text));
const AGGS: AggregateSpec[] = [
  { fn: 'sum', arg: col(1, D2), distinct: false, type: T.decimal(38, 2) },
  { fn: 'avg', arg: col(1, D2), distinct: false, type: T.decimal(30, 4) },
  { fn: 'count', arg: col(1, D2), distinct: false, type: T.bigint },
  { fn: 'sum', arg: col(1, D2), distinct: false, type: T.decimal(38, 2), filter: isX },
  { fn: 'count', arg: col(1, D2), distinct: true, type: T.bigint },
  { fn: 'count_star', distinct: false, type: T.bigint },
];

/** Half away from zero, at scale 4, of a sum at scale 2 over n values. */
function avgScale4(sum: bigint, n: number): bigint {
  const num = sum * 100n;
  const d = BigInt(n);
  const q = num / d;
  const rem = num % d;
  return (rem < 0n ? -rem : rem) * 2n >= d ? q + (num < 0n ? -1n : 1n) : q;
}

function reference(rows: Row[], keys: readonly number[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = keys.map((c) => String(r[c])).join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  if (keys.length === 0 && groups.size === 0) groups.set('', []);
  return [...groups.values()].map((g) => {
    const ds = g.map((r) => r[1]).filter((v): v is bigint => v !== null);
    const xs = g.filter((r) => r[2] === 'x').map((r) => r[1]).filter((v): v is bigint => v !== null);
    const sum = ds.reduce((a, b) => a + b, 0n);
    const aggs: Row = [
      ds.length === 0 ? null : sum,
      ds.length === 0 ? null : avgScale4(sum, ds.length),
      ds.length,
      xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0n),
      new Set(ds).size,
      g.length,
    ];
    return [...keys.map((c) => g[0]![c]!), ...aggs];
  });
}

describe('aggregation with many groups', () => {
  // two key columns: combinations of small codes take a directly indexed table, the rest a hash map
  it('grouped by clustered, sparse or NULL keys equals the reference', async () => {
    await fc.assert(fc.asyncProperty(tableArb, fc.constantFrom<number[]>([], [0], [0, 2], [2, 0]), async (t, keys) => {
      const groupBy = keys.map((c) => col(c, COLS[c]!.type));
      const plan: PlanNode = { kind: 'aggregate', input: scan('t', t), groupBy, aggregates: AGGS, names: [] };
      expect(sorted(await runAll(plan, { t }))).toEqual(sorted(reference(t.rows, keys)));
    }), { numRuns: 40 });
  });

  it('thousands of groups, each seen again batches later', async () => {
    // keys 0..2999 in order, then again in reverse: every group's second run is in a later batch
    const rows: Row[] = [];
    for (let k = 0; k < 3000; k++) rows.push([k * 7, BigInt(k), 'x']);
    for (let k = 2999; k >= 0; k--) rows.push([k * 7, 1n, k % 2 === 0 ? 'x' : 'y']);
    const t: Table = { columns: COLS, rows };
    const plan: PlanNode = { kind: 'aggregate', input: scan('t', t), groupBy: [col(0, T.bigint)], aggregates: AGGS, names: [] };
    const got = await runAll(plan, { t });
    expect(got.length).toBe(3000);
    expect(sorted(got)).toEqual(sorted(reference(rows, [0])));
    const two: PlanNode = { ...plan, groupBy: [col(2, T.text), col(0, T.bigint)] };
    expect(sorted(await runAll(two, { t }))).toEqual(sorted(reference(rows, [2, 0])));
  });
});

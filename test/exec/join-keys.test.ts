// Hash join key paths against a nested-loop reference: integer keys of one and two columns (directly
// indexed, hashed by a combined number, or too wide to combine), unique build keys (the probe batch's
// columns pass through) and duplicate ones, with either input the smaller, and a residual.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JoinType, PlanNode } from '../../olap/exec/spec.ts';
import type { Row } from '../../oltp/types.ts';
import { BOOL, call, col, memoryContext, run, scan, sorted, T, type Table } from './helpers.ts';

const COLS = [{ name: 'a', type: T.integer }, { name: 'b', type: T.bigint }, { name: 'v', type: T.text }];

/** Key values: small dense ones, spread ones (hashed) and huge ones (too wide for one combined number). */
const keyArb = (spread: number) => fc.option(fc.integer({ min: 0, max: 6 }).map((x) => x * spread - 3 * spread), { nil: null, freq: 8 });

function tableArb(spread: number): fc.Arbitrary<Table> {
  const rows = fc.array(fc.tuple(keyArb(spread), keyArb(spread), fc.constantFrom('x', 'y', 'zz', '')), { maxLength: 40 });
  return rows.map((rs) => ({ columns: COLS, rows: rs.map((r) => [...r] as Row) }));
}

/** The table with each (a, b) key kept once, so a build on it is unique on both one and two columns. */
function uniqueKeys(t: Table): Table {
  const seen = new Set<string>();
  return { ...t, rows: t.rows.filter((r) => { const k = String(r[0]); if (seen.has(k)) return false; seen.add(k); return true; }) };
}

function reference(type: JoinType, left: Row[], right: Row[], width: number, residual: boolean): Row[] {
  const out: Row[] = [];
  for (const l of left) {
    let any = false;
    for (const r of right) {
      let eq = true;
      for (let c = 0; c < width; c++) if (l[c] === null || r[c] === null || l[c] !== r[c]) eq = false;
      if (!eq || (residual && !((l[2] as string) < (r[2] as string)))) continue;
      any = true;
      if (type === 'inner') out.push([...l, ...r]);
    }
    if ((type === 'semi' && any) || (type === 'anti' && !any)) out.push(l);
  }
  return out;
}

describe('hash join keys', () => {
  for (const spread of [1, 1_000_003, 2 ** 40]) {
    it(`one and two integer key columns, spread ${spread}, unique or duplicate build keys, either side smaller`, async () => {
      await fc.assert(fc.asyncProperty(
        tableArb(spread), tableArb(spread), fc.boolean(), fc.boolean(), fc.constantFrom(1, 2), fc.boolean(), fc.constantFrom<JoinType>('inner', 'semi', 'anti'),
        async (l0, r0, uniqueL, uniqueR, width, withResidual, joinType) => {
          const l = uniqueL ? uniqueKeys(l0) : l0;
          const r = uniqueR ? uniqueKeys(r0) : r0;
          const keys = Array.from({ length: width }, (_, c) => col(c, COLS[c]!.type));
          const residual = withResidual ? call('<', BOOL, col(2, T.text), col(5, T.text)) : undefined;
          const plan: PlanNode = { kind: 'hashJoin', joinType, left: scan('l', l), right: scan('r', r), leftKeys: keys, rightKeys: keys, residual };
          const want = sorted(reference(joinType, l.rows, r.rows, width, withResidual));
          for (const options of [{ chunkRows: 1000 }, { chunkRows: 3, batchRowsMax: 2 }, { chunkRows: 5, interpret: true }]) {
            expect(sorted(await run(plan, memoryContext({ l, r }, options)))).toEqual(want);
          }
        },
      ), { numRuns: 60 });
    });
  }

  it('an integer key matches a DECIMAL key of the same value on the other side', async () => {
    const l: Table = { columns: [{ name: 'k', type: T.integer }], rows: [[1], [2], [null], [40]] };
    const r: Table = { columns: [{ name: 'd', type: T.decimal(10, 2) }], rows: [[100n], [150n], [4000n], [4000n]] };
    const plan: PlanNode = { kind: 'hashJoin', joinType: 'inner', left: scan('l', l), right: scan('r', r), leftKeys: [col(0, T.integer)], rightKeys: [col(0, T.decimal(10, 2))] };
    expect(sorted(await run(plan, memoryContext({ l, r })))).toEqual(sorted([[1, 100n], [40, 4000n], [40, 4000n]]));
  });
});

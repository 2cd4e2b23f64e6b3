// Hash joins against a nested-loop reference computed in JS, on random inputs: every join kind, one or two
// integer key columns (NULLs, duplicates, dense and sparse ranges, so the direct, int32-hash and general
// tables all run), with and without a residual, at small and large batch sizes (build side chosen at run time).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JoinType, PlanNode } from '../../olap/exec/spec.ts';
import type { Value } from '../../oltp/types.ts';
import { BOOL, call, col, memoryContext, run, scan, sorted, T, type Table } from './helpers.ts';

type Row = [number | null, number | null, number];

/** Keys from a small set (many duplicates) scaled by `spread` (sparse ranges leave the direct table). */
const rowsArb = (maxLength: number) => fc.array(
  fc.tuple(fc.option(fc.integer({ min: 0, max: 12 }), { freq: 6 }), fc.option(fc.integer({ min: 0, max: 3 }), { freq: 6 }), fc.integer({ min: 0, max: 20 })),
  { maxLength },
);

function table(rows: readonly Row[], spread: number, keyType = T.integer): Table {
  return {
    columns: [{ name: 'k1', type: keyType }, { name: 'k2', type: T.integer }, { name: 'v', type: T.integer }],
    rows: rows.map(([a, b, v]) => [a === null ? null : a * spread, b, v]),
  };
}

/** What the join returns, by definition (NULL keys never match; the residual is left.v < right.v). */
function reference(joinType: JoinType, left: Table, right: Table, twoKeys: boolean, residual: boolean): Value[][] {
  const matches = (l: readonly Value[], r: readonly Value[]): boolean => {
    if (l[0] === null || r[0] === null || l[0] !== r[0]) return false;
    if (twoKeys && (l[1] === null || r[1] === null || l[1] !== r[1])) return false;
    return !residual || (l[2] as number) < (r[2] as number);
  };
  const out: Value[][] = [];
  const rightMatched = new Set<number>();
  for (const l of left.rows) {
    let any = false;
    right.rows.forEach((r, j) => {
      if (!matches(l, r)) return;
      any = true;
      rightMatched.add(j);
      if (joinType !== 'semi' && joinType !== 'anti') out.push([...l, ...r]);
    });
    if ((joinType === 'semi' && any) || (joinType === 'anti' && !any)) out.push([...l]);
    if (!any && (joinType === 'left' || joinType === 'full')) out.push([...l, null, null, null]);
  }
  if (joinType === 'right' || joinType === 'full') {
    right.rows.forEach((r, j) => { if (!rightMatched.has(j)) out.push([null, null, null, ...r]); });
  }
  return out;
}

describe('hash join vs nested-loop reference', () => {
  it('every join kind, one or two integer keys, NULLs and duplicates, with and without a residual', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<JoinType>('inner', 'left', 'right', 'full', 'semi', 'anti'),
      rowsArb(60), rowsArb(60),
      fc.constantFrom(1, 1000, 5_000_000),
      fc.boolean(), fc.boolean(), fc.constantFrom(1, 3, 2048),
      async (joinType, leftRows, rightRows, spread, twoKeys, withResidual, batchRowsMax) => {
        // a bigint key on one side only: keys of different types are compared by value
        const left = table(leftRows as Row[], spread);
        const right = table(rightRows as Row[], spread, spread === 1000 ? T.bigint : T.integer);
        const keys = twoKeys ? [0, 1] : [0];
        const plan: PlanNode = {
          kind: 'hashJoin', joinType, left: scan('l', left), right: scan('r', right),
          leftKeys: keys.map((c) => col(c, T.integer)),
          rightKeys: keys.map((c) => col(c, right.columns[c]!.type)),
          residual: withResidual ? call('<', BOOL, col(2, T.integer), col(5, T.integer)) : undefined,
        };
        const got = await run(plan, memoryContext({ l: left, r: right }, { chunkRows: 7, batchRowsMax }));
        expect(sorted(got)).toEqual(sorted(reference(joinType, left, right, twoKeys, withResidual)));
      },
    ), { numRuns: 150 });
  });

  it('a large sparse build side (int32 hash table) matches every probe key it holds, and only those', async () => {
    const n = 5000;
    // keys i * 7919 + 3: sparse (range far above 4x rows) and fitting an int32, every key twice on the left
    const left: Table = { columns: [{ name: 'k', type: T.bigint }, { name: 'v', type: T.integer }], rows: Array.from({ length: 2 * n }, (_, i) => [(i % n) * 7919 + 3, i]) };
    const right: Table = { columns: [{ name: 'k', type: T.bigint }], rows: Array.from({ length: 3 * n }, (_, i) => [i * 3 * 7919 + 3 + (i % 2)]) };
    const plan: PlanNode = { kind: 'hashJoin', joinType: 'inner', left: scan('l', left), right: scan('r', right), leftKeys: [col(0, T.bigint)], rightKeys: [col(0, T.bigint)] };
    const got = await run(plan, memoryContext({ l: left, r: right }));
    const present = new Set(right.rows.map((r) => r[0]));
    const expected: Value[][] = left.rows.filter((l) => present.has(l[0])).map((l) => [...l, l[0]!]);
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(got)).toEqual(sorted(expected));
  });
});

// The hash join's run-time build side choice (inner joins build on the smaller input) and the semi/anti
// build side that keeps only the columns it reads: same answers whichever side is built.

import { describe, expect, it } from 'vitest';
import type { PlanNode } from '../../olap/exec/spec.ts';
import { call, col, BOOL, memoryContext, run, scan, T, type Table } from './helpers.ts';

const D2 = T.decimal(12, 2);
const sorted = (rows: unknown[][]): string[] => rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();

describe('hash join build side', () => {
  it('an inner join whose left input is smaller builds on it and keeps left ++ right columns, residual included', async () => {
    const small: Table = { columns: [{ name: 'k', type: T.integer }, { name: 'a', type: T.text }], rows: [[1, 'x'], [3, 'y'], [null, 'z'], [3, 'w']] };
    const big: Table = { columns: [{ name: 'd', type: D2 }, { name: 'b', type: T.integer }], rows: Array.from({ length: 500 }, (_, i) => [BigInt(i % 7) * 100n, i]) };
    const residual = call('<', BOOL, col(3, T.integer), lit10());
    const plan: PlanNode = { kind: 'hashJoin', joinType: 'inner', left: scan('s', small), right: scan('g', big), leftKeys: [col(0, T.integer)], rightKeys: [col(0, D2)], residual };
    const expected: unknown[][] = [];
    for (const l of small.rows) for (const r of big.rows) {
      if (l[0] !== null && BigInt(l[0] as number) * 100n === r[0] && (r[1] as number) < 10) expected.push([...l, ...r]);
    }
    expect(expected.length).toBeGreaterThan(0);
    for (const chunkRows of [1, 7, 1000]) {
      expect(sorted(await run(plan, memoryContext({ s: small, g: big }, { chunkRows, batchRowsMax: 3 })))).toEqual(sorted(expected));
      // the mirror image (big input on the left) takes the usual path and must agree
      const mirror: PlanNode = { ...plan, left: scan('g', big), right: scan('s', small), leftKeys: [col(0, D2)], rightKeys: [col(0, T.integer)], residual: call('<', BOOL, col(1, T.integer), lit10()) };
      expect(sorted(await run(mirror, memoryContext({ s: small, g: big }, { chunkRows })))).toEqual(sorted(expected.map((r) => [...r.slice(2), ...r.slice(0, 2)])));
    }
  });

  it('a semi/anti join over a wide build side returns left rows only, with and without a residual', async () => {
    const left: Table = { columns: [{ name: 'k', type: T.integer }, { name: 'v', type: T.integer }], rows: Array.from({ length: 40 }, (_, i) => [i % 13, i]) };
    const right: Table = { columns: [{ name: 'c', type: T.text }, { name: 'k', type: T.integer }, { name: 'w', type: T.integer }], rows: Array.from({ length: 60 }, (_, i) => [`comment ${i}`, i % 9, i]) };
    for (const joinType of ['semi', 'anti'] as const) {
      for (const withResidual of [false, true]) {
        // residual: left v < right w (right w is concatenated column 2 + 2 = 4)
        const plan: PlanNode = { kind: 'hashJoin', joinType, left: scan('l', left), right: scan('r', right), leftKeys: [col(0, T.integer)], rightKeys: [col(1, T.integer)], residual: withResidual ? call('<', BOOL, col(1, T.integer), col(4, T.integer)) : undefined };
        const expected = left.rows.filter((l) => {
          const any = right.rows.some((r) => r[1] === l[0] && (!withResidual || (l[1] as number) < (r[2] as number)));
          return joinType === 'semi' ? any : !any;
        });
        expect(sorted(await run(plan, memoryContext({ l: left, r: right }, { chunkRows: 16 })))).toEqual(sorted(expected));
      }
    }
  });
});

function lit10() {
  return { kind: 'const' as const, value: 10, type: T.integer };
}

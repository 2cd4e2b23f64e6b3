// The typed-array hash map behind grouping and join builds against a plain Map (property test), and
// grouping through it at a size that makes it rehash many times, against a reference computed in JS.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberMap } from '../../olap/exec/number-map.ts';
import type { PlanNode } from '../../olap/exec/spec.ts';
import { col, memoryContext, run, scan, sorted, T, type Table } from './helpers.ts';

// keys that stress hashing: ±0, NaN, infinities, huge and fractional values, collisions of small ints
const keyArb = fc.oneof(
  fc.integer({ min: -50, max: 50 }),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53 - 1, -(2 ** 53 - 1), 0.5, -0.25, 1e300),
  fc.double(),
  fc.integer().map((x) => x * 4096),
);

describe('NumberMap', () => {
  it('intern/get/put agree with a Map (-0 and 0 one key, NaN equal to itself)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('intern', 'get', 'put'), keyArb), { maxLength: 400 }), (ops) => {
      const map = new NumberMap(1);
      const model = new Map<number, number>();
      let next = 0;
      for (const [op, raw] of ops) {
        const key = raw + 0;
        if (op === 'get') expect(map.get(raw)).toBe(model.get(key) ?? -1);
        else if (op === 'intern') {
          const had = model.get(key);
          const got = map.intern(raw, next);
          if (had === undefined) { expect(got).toBe(next); model.set(key, next); next++; } else expect(got).toBe(had);
        } else {
          const value = next++;
          expect(map.put(raw, value)).toBe(model.get(key) ?? -1);
          model.set(key, value);
        }
        expect(map.size).toBe(model.size);
      }
    }), { numRuns: 200 });
  });

  it('holds 200k keys (interned once each) through many rehashes', () => {
    const map = new NumberMap();
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) if (map.intern(i * 7919 - 1e6, i) !== i) wrong++;
    for (let i = 0; i < 200_000; i++) if (map.get(i * 7919 - 1e6) !== i || map.intern(i * 7919 - 1e6, -5) !== i) wrong++;
    expect(wrong).toBe(0);
    expect(map.get(3.5)).toBe(-1);
    expect(map.size).toBe(200_000);
  });
});

describe('grouping many keys', () => {
  it('one integer key with 12k groups and two keys (integer, text) equal a JS reference', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => [(i * 7) % 12_011, i % 3 === 0 ? null : `s${i % 5}`, BigInt(i % 100)]);
    const t: Table = { columns: [{ name: 'k', type: T.integer }, { name: 's', type: T.text }, { name: 'v', type: T.decimal(12, 2) }], rows };
    for (const keys of [[0], [0, 1]]) {
      const plan: PlanNode = {
        kind: 'aggregate', input: scan('t', t), groupBy: keys.map((c) => col(c, t.columns[c]!.type)),
        aggregates: [{ fn: 'sum', arg: col(2, T.decimal(12, 2)), distinct: false, type: T.decimal(38, 2) }, { fn: 'count_star', distinct: false, type: T.bigint }],
        names: [...keys.map((c) => t.columns[c]!.name), 'sum', 'count'],
      };
      const expected = new Map<string, [unknown[], bigint, number]>();
      for (const r of rows) {
        const k = JSON.stringify(keys.map((c) => r[c]));
        const e = expected.get(k) ?? [keys.map((c) => r[c]), 0n, 0];
        e[1] += r[2] as bigint;
        e[2]++;
        expected.set(k, e);
      }
      const want = [...expected.values()].map(([k, s, c]) => [...k, s, c]);
      for (const options of [{ chunkRows: 2048 }, { chunkRows: 1000, dict: true }]) {
        // one string comparison: toEqual over 12k rows costs seconds
        expect(sorted(await run(plan, memoryContext({ t }, options))).join('\n')).toBe(sorted(want as never).join('\n'));
      }
    }
  });
});

describe('grouping integer keys across the direct table and the hash map', () => {
  it('a key first seen far beyond the direct table keeps its group once the table grows over it', async () => {
    const keys = [500_000, -5, 2.5, 2 ** 40, ...Array.from({ length: 60_000 }, (_, i) => i), 500_000, -5, 2.5, 2 ** 40, 500_000, 7];
    const t: Table = { columns: [{ name: 'k', type: T.double }], rows: keys.map((k) => [k]) };
    const plan: PlanNode = {
      kind: 'aggregate', input: scan('t', t), groupBy: [col(0, T.double)],
      aggregates: [{ fn: 'count_star', distinct: false, type: T.bigint }], names: ['k', 'count'],
    };
    const rows = await run(plan, memoryContext({ t }, { chunkRows: 2048 }));
    expect(rows.length).toBe(60_004);
    const count = new Map(rows.map((r) => [r[0], r[1]]));
    expect([count.get(500_000), count.get(-5), count.get(2.5), count.get(2 ** 40), count.get(7), count.get(0)]).toEqual([3, 2, 2, 2, 2, 1]);
  });
});

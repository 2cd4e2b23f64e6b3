// Two-phase aggregation (olap/parallel/split.ts) equals one-phase aggregation: random groupings over NULLs,
// DECIMALs (sums beyond 2^53 included), strings and booleans, with FILTER clauses, the input split into
// random parts (some empty) that each get a partial aggregate, merged by the final phase.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectRows, execute } from '../../olap/exec/execute.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import type { AggregateNode, AggregateSpec, Batch, Expr, PlanNode } from '../../olap/exec/spec.ts';
import { mergePartials, splitAggregate } from '../../olap/parallel/split.ts';
import type { Row, SqlType } from '../../oltp/types.ts';
import { memoryContext, type Table } from '../exec/helpers.ts';

const DEC: SqlType = { id: 'decimal', precision: 18, scale: 2 };
const COLUMNS = [
  { name: 'g', type: { id: 'varchar' } as SqlType },
  { name: 'h', type: { id: 'integer' } as SqlType },
  { name: 'd', type: DEC },
  { name: 'x', type: { id: 'integer' } as SqlType },
  { name: 's', type: { id: 'varchar' } as SqlType },
  { name: 'b', type: { id: 'boolean' } as SqlType },
];
const col = (i: number): Expr => ({ kind: 'col', index: i, type: COLUMNS[i]!.type });

const row: fc.Arbitrary<Row> = fc.tuple(
  fc.option(fc.constantFrom('a', 'b', 'é', ''), { nil: null }),
  fc.option(fc.integer({ min: -2, max: 2 }), { nil: null }),
  fc.option(fc.oneof(fc.bigInt({ min: -100_000n, max: 100_000n }), fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n })), { nil: null }),
  fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null }),
  fc.option(fc.string({ maxLength: 3 }), { nil: null }),
  fc.option(fc.boolean(), { nil: null }),
);

const filterExpr: Expr = { kind: 'call', fn: '>', args: [col(3), { kind: 'const', value: 0, type: { id: 'integer' } }], type: { id: 'boolean' } };
const aggregate: fc.Arbitrary<AggregateSpec> = fc.tuple(
  fc.constantFrom<[AggregateSpec['fn'], number | undefined, SqlType]>(
    ['count_star', undefined, { id: 'bigint' }], ['count', 2, { id: 'bigint' }], ['sum', 2, { id: 'decimal', scale: 2 }],
    ['sum', 3, { id: 'bigint' }], ['avg', 2, { id: 'decimal', scale: 6 }], ['avg', 3, { id: 'decimal', scale: 4 }],
    ['min', 4, { id: 'varchar' }], ['max', 4, { id: 'varchar' }], ['min', 2, DEC], ['max', 3, { id: 'integer' }],
    ['bool_and', 5, { id: 'boolean' }], ['bool_or', 5, { id: 'boolean' }],
  ),
  fc.boolean(),
).map(([[fn, arg, type], filtered]) => ({ fn, ...(arg === undefined ? {} : { arg: col(arg) }), distinct: false, type, ...(filtered ? { filter: filterExpr } : {}) }));

const plan = fc.tuple(fc.subarray([0, 1]), fc.array(aggregate, { minLength: 1, maxLength: 5 })).map(([keys, aggs]): AggregateNode => ({
  kind: 'aggregate', input: { kind: 'scan', table: 't', columns: COLUMNS }, groupBy: keys.map(col), aggregates: aggs,
  names: [...keys.map((k) => COLUMNS[k]!.name), ...aggs.map((_, i) => `a${i}`)],
}));

const text = (rows: unknown[][]): string[] => rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();

async function twoPhase(node: AggregateNode, parts: Row[][]): Promise<unknown[][]> {
  const split = splitAggregate(node);
  expect(split).toBeDefined();
  const partials: Batch[] = [];
  for (const rows of parts) {
    const table: Table = { columns: COLUMNS, rows };
    for await (const b of execute(split!.partial as PlanNode, memoryContext({ t: table }, { chunkRows: 7 }))) partials.push(b);
  }
  const out: unknown[][] = [];
  for await (const b of mergePartials(split!, partials, { params: [], batchRowsMax: 5 })) out.push(...batchToRows(b));
  return out;
}

describe('two-phase aggregation', () => {
  it('partial per part + merge = one-phase aggregation', async () => {
    await fc.assert(
      fc.asyncProperty(plan, fc.array(row, { maxLength: 60 }), fc.array(fc.nat(3), { maxLength: 60 }), async (node, rows, cuts) => {
        // row i goes to part cuts[i] (of up to 4 parts; unlisted rows to part 0)
        const parts: Row[][] = [[], [], [], []];
        rows.forEach((r, i) => parts[cuts[i] ?? 0]!.push(r));
        const one = await collectRows(node, memoryContext({ t: { columns: COLUMNS, rows } }, { chunkRows: 11 }));
        expect(text(await twoPhase(node, parts))).toEqual(text(one));
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('does not split DISTINCT aggregates or double sums (their result would depend on the split)', () => {
    const scan: PlanNode = { kind: 'scan', table: 't', columns: COLUMNS };
    const distinct: AggregateNode = { kind: 'aggregate', input: scan, groupBy: [], aggregates: [{ fn: 'count', arg: col(3), distinct: true, type: { id: 'bigint' } }], names: ['c'] };
    const dbl: AggregateNode = { ...distinct, aggregates: [{ fn: 'sum', arg: { kind: 'cast', arg: col(3), type: { id: 'double' } }, distinct: false, type: { id: 'double' } }] };
    expect(splitAggregate(distinct)).toBeUndefined();
    expect(splitAggregate(dbl)).toBeUndefined();
    expect(splitAggregate({ ...distinct, aggregates: [{ fn: 'count', arg: col(3), distinct: false, type: { id: 'bigint' } }] })).toBeDefined();
  });
});

// Operators checked against naive reference implementations written here (nested loops, sorting whole
// arrays), on random tables with NULLs and duplicates, under compiled/interpreted and tiny/large batches.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { execute } from '../../olap/exec/execute.ts';
import type { AggregateSpec, Batch, JoinType, OperatorStats, PlanNode, ScanNode, SortKey } from '../../olap/exec/spec.ts';
import type { Row, Value } from '../../oltp/types.ts';
import { BOOL, call, col, lit, memoryContext, run, runAll, scan, sorted, T, type Table } from './helpers.ts';

const D2 = T.decimal(12, 2);
const COLS = [{ name: 'k', type: T.integer }, { name: 's', type: T.text }, { name: 'd', type: D2 }];

const rowArb = fc.tuple(
  fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 5 }),
  fc.option(fc.constantFrom('a', 'b', 'B', 'ab', ''), { nil: null, freq: 5 }),
  fc.option(fc.bigInt({ min: -500n, max: 500n }), { nil: null, freq: 5 }),
).map((r) => r as Row);
const tableArb = fc.array(rowArb, { maxLength: 25 }).map((rows): Table => ({ columns: COLS, rows }));

function eqJoin(l: Row, r: Row, k = 0): boolean {
  return l[k] !== null && r[k] !== null && l[k] === r[k];
}

/** Reference join: nested loops with an extra residual (d_left < d_right when residual is set). */
function referenceJoin(type: JoinType, left: Row[], right: Row[], residual: boolean, nullAware = false, k = 0): Row[] {
  const match = (l: Row, r: Row) => eqJoin(l, r, k) && (!residual || (l[2] !== null && r[2] !== null && (l[2] as bigint) < (r[2] as bigint)));
  const nulls = [null, null, null];
  const out: Row[] = [];
  const rightMatched = new Set<number>();
  for (const l of left) {
    let any = false;
    right.forEach((r, j) => {
      if (!match(l, r)) return;
      any = true;
      rightMatched.add(j);
      if (type !== 'semi' && type !== 'anti') out.push([...l, ...r]);
    });
    if (type === 'semi' && any) out.push(l);
    if (type === 'anti' && !any) {
      if (!nullAware) out.push(l);
      else if (right.length === 0 || (l[0] !== null && !right.some((r) => r[0] === null))) out.push(l);
    }
    if ((type === 'left' || type === 'full') && !any) out.push([...l, ...nulls]);
  }
  if (type === 'right' || type === 'full') right.forEach((r, j) => { if (!rightMatched.has(j)) out.push([...nulls, ...r]); });
  return out;
}

const JOIN_TYPES: JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
const residualExpr = call('<', BOOL, col(2, D2), col(5, D2));

describe('joins', () => {
  // dense integer keys use the directly indexed table, sparse ones and strings the Map
  const sparse = (t: Table): Table => ({ ...t, rows: t.rows.map((r) => [r[0] === null ? null : (r[0] as number) * 1_000_003, r[1]!, r[2]!]) });
  for (const joinType of JOIN_TYPES) {
    it(`hash and nested-loop ${joinType} join equal the reference`, async () => {
      await fc.assert(fc.asyncProperty(tableArb, tableArb, fc.boolean(), fc.constantFrom('dense', 'sparse', 'text'), async (l0, r0, withResidual, keys) => {
        const l = keys === 'sparse' ? sparse(l0) : l0;
        const r = keys === 'sparse' ? sparse(r0) : r0;
        const tables = { l, r };
        const k = keys === 'text' ? 1 : 0;
        const kt = COLS[k]!.type;
        const ref = referenceJoin(joinType, l.rows, r.rows, withResidual, false, k);
        const hash: PlanNode = { kind: 'hashJoin', joinType, left: scan('l', l), right: scan('r', r), leftKeys: [col(k, kt)], rightKeys: [col(k, kt)], residual: withResidual ? residualExpr : undefined };
        expect(sorted(await runAll(hash, tables))).toEqual(sorted(ref));
        const eq = call('=', BOOL, col(k, kt), col(3 + k, kt));
        const loop: PlanNode = { kind: 'nestedLoopJoin', joinType, left: scan('l', l), right: scan('r', r), predicate: withResidual ? { kind: 'and', args: [eq, residualExpr], type: BOOL } : eq };
        expect(sorted(await runAll(loop, tables))).toEqual(sorted(ref));
      }), { numRuns: 40 });
    });
  }

  it('null-aware anti join implements NOT IN', async () => {
    await fc.assert(fc.asyncProperty(tableArb, tableArb, async (l, r) => {
      const plan: PlanNode = { kind: 'hashJoin', joinType: 'anti', nullAware: true, left: scan('l', l), right: scan('r', r), leftKeys: [col(0, T.integer)], rightKeys: [col(0, T.integer)] };
      expect(sorted(await runAll(plan, { l, r }))).toEqual(sorted(referenceJoin('anti', l.rows, r.rows, false, true)));
    }), { numRuns: 60 });
  });

  it('join keys of different numeric types match by value (integer = decimal)', async () => {
    const l: Table = { columns: [{ name: 'k', type: T.integer }], rows: [[1], [2], [3]] };
    const r: Table = { columns: [{ name: 'd', type: D2 }], rows: [[100n], [250n], [300n]] };
    const plan: PlanNode = { kind: 'hashJoin', joinType: 'inner', left: scan('l', l), right: scan('r', r), leftKeys: [col(0, T.integer)], rightKeys: [col(0, D2)] };
    expect(sorted(await runAll(plan, { l, r }))).toEqual(sorted([[1, 100n], [3, 300n]]));
  });

  it('cross join without a predicate', async () => {
    const l: Table = { columns: [{ name: 'a', type: T.integer }], rows: [[1], [2]] };
    const r: Table = { columns: [{ name: 'b', type: T.text }], rows: [['x'], ['y'], ['z']] };
    const plan: PlanNode = { kind: 'nestedLoopJoin', joinType: 'inner', left: scan('l', l), right: scan('r', r) };
    expect((await runAll(plan, { l, r })).length).toBe(6);
  });
});

function refKey(v: Value): string {
  return typeof v === 'bigint' ? `${v}n` : JSON.stringify(v);
}

describe('aggregation', () => {
  const aggs: AggregateSpec[] = [
    { fn: 'count_star', distinct: false, type: T.bigint },
    { fn: 'count', arg: col(2, D2), distinct: false, type: T.bigint },
    { fn: 'sum', arg: col(2, D2), distinct: false, type: D2 },
    { fn: 'min', arg: col(1, T.text), distinct: false, type: T.text },
    { fn: 'max', arg: col(2, D2), distinct: false, type: D2 },
    { fn: 'count', arg: col(2, D2), distinct: true, type: T.bigint },
    { fn: 'sum', arg: col(0, T.integer), distinct: true, type: T.bigint },
    { fn: 'avg', arg: col(2, D2), distinct: false, type: T.decimal(30, 4) },
  ];

  function reference(rows: Row[], keys: number[]): Row[] {
    const grouped = keys.length > 0;
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      const key = keys.map((c) => refKey(r[c]!)).join('|');
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    if (!grouped && groups.size === 0) groups.set('', []);
    const out: Row[] = [];
    for (const g of groups.values()) {
      const ds = g.map((r) => r[2]).filter((v): v is bigint => v !== null);
      const ss = g.map((r) => r[1]).filter((v): v is string => v !== null).sort();
      const distinctD = new Set(ds);
      const distinctK = [...new Set(g.map((r) => r[0]).filter((v): v is number => v !== null))];
      const sum = ds.reduce((a, b) => a + b, 0n);
      const avg = ds.length === 0 ? null : (() => {
        // round half away from zero at scale 4
        const n = sum * 100n; const d = BigInt(ds.length);
        const q = n / d; const rem = n % d;
        return (rem < 0n ? -rem : rem) * 2n >= d ? q + (n < 0n ? -1n : 1n) : q;
      })();
      const row: Row = [
        g.length, ds.length, ds.length === 0 ? null : sum, ss[0] ?? null,
        ds.length === 0 ? null : ds.reduce((a, b) => (a > b ? a : b)),
        distinctD.size, distinctK.length === 0 ? null : distinctK.reduce((a, b) => a + b, 0), avg,
      ];
      out.push([...keys.map((c) => g[0]![c]!), ...row]);
    }
    return out;
  }

  it('grouped and global aggregates equal the reference', async () => {
    await fc.assert(fc.asyncProperty(tableArb, fc.constantFrom<number[]>([], [1], [0], [2], [1, 0], [0, 2, 1]), async (t, keys) => {
      const plan: PlanNode = { kind: 'aggregate', input: scan('t', t), groupBy: keys.map((c) => col(c, COLS[c]!.type)), aggregates: aggs, names: [] };
      expect(sorted(await runAll(plan, { t }))).toEqual(sorted(reference(t.rows, keys)));
    }), { numRuns: 80 });
  });

  it('sums beyond 2^53 stay exact', async () => {
    const big = 4503599627370496n; // 2^52
    const t: Table = { columns: [{ name: 'd', type: D2 }], rows: [[big], [big], [big], [1n], [-3n]] };
    const plan: PlanNode = { kind: 'aggregate', input: scan('t', t), groupBy: [], aggregates: [{ fn: 'sum', arg: col(0, D2), distinct: false, type: T.decimal(38, 2) }], names: ['s'] };
    expect(await runAll(plan, { t })).toEqual([[3n * big - 2n]]);
  });

  it('a DECIMAL column arriving as both double-backed and bigint-backed vectors groups and joins by value', async () => {
    const D = T.decimal(30, 2);
    const small: Batch = { length: 2, types: [D], selection: undefined, columns: [{ kind: 'decimal', scale: 2, data: Float64Array.from([150, 7]), valid: undefined }] };
    const big: Batch = { length: 3, types: [D], selection: undefined, columns: [{ kind: 'bigdecimal', scale: 2, data: [150n, 10n ** 20n, 7n], valid: undefined }] };
    const ctx = (order: Batch[]) => ({ ...memoryContext({}), async *scan() { yield* order; } });
    const s: ScanNode = { kind: 'scan', table: 't', columns: [{ name: 'd', type: D }] };
    const agg: PlanNode = { kind: 'aggregate', input: s, groupBy: [col(0, D)], names: [], aggregates: [{ fn: 'count_star', distinct: false, type: T.bigint }] };
    expect(sorted(await run(agg, ctx([small, big])))).toEqual(sorted([[150n, 2], [7n, 2], [10n ** 20n, 1]]));
    const join: PlanNode = { kind: 'hashJoin', joinType: 'inner', left: s, right: s, leftKeys: [col(0, D)], rightKeys: [col(0, D)] };
    // build side materializes into one bigint-backed vector; probe batches come both ways
    expect((await run(join, ctx([small, big]))).length).toBe(4 + 4 + 1);
    const distinct: PlanNode = { kind: 'distinct', input: s };
    expect((await run(distinct, ctx([small, big]))).length).toBe(3);
  });

  it('FILTER clause and aggregates over an empty input', async () => {
    const t: Table = { columns: COLS, rows: [[1, 'a', 100n], [2, 'b', 200n]] };
    const onlyA = call('=', BOOL, col(1, T.text), lit('a', T.text));
    const plan: PlanNode = { kind: 'aggregate', input: scan('t', t), groupBy: [], names: [], aggregates: [{ fn: 'sum', arg: col(2, D2), distinct: false, type: D2, filter: onlyA }] };
    expect(await runAll(plan, { t })).toEqual([[100n]]);
    const empty: PlanNode = { kind: 'aggregate', input: scan('e', { columns: COLS, rows: [] }), groupBy: [], names: [], aggregates: aggs.slice(0, 3) };
    expect(await runAll(empty, { e: { columns: COLS, rows: [] } })).toEqual([[0, 0, null]]);
  });
});

describe('sort, top-N, limit', () => {
  const compare = (a: Value, b: Value, desc: boolean, nullsFirst: boolean): number => {
    if (a === null || b === null) return a === b ? 0 : (a === null) === nullsFirst ? -1 : 1;
    const c = a < b ? -1 : a > b ? 1 : 0;
    return desc ? -c : c;
  };

  it('sort and top-N order like PostgreSQL (NULLs last ASC, first DESC, code-point strings), stable', async () => {
    await fc.assert(fc.asyncProperty(tableArb, fc.boolean(), fc.boolean(), fc.option(fc.boolean(), { nil: undefined }), fc.nat(8), fc.nat(3),
      async (t, desc1, desc2, nullsFirst, limit, offset) => {
        const keys: SortKey[] = [{ expr: col(1, T.text), descending: desc1, nullsFirst }, { expr: col(2, D2), descending: desc2 }];
        const expected = t.rows.map((r, i) => ({ r, i })).sort((x, y) =>
          compare(x.r[1]!, y.r[1]!, desc1, nullsFirst ?? desc1) || compare(x.r[2]!, y.r[2]!, desc2, desc2) || x.i - y.i).map((x) => x.r);
        const sortPlan: PlanNode = { kind: 'sort', input: scan('t', t), keys };
        expect(await runAll(sortPlan, { t }, [], true)).toEqual(expected);
        const top: PlanNode = { kind: 'topN', input: scan('t', t), keys, limit: lit(limit, T.bigint), offset: lit(offset, T.bigint) };
        expect(await runAll(top, { t }, [], true)).toEqual(expected.slice(offset, offset + limit));
        const lim: PlanNode = { kind: 'limit', input: sortPlan, limit: { kind: 'param', index: 1, type: T.bigint }, offset: lit(offset, T.bigint) };
        expect(await runAll(lim, { t }, [limit], true)).toEqual(expected.slice(offset, offset + limit));
      }), { numRuns: 60 });
  });

  it('sorts strings by code point, dictionary-encoded or not', async () => {
    const t: Table = { columns: [{ name: 's', type: T.text }], rows: [['😀'], ['\uFFFD'], ['z'], ['A'], [null]] };
    const plan: PlanNode = { kind: 'sort', input: scan('t', t), keys: [{ expr: col(0, T.text), descending: false }] };
    expect(await runAll(plan, { t }, [], true)).toEqual([['A'], ['z'], ['\uFFFD'], ['😀'], [null]]);
  });

  it('sorts and materializes boolean, date and double columns', async () => {
    const cols = [{ name: 'b', type: T.boolean }, { name: 'd', type: T.date }, { name: 'f', type: T.double }];
    const t: Table = { columns: cols, rows: [[true, 3, 1.5], [null, 1, null], [false, 2, -0.5], [true, null, 2.5]] };
    const plan: PlanNode = { kind: 'sort', input: scan('t', t), keys: [{ expr: col(0, T.boolean), descending: false }, { expr: col(1, T.date), descending: true }] };
    expect(await runAll(plan, { t }, [], true)).toEqual([[false, 2, -0.5], [true, null, 2.5], [true, 3, 1.5], [null, 1, null]]);
  });

  it('negative LIMIT is an error, NULL LIMIT means all', async () => {
    const t: Table = { columns: COLS, rows: [[1, 'a', 1n], [2, 'b', 2n]] };
    await expect(run({ kind: 'limit', input: scan('t', t), limit: lit(-1, T.bigint) }, memoryContext({ t }))).rejects.toMatchObject({ code: '2201W' });
    expect(await runAll({ kind: 'limit', input: scan('t', t), limit: lit(null, T.bigint) }, { t })).toHaveLength(2);
  });

  it('LIMIT stops pulling its input early', async () => {
    let batches = 0;
    const ctx = { ...memoryContext({}), async *scan() { for (let i = 0; i < 1000; i++) { batches++; yield (await import('../../olap/exec/batch.ts')).rowsToBatch([[i, 'x', 1n]], COLS.map((c) => c.type)); } } };
    const rows = await run({ kind: 'limit', input: scan('t', { columns: COLS, rows: [] }), limit: lit(3, T.bigint) }, ctx);
    expect(rows).toHaveLength(3);
    expect(batches).toBeLessThan(10);
  });
});

describe('distinct and set operations', () => {
  const key = (r: Row) => refKey(r[0]!) + '|' + refKey(r[1]!);
  const project = (name: string, t: Table): PlanNode => ({ kind: 'project', input: scan(name, t), exprs: [col(0, T.integer), col(1, T.text)], names: ['k', 's'] });

  function reference(op: 'union' | 'intersect' | 'except', all: boolean, l: Row[], r: Row[]): Row[] {
    const count = (rows: Row[]) => { const m = new Map<string, number>(); for (const x of rows) m.set(key(x), (m.get(key(x)) ?? 0) + 1); return m; };
    const rc = count(r);
    const out: Row[] = [];
    if (op === 'union') {
      const both = [...l, ...r];
      if (all) return both;
      const seen = new Set<string>();
      for (const x of both) if (!seen.has(key(x))) { seen.add(key(x)); out.push(x); }
      return out;
    }
    const seen = new Set<string>();
    for (const x of l) {
      const k = key(x);
      const n = rc.get(k) ?? 0;
      if (op === 'intersect') {
        if (all) { if (n > 0) { out.push(x); rc.set(k, n - 1); } } else if (n > 0 && !seen.has(k)) { seen.add(k); out.push(x); }
      } else if (all) { if (n > 0) rc.set(k, n - 1); else out.push(x); } else if (n === 0 && !seen.has(k)) { seen.add(k); out.push(x); }
    }
    return out;
  }

  for (const op of ['union', 'intersect', 'except'] as const) {
    for (const all of [false, true]) {
      it(`${op}${all ? ' all' : ''} equals the reference (NULLs equal)`, async () => {
        await fc.assert(fc.asyncProperty(tableArb, tableArb, async (l, r) => {
          const plan: PlanNode = { kind: 'setOp', op, all, left: project('l', l), right: project('r', r), names: ['k', 's'] };
          const strip = (rows: Row[]) => rows.map((x) => [x[0]!, x[1]!]);
          expect(sorted(await runAll(plan, { l, r }))).toEqual(sorted(reference(op, all, strip(l.rows), strip(r.rows))));
        }), { numRuns: 30 });
      });
    }
  }

  it('DISTINCT keeps one of each row', async () => {
    await fc.assert(fc.asyncProperty(tableArb, async (t) => {
      const plan: PlanNode = { kind: 'distinct', input: project('t', t) };
      const expected = reference('union', false, t.rows.map((x) => [x[0]!, x[1]!]), []);
      expect(sorted(await runAll(plan, { t }))).toEqual(sorted(expected));
    }), { numRuns: 40 });
  });
});

describe('values, single row, project, filter, stats', () => {
  it('VALUES with parameters and casts to the column type', async () => {
    const plan: PlanNode = { kind: 'values', columns: [{ name: 'a', type: T.integer }, { name: 'b', type: D2 }], rows: [[lit(1, T.integer), { kind: 'param', index: 1, type: D2 }], [lit(2, T.integer), lit(3, T.integer)]] };
    expect(await runAll(plan, {}, [150n], true)).toEqual([[1, 150n], [2, 300n]]);
  });

  it('singleRow: none → NULL row, two → 21000', async () => {
    const t: Table = { columns: COLS, rows: [[1, 'a', 1n], [2, 'b', 2n]] };
    const one = (filter: number): PlanNode => ({ kind: 'singleRow', input: scan('t', t, call('>', BOOL, col(0, T.integer), lit(filter, T.integer))) });
    expect(await runAll(one(5), { t })).toEqual([[null, null, null]]);
    expect(await runAll(one(1), { t })).toEqual([[2, 'b', 2n]]);
    await expect(run(one(0), memoryContext({ t }))).rejects.toMatchObject({ code: '21000' });
  });

  it('filter and project through selection vectors; errors surface as DuetError', async () => {
    const t: Table = { columns: COLS, rows: [[1, 'a', 100n], [0, 'b', 200n], [3, null, null]] };
    const filtered: PlanNode = { kind: 'filter', input: scan('t', t), predicate: call('<>', BOOL, col(0, T.integer), lit(0, T.integer)) };
    const plan: PlanNode = { kind: 'project', input: filtered, exprs: [call('/', T.integer, lit(6, T.integer), col(0, T.integer)), col(1, T.text)], names: ['q', 's'] };
    expect(await runAll(plan, { t }, [], true)).toEqual([[6, 'a'], [2, null]]);
    const unfiltered: PlanNode = { kind: 'project', input: scan('t', t), exprs: [call('/', T.integer, lit(6, T.integer), col(0, T.integer))], names: ['q'] };
    await expect(run(unfiltered, memoryContext({ t }))).rejects.toMatchObject({ code: '22012' });
  });

  it('an aborted signal cancels the query with 57014', async () => {
    const t: Table = { columns: COLS, rows: Array.from({ length: 30 }, (_, i) => [i, 'x', 1n]) };
    const controller = new AbortController();
    const ctx = { ...memoryContext({ t }, { chunkRows: 5 }), signal: controller.signal };
    const seen: number[] = [];
    await expect((async () => {
      for await (const b of execute(scan('t', t), ctx)) {
        seen.push(b.length);
        controller.abort();
      }
    })()).rejects.toMatchObject({ code: '57014' });
    expect(seen).toHaveLength(1);
  });

  it('EXPLAIN ANALYZE counters: rows and batches per operator', async () => {
    const t: Table = { columns: COLS, rows: Array.from({ length: 50 }, (_, i) => [i, 'x', BigInt(i)]) };
    const filter: PlanNode = { kind: 'filter', input: scan('t', t), predicate: call('<', BOOL, col(0, T.integer), lit(20, T.integer)) };
    const plan: PlanNode = { kind: 'limit', input: filter, limit: lit(5, T.bigint) };
    const stats = new Map<PlanNode, OperatorStats>();
    let rows = 0;
    for await (const b of execute(plan, memoryContext({ t }, { chunkRows: 10, stats }))) rows += b.selection?.length ?? b.length;
    expect(rows).toBe(5);
    expect(stats.get(plan)?.rowsOut).toBe(5);
    expect(stats.get(filter)?.rowsOut).toBe(10);
    expect(stats.get(filter)?.timeMs).toBeGreaterThanOrEqual(0);
  });
});

// Benchmark: a TPC-H Q1-shaped aggregation (filter on a date, 2 group keys, sums of exact decimal
// expressions, averages, count) over N generated rows, duetdb's executor vs DuckDB on the same data.
// Run: npx tsx bench/exec/q1.ts [rows=1000000]

import os from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { collectRows } from '../../olap/exec/execute.ts';
import type { Batch, Expr, PlanNode, ScanNode } from '../../olap/exec/spec.ts';
import { Types, type SqlType } from '../../oltp/types.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const BATCH = 2048;
const D2 = Types.decimal(15, 2);
const TYPES: SqlType[] = [D2, D2, D2, D2, Types.varchar(1, true), Types.varchar(1, true), Types.date];
const FLAGS = ['A', 'N', 'R'];
const STATUS = ['F', 'O'];

// Deterministic columns from the row number i; the DuckDB SQL below computes the same formulas.
const quantity = (i: number) => ((i * 7919) % 50) + 1; // × 100 (scale 2)
const price = (i: number) => ((i * 104729) % 9_000_000) + 100_000; // cents
const discount = (i: number) => (i * 31) % 11; // hundredths
const tax = (i: number) => (i * 17) % 9;
const flag = (i: number) => (i * 13) % 3;
const status = (i: number) => (i * 7) % 2;
const shipdate = (i: number) => 8000 + ((i * 37) % 2500);

function makeBatches(): Batch[] {
  const out: Batch[] = [];
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const q = new Float64Array(n); const p = new Float64Array(n); const d = new Float64Array(n); const t = new Float64Array(n);
    const f = new Int32Array(n); const s = new Int32Array(n); const sd = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = start + k;
      q[k] = quantity(i) * 100; p[k] = price(i); d[k] = discount(i); t[k] = tax(i); f[k] = flag(i); s[k] = status(i); sd[k] = shipdate(i);
    }
    out.push({
      length: n, types: TYPES, selection: undefined,
      columns: [
        { kind: 'decimal', scale: 2, data: q, valid: undefined }, { kind: 'decimal', scale: 2, data: p, valid: undefined },
        { kind: 'decimal', scale: 2, data: d, valid: undefined }, { kind: 'decimal', scale: 2, data: t, valid: undefined },
        { kind: 'dict', dict: FLAGS, codes: f, valid: undefined }, { kind: 'dict', dict: STATUS, codes: s, valid: undefined },
        { kind: 'number', data: sd, valid: undefined },
      ],
    });
  }
  return out;
}

const col = (index: number): Expr => ({ kind: 'col', index, type: TYPES[index]! });
const num = (scale: number): SqlType => ({ id: 'decimal', scale });
const one: Expr = { kind: 'const', value: 100n, type: D2 };
const discPrice: Expr = { kind: 'call', fn: '*', type: num(4), args: [col(1), { kind: 'call', fn: '-', type: D2, args: [one, col(2)] }] };
const charge: Expr = { kind: 'call', fn: '*', type: num(6), args: [discPrice, { kind: 'call', fn: '+', type: D2, args: [one, col(3)] }] };

function plan(batches: Batch[]): { plan: PlanNode; scan: (n: ScanNode) => AsyncIterable<Batch> } {
  const scan: ScanNode = { kind: 'scan', table: 'lineitem', columns: TYPES.map((type, i) => ({ name: `c${i}`, type })) };
  const filter: PlanNode = { kind: 'filter', input: scan, predicate: { kind: 'call', fn: '<=', type: Types.boolean, args: [col(6), { kind: 'const', value: 10_000, type: Types.date }] } };
  const agg: PlanNode = {
    kind: 'aggregate', input: filter, groupBy: [col(4), col(5)], names: [],
    aggregates: [
      { fn: 'sum', arg: col(0), distinct: false, type: num(2) },
      { fn: 'sum', arg: col(1), distinct: false, type: num(2) },
      { fn: 'sum', arg: discPrice, distinct: false, type: num(4) },
      { fn: 'sum', arg: charge, distinct: false, type: num(6) },
      { fn: 'avg', arg: col(0), distinct: false, type: num(6) },
      { fn: 'avg', arg: col(1), distinct: false, type: num(6) },
      { fn: 'avg', arg: col(2), distinct: false, type: num(6) },
      { fn: 'count_star', distinct: false, type: Types.bigint },
    ],
  };
  const sort: PlanNode = { kind: 'sort', input: agg, keys: [{ expr: { kind: 'col', index: 0, type: TYPES[4]! }, descending: false }, { expr: { kind: 'col', index: 1, type: TYPES[5]! }, descending: false }] };
  return { plan: sort, scan: async function* () { yield* batches; } };
}

const DUCK_SQL = `
WITH l AS (
  SELECT (((i * 7919) % 50) + 1)::DECIMAL(15,2) AS q, ((((i * 104729) % 9000000) + 100000) / 100)::DECIMAL(15,2) AS p,
         (((i * 31) % 11) / 100)::DECIMAL(15,2) AS d, (((i * 17) % 9) / 100)::DECIMAL(15,2) AS t,
         ['A','N','R'][((i * 13) % 3) + 1] AS f, ['F','O'][((i * 7) % 2) + 1] AS s, DATE '1970-01-01' + (8000 + ((i * 37) % 2500))::INTEGER AS sd
  FROM range(0, ${rows}) r(i))
SELECT f, s, sum(q), sum(p), sum(p * (1 - d)), sum(p * (1 - d) * (1 + t)), avg(q), avg(p), avg(d), count(*)
FROM l WHERE sd <= DATE '1970-01-01' + 10000 GROUP BY f, s ORDER BY f, s`;

async function main(): Promise<void> {
  const batches = makeBatches();
  const { plan: p, scan } = plan(batches);
  const times: number[] = [];
  let result: unknown[][] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    result = await collectRows(p, { params: [], scan });
    times.push(performance.now() - t0);
  }
  const duet = Math.min(...times);

  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`CREATE TABLE lineitem AS ${DUCK_SQL.replace(/SELECT f, s[\s\S]*$/, 'SELECT * FROM l')}`);
  const duckQuery = DUCK_SQL.replace(/WITH l AS \([\s\S]*?FROM range\(0, \d+\) r\(i\)\)/, 'WITH l AS (SELECT * FROM lineitem)');
  const duckTimes: number[] = [];
  let duckRows: unknown[][] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    duckRows = (await duck.runAndReadAll(duckQuery)).getRows() as unknown[][];
    duckTimes.push(performance.now() - t0);
  }
  const duckMs = Math.min(...duckTimes);
  // compare group keys, exact decimal sums and counts with DuckDB's
  const pick = (r: unknown[]) => [r[0], r[1], ...[2, 3, 4, 5].map((c) => String((r[c] as { value?: bigint }).value ?? r[c])), Number(r[9])].join('|');
  const same = JSON.stringify(result.map(pick)) === JSON.stringify(duckRows.map(pick));
  if (!same) console.log(result, duckRows);
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, node ${process.version}, rows ${rows}; load average ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`duetdb executor (best of 5): ${duet.toFixed(1)} ms  (${(rows / duet / 1000).toFixed(2)} M rows/s)`);
  console.log(`DuckDB ${(await import('@duckdb/node-api')).version?.() ?? ''} table scan (best of 5): ${duckMs.toFixed(1)} ms`);
  console.log(`ratio duetdb/DuckDB: ${(duet / duckMs).toFixed(1)}x; groups, decimal sums and counts equal DuckDB's: ${same}`);
}

await main();

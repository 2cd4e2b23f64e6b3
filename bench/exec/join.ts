// Benchmark: hash join + aggregation (lineitem ⋈ orders on the order key, a filter on the build side,
// count and exact decimal sum), duetdb's executor vs DuckDB on the same generated data.
// Run: npx tsx bench/exec/join.ts [lineitemRows=1000000]

import os from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { collectRows } from '../../olap/exec/execute.ts';
import type { Batch, PlanNode, ScanNode } from '../../olap/exec/spec.ts';
import { Types, type SqlType } from '../../oltp/types.ts';

const lineRows = Number(process.argv[2] ?? 1_000_000);
const orderRows = Math.floor(lineRows / 4);
const BATCH = 2048;
const D2 = Types.decimal(15, 2);
const LINE: SqlType[] = [Types.integer, D2];
const ORDERS: SqlType[] = [Types.integer, Types.date];

// The same formulas in SQL below: line i belongs to order (i * 7) % orders; price = (i * 104729) % 9000000 + 100000 cents.
function batches(rows: number, make: (i: number) => [number, number], types: SqlType[]): Batch[] {
  const out: Batch[] = [];
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let k = 0; k < n; k++) [a[k], b[k]] = make(start + k);
    out.push({
      length: n, types, selection: undefined,
      columns: [{ kind: 'number', data: a, valid: undefined }, types[1]!.id === 'decimal' ? { kind: 'decimal', scale: 2, data: b, valid: undefined } : { kind: 'number', data: b, valid: undefined }],
    });
  }
  return out;
}

async function main(): Promise<void> {
  const line = batches(lineRows, (i) => [(i * 7) % orderRows, ((i * 104729) % 9_000_000) + 100_000], LINE);
  const orders = batches(orderRows, (i) => [i, 8000 + ((i * 37) % 2500)], ORDERS);
  const scanNode = (table: string, types: SqlType[]): ScanNode => ({ kind: 'scan', table, columns: types.map((type, i) => ({ name: `c${i}`, type })) });
  const build: PlanNode = { kind: 'filter', input: scanNode('orders', ORDERS), predicate: { kind: 'call', fn: '<', type: Types.boolean, args: [{ kind: 'col', index: 1, type: Types.date }, { kind: 'const', value: 9000, type: Types.date }] } };
  const join: PlanNode = { kind: 'hashJoin', joinType: 'inner', left: scanNode('lineitem', LINE), right: build, leftKeys: [{ kind: 'col', index: 0, type: Types.integer }], rightKeys: [{ kind: 'col', index: 0, type: Types.integer }] };
  const plan: PlanNode = { kind: 'aggregate', input: join, groupBy: [], names: ['n', 's'], aggregates: [
    { fn: 'count_star', distinct: false, type: Types.bigint },
    { fn: 'sum', arg: { kind: 'col', index: 1, type: D2 }, distinct: false, type: { id: 'decimal', scale: 2 } },
  ] };
  const scan = (node: ScanNode) => (async function* () { yield* node.table === 'orders' ? orders : line; })();
  const times: number[] = [];
  let result: unknown[][] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    result = await collectRows(plan, { params: [], scan });
    times.push(performance.now() - t0);
  }
  const duet = Math.min(...times);

  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`CREATE TABLE lineitem AS SELECT ((i * 7) % ${orderRows})::INTEGER AS k, ((((i * 104729) % 9000000) + 100000) / 100)::DECIMAL(15,2) AS p FROM range(0, ${lineRows}) r(i)`);
  await duck.run(`CREATE TABLE orders AS SELECT i::INTEGER AS k, DATE '1970-01-01' + (8000 + ((i * 37) % 2500))::INTEGER AS d FROM range(0, ${orderRows}) r(i)`);
  const sql = `SELECT count(*), sum(l.p) FROM lineitem l JOIN orders o ON l.k = o.k WHERE o.d < DATE '1970-01-01' + 9000`;
  const duckTimes: number[] = [];
  let duckRows: unknown[][] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    duckRows = (await duck.runAndReadAll(sql)).getRows() as unknown[][];
    duckTimes.push(performance.now() - t0);
  }
  const duckMs = Math.min(...duckTimes);
  const same = String(result[0]![0]) === String(duckRows[0]![0]) && String(result[0]![1]) === String((duckRows[0]![1] as { value: bigint }).value);
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, node ${process.version}, lineitem ${lineRows} rows, orders ${orderRows} rows; load average ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`duetdb executor (best of 5): ${duet.toFixed(1)} ms  (${(lineRows / duet / 1000).toFixed(2)} M probe rows/s)`);
  console.log(`DuckDB (best of 5): ${duckMs.toFixed(1)} ms`);
  console.log(`ratio duetdb/DuckDB: ${(duet / duckMs).toFixed(1)}x; count and exact sum equal DuckDB's: ${same}`);
}

await main();

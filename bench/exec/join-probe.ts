// CPU time of the hash join's build table alone (olap/exec/ops/join-table.ts) on sparse integer keys shaped
// like TPC-H order keys (8 used of every 32, so the directly indexed table does not apply): build on
// --build rows, probe --probe rows in batches of 2,048, lowest of --rounds. A/B: --root DIR, alternating.
// Run: npx tsx bench/exec/join-probe.ts [--build 150000] [--probe 6000000] [--rounds 9] [--root DIR]
import { join, resolve } from 'node:path';
import { arg } from '../args.ts';
import type { NumberVector } from '../../olap/exec/spec.ts';
import { Types } from '../../oltp/types.ts';

const root = resolve(arg('root', join(import.meta.dirname, '..', '..')));
const { BuildTable } = await import(join(root, 'olap/exec/ops/join-table.ts')) as typeof import('../../olap/exec/ops/join-table.ts');
const buildRows = Number(arg('build', '150000'));
const probeRows = Number(arg('probe', '6000000'));
const rounds = Number(arg('rounds', '9'));
const BATCH = 2048;

const orderKey = (i: number): number => Math.floor(i / 8) * 32 + (i % 8) + 1;
let seed = 7;
const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
// build: every 40th order, each key on ~4 rows (a non-unique build side, as lineitem is)
const buildKeys = new Float64Array(buildRows);
for (let r = 0; r < buildRows; r++) buildKeys[r] = orderKey(Math.floor(r / 4) * 40);
const probes: NumberVector[] = [];
for (let start = 0; start < probeRows; start += BATCH) {
  const data = new Float64Array(Math.min(BATCH, probeRows - start));
  for (let k = 0; k < data.length; k++) data[k] = orderKey(Math.floor(random() * buildRows * 10));
  probes.push({ kind: 'number', data, valid: undefined });
}
const types = [Types.bigint];
const heads = new Int32Array(BATCH);
let best = Infinity;
let matched = 0;
for (let round = 0; round < rounds; round++) {
  const c0 = process.cpuUsage();
  const table = new BuildTable([{ kind: 'number', data: buildKeys, valid: undefined }], types, types, buildRows);
  matched = 0;
  for (const v of probes) {
    table.probe([v], undefined, v.data.length, heads);
    for (let k = 0; k < v.data.length; k++) if (heads[k]! >= 0) matched++;
  }
  const c = process.cpuUsage(c0);
  best = Math.min(best, (c.user + c.system) / 1000);
}
process.stdout.write(`build ${buildRows} rows, probe ${probeRows} rows (${matched} matched): lowest cpu ${best.toFixed(1)} ms of ${rounds} (root ${root})\n`);

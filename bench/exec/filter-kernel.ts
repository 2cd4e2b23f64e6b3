// CPU time of the compiled filter and projection kernels alone (olap/exec/expr/compile.ts) over TPC-H Q6's
// predicate and product on synthetic lineitem-like blocks (no NULLs, 2,048 rows), lowest of many rounds.
// A/B against another checkout: run it with --root DIR, alternating. Run:
// npx tsx bench/exec/filter-kernel.ts [--rows 6000000] [--rounds 40] [--root DIR]
import { join, resolve } from 'node:path';
import { arg } from '../args.ts';
import type { Expr, Vector } from '../../olap/exec/spec.ts';
import { Types } from '../../oltp/types.ts';

const root = resolve(arg('root', join(import.meta.dirname, '..', '..')));
const { compileSelect, compileVector } = await import(join(root, 'olap/exec/expr/compile.ts')) as typeof import('../../olap/exec/expr/compile.ts');
const rows = Number(arg('rows', '6000000'));
const rounds = Number(arg('rounds', '40'));
const BLOCK = 2048;

const D2 = Types.decimal(15, 2);
const col = (index: number, type: Expr['type']): Expr => ({ kind: 'col', index, type });
const constant = (value: bigint | number, type: Expr['type']): Expr => ({ kind: 'const', value, type });
const cmp = (fn: string, a: Expr, b: Expr): Expr => ({ kind: 'call', fn, args: [a, b], type: Types.boolean });
// columns: 0 l_quantity, 1 l_extendedprice, 2 l_discount, 3 l_shipdate (days), as the planner binds Q6
const q6Filter: Expr = { kind: 'and', type: Types.boolean, args: [
  cmp('>=', col(3, Types.date), constant(8766, Types.date)), cmp('<', col(3, Types.date), constant(9131, Types.date)),
  cmp('>=', col(2, D2), constant(5n, D2)), cmp('<=', col(2, D2), constant(7n, D2)),
  cmp('<', col(0, D2), constant(24n, Types.decimal(15, 0))),
] };
const q6Product: Expr = { kind: 'call', fn: '*', args: [col(1, D2), col(2, D2)], type: Types.decimal(38, 4) };

let seed = 42;
const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const blocks: Vector[][] = [];
const lengths: number[] = [];
for (let done = 0; done < rows; done += BLOCK) {
  const n = Math.min(BLOCK, rows - done);
  const q = new Float64Array(n), p = new Float64Array(n), d = new Float64Array(n), s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    q[i] = (1 + Math.floor(random() * 50)) * 100;
    p[i] = 90_000 + Math.floor(random() * 10_000_000);
    d[i] = Math.floor(random() * 11);
    s[i] = 8035 + Math.floor(random() * 2526);
  }
  lengths.push(n);
  blocks.push([
    { kind: 'decimal', scale: 2, data: q, valid: undefined }, { kind: 'decimal', scale: 2, data: p, valid: undefined },
    { kind: 'decimal', scale: 2, data: d, valid: undefined }, { kind: 'number', data: s, valid: undefined },
  ]);
}

const select = compileSelect(q6Filter);
const product = compileVector(q6Product);
const cpuMs = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
let bestSelect = Infinity;
let bestProduct = Infinity;
let matched = 0;
let sum = 0;
for (let r = 0; r < rounds; r++) {
  let t0 = cpuMs();
  const selections: Uint32Array[] = [];
  matched = 0;
  blocks.forEach((cols, b) => { const sel = select(cols, undefined, lengths[b]!, []); selections.push(sel); matched += sel.length; });
  bestSelect = Math.min(bestSelect, cpuMs() - t0);
  t0 = cpuMs();
  sum = 0;
  for (let b = 0; b < blocks.length; b++) {
    const v = product(blocks[b]!, selections[b], lengths[b]!, []);
    sum += v.kind === 'decimal' ? v.data[selections[b]![0] ?? 0]! : 0;
  }
  bestProduct = Math.min(bestProduct, cpuMs() - t0);
}
process.stdout.write(`rows ${rows}, matched ${matched} (check ${sum}): Q6 filter ${bestSelect.toFixed(1)} ms, product over the matches ${bestProduct.toFixed(1)} ms (lowest CPU of ${rounds}; root ${root})\n`);

// What a closure bound to a name costs when the code runs through tsx: esbuild's keepNames (tsx always sets it)
// wraps `const f = (...) => ...` inside a function in `__name(f, "f")`, an Object.defineProperty on every call
// of the enclosing function; a closure passed inline (or a method) is not wrapped. Why the commit path has none.
//   npx tsx bench/rowstore/named-closure.ts [--calls 5000000]
import { arg } from '../args.ts';

const calls = Number(arg('calls', '5000000'));

function withNamedClosure(x: number): number {
  const add = (e: number): number => e + x;
  return add(1);
}

function withInlineClosure(x: number): number {
  return [1].reduce((acc: number, e: number) => acc + e + x, 0);
}

function withoutClosure(x: number): number {
  return 1 + x;
}

function cpuNsPerCall(fn: (x: number) => number): number {
  let sink = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) sink += fn(i);
  const used = process.cpuUsage(before);
  if (sink === -1) process.stdout.write(''); // keeps the loop from being optimized away
  return ((used.user + used.system) * 1000) / calls;
}

for (let round = 1; round <= 3; round++) {
  const named = cpuNsPerCall(withNamedClosure);
  const inline = cpuNsPerCall(withInlineClosure);
  const none = cpuNsPerCall(withoutClosure);
  process.stdout.write(`round ${round}: named closure ${named.toFixed(1)} ns/call, inline closure ${inline.toFixed(1)} ns/call, no closure ${none.toFixed(1)} ns/call\n`);
}

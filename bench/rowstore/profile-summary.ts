// Summarizes a V8 .cpuprofile (from node --cpu-prof): the functions with the most self time and the most
// inclusive time, as a share of the sampled time. Run: npx tsx bench/rowstore/profile-summary.ts FILE [--top 40]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile [--top N]');
const topAt = process.argv.indexOf('--top');
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 40;
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));

const label = (n: ProfileNode): string => {
  const f = n.callFrame;
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/main\//, '')}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${where}`;
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let totalUs = 0;
let idleUs = 0;
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  totalUs += us;
  if (n.callFrame.functionName === '(idle)') idleUs += us;
  self.set(label(n), (self.get(label(n)) ?? 0) + us);
  // each frame on the stack once (recursion counted once)
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}
const busyUs = totalUs - idleUs;
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title} (share of busy time ${(busyUs / 1000).toFixed(0)} ms; idle ${(idleUs / 1000).toFixed(0)} ms)\n`);
  for (const [l, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${((100 * us) / busyUs).toFixed(1).padStart(6)}%  ${l}\n`);
};
show('self time', self);
show('inclusive time', inclusive);

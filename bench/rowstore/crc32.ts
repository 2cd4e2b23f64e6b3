// CPU time of the row store's CRC-32 (slicing by 8) against the byte-at-a-time reference, on record sizes the
// commit path checksums (a log entry or row version of a 100-character row is ~130 bytes).
//   npx tsx bench/rowstore/crc32.ts [--bytes 130] [--calls 2000000]
import { crc32, crc32Bytewise } from '../../oltp/rowcodec.ts';
import { arg } from '../args.ts';

const bytes = Number(arg('bytes', '130'));
const calls = Number(arg('calls', '2000000'));
const buf = Buffer.alloc(bytes);
for (let i = 0; i < bytes; i++) buf[i] = (i * 131 + 7) & 0xff;

function nsPerCall(fn: (b: Uint8Array) => number): { ns: number; sum: number } {
  let sum = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) sum = (sum + fn(buf)) | 0;
  const used = process.cpuUsage(before);
  return { ns: ((used.user + used.system) * 1000) / calls, sum };
}

for (let round = 1; round <= 3; round++) {
  const sliced = nsPerCall((b) => crc32(b));
  const bytewise = nsPerCall((b) => crc32Bytewise(b));
  if (sliced.sum !== bytewise.sum) throw new Error('crc32 and crc32Bytewise disagree');
  process.stdout.write(`round ${round}, ${bytes} bytes: sliced ${sliced.ns.toFixed(1)} ns, byte at a time ${bytewise.ns.toFixed(1)} ns (${(bytewise.ns / sliced.ns).toFixed(2)}x)\n`);
}

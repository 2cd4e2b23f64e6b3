// Command line: `npx tsx bench/tpch/dbgen.ts --sf 1 --out DIR [--seed N] [--no-trailing-separator]`
// writes the eight TPC-H tables as |-separated .tbl files, like TPC's dbgen.
import { parseArgs } from 'node:util';
import { generateTpch } from './generate.ts';
import { stderrProgress } from './progress.ts';
import { scaleFor } from './scale.ts';

const { values } = parseArgs({
  options: {
    sf: { type: 'string', default: '1' },
    out: { type: 'string' },
    seed: { type: 'string', default: '19920101' },
    'no-trailing-separator': { type: 'boolean', default: false },
  },
});

const sf = Number(values.sf);
if (values.out === undefined) {
  process.stderr.write('usage: dbgen.ts --sf SCALE --out DIR [--seed N] [--no-trailing-separator]\n');
  process.exit(2);
}
try {
  const scale = scaleFor(sf);
  // Expected rows: fixed tables, partsupp 4 per part, lineitem 4 per order on average.
  const expected = 30 + scale.parts * 5 + scale.suppliers + scale.customers + scale.orders * 5;
  const counts = await generateTpch({
    sf,
    outDir: values.out,
    seed: Number(values.seed),
    trailingSeparator: !values['no-trailing-separator'],
    progress: stderrProgress(expected),
  });
  for (const [table, count] of Object.entries(counts)) process.stderr.write(`${table.padEnd(9)} ${count}\n`);
} catch (error) {
  process.stderr.write(`dbgen: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

// Command line: `npx tsx test/linearizability/check.ts FILE [--timeout-ms N]` checks a Jepsen
// register log, or a JSON array of Operations (return: null stands for Infinity), and prints the verdict.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkRegisterHistory } from './checker.ts';
import type { Operation } from './history.ts';
import { parseJepsenLog } from './jepsen-log.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'timeout-ms': { type: 'string', default: '60000' } } });
const path = positionals[0];
if (path === undefined) {
  process.stderr.write('usage: check.ts HISTORY.log|HISTORY.json [--timeout-ms N]\n');
  process.exit(2);
}
const text = readFileSync(path, 'utf8');
// JSON has no Infinity: an operation that never returned is written with `return: null`.
const ops: Operation[] = path.endsWith('.json')
  ? (JSON.parse(text) as (Omit<Operation, 'return'> & { return: number | null })[]).map((op) => ({ ...op, return: op.return ?? Infinity }))
  : parseJepsenLog(text);
const startMs = performance.now();
const result = checkRegisterHistory(ops, { timeoutMs: Number(values['timeout-ms']) });
const summary = `${ops.length} operations, ${result.steps} steps, ${(performance.now() - startMs).toFixed(0)} ms`;
if (result.linearizable === true) process.stdout.write(`linearizable (${summary})\n`);
else if (result.linearizable === 'unknown') process.stdout.write(`unknown: ${result.reason} (${summary})\n`);
else process.stdout.write(`${result.explanation}\n(${summary})\n`);
process.exit(result.linearizable === true ? 0 : 1);

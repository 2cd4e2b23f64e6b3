// The wire protocol's own cost: pgbench sends one trivial statement per transaction to a server whose
// engine answers instantly (one row, one column), so what is measured is framing, dispatch and the
// socket. Usage: npx tsx bench/pgbench/protocol.ts [--seconds 5]   (prints a markdown table)

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Types } from '../../oltp/types.ts';
import type { WireEngine, WireSession } from '../../server/engine.ts';
import { PgServer } from '../../server/server.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 5);

/** Answers every statement with the row (1) at once: no SQL work at all. */
const instantEngine: WireEngine = {
  openSession(): WireSession {
    return {
      inTransaction: false,
      failed: false,
      markFailed: () => undefined,
      cancel: () => undefined,
      listTables: () => [],
      listViews: () => [],
      copyFrom: async () => 0,
      close: async () => undefined,
      query: async () => ({ columns: [{ name: 'one', type: Types.integer }], rows: [[1]], command: 'SELECT 1', rowCount: 1 }),
    };
  },
};

function pgbench(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('pgbench', args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
}

const server = await PgServer.listen({ engine: instantEngine, port: 0 });
const script = join(mkdtempSync(join(tmpdir(), 'duet-proto-')), 'one.sql');
writeFileSync(script, 'SELECT 1;\n');
const lines = ['| protocol | clients | statements/s | latency ms |', '|---|---:|---:|---:|'];
for (const mode of ['simple', 'prepared']) {
  for (const clients of [1, 8]) {
    const out = await pgbench(['-n', '-M', mode, '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), '-f', script, '-h', '127.0.0.1', '-p', String(server.port), '-U', 'bench', 'db']);
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
    const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1]);
    lines.push(`| ${mode} | ${clients} | ${Math.round(tps).toLocaleString('en-US')} | ${latency.toFixed(3)} |`);
  }
}
await server.close();
console.log(`Wire protocol alone (instant engine), ${cpus().length} cores, Node ${process.version}, ${seconds} s per run, pgbench in the same machine:\n`);
console.log(lines.join('\n'));

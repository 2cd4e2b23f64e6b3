// psql 15 against the server (stand-in engine): -c, -f with COPY FROM STDIN and TO STDOUT, \d, \dt,
// \timing, and an error with its position. Skipped (with the reason) where psql is not installed.

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgServer } from '../../server/server.ts';
import { StubEngine } from './stub-engine.ts';

const hasPsql = spawnSync('psql', ['--version']).status === 0;
let server: PgServer;
let engine: StubEngine;

/** Runs psql asynchronously: the server lives in this process, so a blocking spawn would starve it. */
function psql(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('psql', ['-X', '-h', '127.0.0.1', '-p', String(server.port), '-U', 'tester', '-d', 'db', ...args], {
      encoding: 'utf8',
      env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
      timeout: 20_000,
    }, (_error, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }));
  });
}

// psql is a Debian package (.ci/run installs postgresql-client-15); without it these tests cannot run.
describe.skipIf(!hasPsql)('psql', () => {
  beforeAll(async () => {
    engine = new StubEngine();
    server = await PgServer.listen({ engine, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs -c commands and reports an error with SQLSTATE and a caret', async () => {
    const ok = await psql('-c', 'select series 2');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(' 2 | row 2');
    expect(ok.stdout).toContain('(2 rows)');
    const bad = await psql('-v', 'VERBOSITY=verbose', '-c', 'fail 42703');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('ERROR:  42703: the stub failed on purpose');
    expect(bad.stderr).toMatch(/LINE 1: fail 42703\n\s+\^/);
    expect(bad.stderr).toContain('HINT:  a hint');
  });

  it('runs a script with COPY FROM STDIN, COPY TO STDOUT, \\timing, \\d and \\dt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-psql-'));
    const script = join(dir, 'script.sql');
    writeFileSync(
      script,
      [
        'copy items from stdin;',
        '1\tone\t1.5',
        '2\t\\N\t-2',
        '\\.',
        '\\timing on',
        'select * from items;',
        '\\timing off',
        "copy items to stdout with (format csv, header true);",
        '\\dt',
        '\\d items',
        'fail 22012;',
        'select series 1;',
      ].join('\n'),
    );
    const r = await psql('-f', script);
    expect(r.status).toBe(0); // psql goes on after an error unless ON_ERROR_STOP is set
    expect(r.stdout).toContain('COPY 2');
    expect(engine.tables.get('items')).toEqual([[1, 'one', 1.5], [2, null, -2]]);
    expect(r.stdout).toMatch(/ 2 \|\s+\|\s+-2\n\(2 rows\)\n\nTime: \d+\.\d+ ms/);
    expect(r.stdout).toContain('a,b,c\n1,one,1.5\n2,,-2\n');
    expect(r.stdout).toMatch(/public \| items \| table \| tester/);
    expect(r.stdout).toContain('Table "public.items"');
    expect(r.stdout).toMatch(/ a\s+\| integer\s+\|\s+\| not null \|/);
    expect(r.stdout).toContain('"items_pkey" PRIMARY KEY, btree (a)');
    expect(r.stderr).toMatch(/script\.sql:\d+: ERROR:  the stub failed on purpose/);
    expect(r.stdout).toMatch(/ 1 \| row 1\n\(1 row\)/);
    const stopped = await psql('-v', 'ON_ERROR_STOP=1', '-f', script);
    expect(stopped.status).toBe(3);
  });
});

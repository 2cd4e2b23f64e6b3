// `duet serve` as a process: starts on the given address, serves node-postgres, takes a password
// (SCRAM) from --password-file or DUET_PASSWORD, and stops cleanly on SIGTERM with exit code 0.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../server/cli.ts';

const duetBin = new URL('../../bin/duet.js', import.meta.url).pathname;
// The SQL engine (query/execute.ts) lands separately; `duet serve` opens a real database.
const engineReady = existsSync(new URL('../../query/execute.ts', import.meta.url));
const cleanup: (() => void)[] = [];

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** Starts `duet serve` on a free port; resolves once it says where it listens. */
function serve(extraArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-serve-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [duetBin, 'serve', '--db', join(dir, 'db'), '--listen', '127.0.0.1:0', ...extraArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanup.push(() => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`duet serve exited with ${code}: ${stderr}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('serve arguments', () => {
  it('defaults to loopback port 5432 and parses every option', () => {
    expect(parseServeArgs([], {})).toMatchObject({ host: '127.0.0.1', port: 5432, dir: './duet-data', maxConnections: 100, password: undefined });
    expect(parseServeArgs(['--listen', '0.0.0.0:6000', '--max-connections', '7', '--max-message-bytes', '1024'], { DUET_PASSWORD: 'pw' })).toMatchObject({
      host: '0.0.0.0',
      port: 6000,
      maxConnections: 7,
      messageBytesMax: 1024,
      password: 'pw',
    });
    expect(() => parseServeArgs(['--max-connections', '0'])).toThrow(/positive integer/);
    expect(() => parseServeArgs(['--bogus'])).toThrow(/unknown option/);
  });
});

describe.skipIf(!engineReady)('duet serve', () => {
  it('serves queries and exits 0 on SIGTERM', async () => {
    const { child, port } = await serve([]);
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'u' });
    await c.connect();
    await c.query('CREATE TABLE t (id int PRIMARY KEY)');
    await c.query('INSERT INTO t VALUES (1), (2)');
    expect((await c.query('SELECT count(*) AS n FROM t')).rows[0].n).toBe('2');
    await c.end();
    const exited = exitCode(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('requires the password from --password-file (SCRAM-SHA-256)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-pw-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'pw'), 'correct horse\n');
    const { child, port } = await serve(['--password-file', join(dir, 'pw')]);
    const bad = new pg.Client({ host: '127.0.0.1', port, user: 'u', password: 'wrong' });
    await expect(bad.connect()).rejects.toMatchObject({ code: '28P01' });
    const good = new pg.Client({ host: '127.0.0.1', port, user: 'u', password: 'correct horse' });
    await good.connect();
    expect((await good.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await good.end();
    child.kill('SIGTERM');
  });
});

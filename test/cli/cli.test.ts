// The `duet` command end to end: `node bin/duet.js` in a temp directory with -c, -f, piped standard
// input and the REPL on a pseudo-terminal; checks output, errors and exit codes.

import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasScript, PtySession, runDuet, tempDir } from './helpers.ts';

describe('duet without the engine', () => {
  it('--help prints usage and the subcommands, exit 0', async () => {
    const r = await runDuet(['--help'], { cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: duet/);
    expect(r.stdout).toMatch(/--format FORMAT/);
    expect(r.stdout).toMatch(/Commands:\n {2}help/);
  });

  it('a bad option is a usage error: one message on stderr, exit 2', async () => {
    const r = await runDuet(['--format', 'xml', '-c', 'SELECT 1'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('duet: option --format must be one of table, csv, json\nTry "duet --help" for more information.\n');
  });
});

describe('duet with the engine', () => {
  let cwd = '';
  beforeAll(async () => {
    cwd = tempDir();
    // `big` (50,000 rows) gives the REPL test a statement that runs long enough to be cancelled.
    const values = Array.from({ length: 1000 }, (_, i) => `(${i + 1})`).join(',');
    const r = await runDuet([
      '-c', "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'one'), (20, NULL)",
      '-c', `CREATE TABLE n (i INTEGER PRIMARY KEY); INSERT INTO n VALUES ${values}`,
      '-c', 'CREATE TABLE big (i INTEGER PRIMARY KEY); INSERT INTO big SELECT a.i * 1000 + b.i FROM n a, n b WHERE b.i <= 50',
    ], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CREATE TABLE\nINSERT 0 2\nCREATE TABLE\nINSERT 0 1000\nCREATE TABLE\nINSERT 0 50000\n');
  });

  it('-c uses ./duet-data by default and prints an aligned table', async () => {
    expect(existsSync(join(cwd, 'duet-data'))).toBe(true);
    const r = await runDuet(['-c', 'SELECT a, b FROM t ORDER BY a'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(' a  |  b  \n----+-----\n  1 | one\n 20 |\n(2 rows)\n\n');
  });

  it('--format csv and json', async () => {
    const csv = await runDuet(['--format', 'csv', '-c', 'SELECT a, b FROM t ORDER BY a'], { cwd });
    expect(csv.stdout).toBe('a,b\n1,one\n20,\n');
    const json = await runDuet(['--format=json', '-c', 'SELECT a, b FROM t ORDER BY a'], { cwd });
    expect(JSON.parse(json.stdout)).toEqual([{ a: 1, b: 'one' }, { a: 20, b: null }]);
  });

  it('an error prints one line on stderr (with a short hint) and exits 1', async () => {
    const r = await runDuet(['-c', 'SELECT nope FROM t'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ERROR: {2}column "nope" does not exist \(SQLSTATE 42703\)\n$/);
    const hinted = await runDuet(['-c', 'SELECT bb FROM t'], { cwd });
    expect(hinted.code).toBe(1);
    expect(hinted.stderr).toBe('ERROR:  column "bb" does not exist (SQLSTATE 42703)  HINT:  Perhaps you meant to reference the column "b".\n');
  });

  it('--db picks another directory; -f runs a script with \\d, reports an error with file and line and goes on (psql)', async () => {
    const dir = tempDir();
    const script = join(dir, 'script.sql');
    writeFileSync(script, "CREATE TABLE s (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL\n);\nINSERT INTO s VALUES (1, 'a');\n\\d s\nSELECT missing\n  FROM s;\nINSERT INTO s VALUES (2, 'b');\n");
    const r = await runDuet(['--db', join(dir, 'db'), '-f', script], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^CREATE TABLE\nINSERT 0 1\n/);
    expect(r.stdout).toMatch(/Table "s"\n Column \| +Type +\| Nullable \| Default/);
    expect(r.stdout).toMatch(/ name +\| text +\| not null \|/);
    expect(r.stdout).toMatch(/Indexes:\n {4}"s_pkey" PRIMARY KEY \(id\)/);
    expect(r.stdout).toMatch(/\nINSERT 0 1\n$/);
    // the line where the failed statement ends, as psql reports it
    expect(r.stderr).toBe(`duet:${script}:8: ERROR:  column "missing" does not exist (SQLSTATE 42703)\n`);
    const after = await runDuet(['--db', join(dir, 'db'), '--format', 'csv', '-c', 'SELECT count(*) AS n FROM s'], { cwd });
    expect(after.stdout).toBe('n\n2\n');
  });

  it('-v ON_ERROR_STOP=1 stops a script at its first error with exit status 3 (psql)', async () => {
    const dir = tempDir();
    const script = join(dir, 'stop.sql');
    writeFileSync(script, "CREATE TABLE u (id INTEGER PRIMARY KEY);\nINSERT INTO u VALUES (1); INSERT INTO u VALUES (1); INSERT INTO u VALUES (2);\nINSERT INTO u VALUES (3);\n");
    const r = await runDuet(['--db', join(dir, 'db'), '-v', 'ON_ERROR_STOP=1', '-f', script], { cwd });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('CREATE TABLE\nINSERT 0 1\n');
    expect(r.stderr).toMatch(new RegExp(`^duet:${script.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: ERROR: {2}duplicate key value violates unique constraint "u_pkey".*\\(SQLSTATE 23505\\)`));
    expect(r.stderr.split('\n')).toHaveLength(2); // one line
    const after = await runDuet(['--db', join(dir, 'db'), '--format', 'csv', '-c', 'SELECT id FROM u ORDER BY id'], { cwd });
    expect(after.stdout).toBe('id\n1\n');
  });

  it('piped standard input goes on after an error and exits 1 at the end', async () => {
    const r = await runDuet([], { cwd, input: 'SELECT 1 AS x;\nSELECT bb FROM t;\nSELECT 2 AS y;\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(' x \n---\n 1\n(1 row)\n\n y \n---\n 2\n(1 row)\n\n');
    expect(r.stderr).toBe('duet:<stdin>:2: ERROR:  column "bb" does not exist (SQLSTATE 42703)  HINT:  Perhaps you meant to reference the column "b".\n');
  });

  it('piped standard input runs statements and backslash commands, then exits', async () => {
    const r = await runDuet([], { cwd, input: 'SELECT a\n  FROM t\n WHERE a = 20;\n\\d\n\\?\nSELECT 1 AS x' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ a {2}\n----\n 20\n\(1 row\)\n\n/);
    expect(r.stdout).toMatch(/List of relations\n Name \| Type {2}\n------\+-------\n big {2}\| table\n n {4}\| table\n t {4}\| table\n\(3 rows\)\n/);
    expect(r.stdout).toMatch(/\\timing \[on\|off\]/);
    expect(r.stdout).toMatch(/ x \n---\n 1\n\(1 row\)\n\n$/);
  });

  it.skipIf(!hasScript)('the REPL on a terminal: prompts, multi-line input, caret errors, \\timing, history, Ctrl-C, Ctrl-D', async () => {
    const history = join(tempDir(), 'history');
    writeFileSync(history, 'SELECT 42;\n');
    const pty = new PtySession([], cwd, { DUET_HISTORY: history });
    try {
      let at = await pty.waitFor(/duet=> $/);
      pty.send('SELECT a, b\r');
      at = await pty.waitFor(/duet-> $/, at);
      pty.send('FROM t WHERE a = 1;\r');
      at = await pty.waitFor(/ 1 \| one\n\(1 row\)\n\nduet=> $/, at);
      pty.send('SELECT nope FROM t;\r');
      at = await pty.waitFor(/ERROR: {2}column "nope" does not exist\nLINE 1: SELECT nope FROM t\n {15}\^\nduet=> $/, at);
      // psql's form: the statement's line, a caret under the error, then the hint; the REPL goes on
      pty.send('SELECT a,\r');
      at = await pty.waitFor(/duet-> $/, at);
      pty.send('  bb FROM t; SELECT 7 AS seven;\r');
      at = await pty.waitFor(/ERROR: {2}column "bb" does not exist\nLINE 2: {3}bb FROM t\n {10}\^\nHINT: {2}Perhaps you meant to reference the column "b"\.\n seven \n-------\n {5}7\n\(1 row\)\n\nduet=> $/, at);
      pty.send('\\timing\r');
      at = await pty.waitFor(/Timing is on\.\nduet=> $/, at);
      pty.send('SELECT 1 AS one;\r');
      at = await pty.waitFor(/\(1 row\)\n\nTime: \d+\.\d{3} ms \(row\)\nduet=> $/, at);
      pty.send('SELECT half'); // Ctrl-C at the prompt throws the typed line away
      pty.send('\x03');
      at = await pty.waitFor(/\^C\nduet=> $/, at);
      pty.send('\x1b[A'); // arrow up: the previous entry of the history
      pty.send('\r');
      at = await pty.waitFor(/Time: .*\nduet=> $/, at);
      // Ctrl-C during a statement cancels it (57014) and the REPL carries on. (A 2.5e9-row join: it
      // cannot finish first on any machine.)
      pty.send('SELECT count(*) FROM big a, big b WHERE a.i + b.i < 0;\r');
      at = await pty.waitFor(/< 0;\n/, at);
      await new Promise((r) => setTimeout(r, 500));
      pty.send('\x03');
      at = await pty.waitFor(/Cancel request sent\nERROR: {2}canceling statement due to user request\n(Time: .*\n)?duet=> $/, at, 30_000);
      pty.send('\x04'); // Ctrl-D on an empty line quits
      expect(await pty.exit()).toBe(0);
      const saved = readFileSync(history, 'utf8').split('\n');
      expect(saved.slice(0, 4)).toEqual(['SELECT 42;', 'SELECT a, b', 'FROM t WHERE a = 1;', 'SELECT nope FROM t;']);
      expect(saved).not.toContain('SELECT half');
      expect(saved).toContain('SELECT count(*) FROM big a, big b WHERE a.i + b.i < 0;');
    } finally {
      pty.kill();
    }
  });
});

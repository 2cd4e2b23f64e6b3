// CLI building blocks without the engine: statement splitting, result rendering, error text with
// caret, option parsing, and the line feeder (meta commands, multi-line statements) on a fake session.

import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { splitStatements, hasContent } from '../../cli/split.ts';
import { renderResult } from '../../cli/render.ts';
import { caretLines, errorLine, errorReport } from '../../cli/errortext.ts';
import { parseClientArgs } from '../../cli/args.ts';
import { Client } from '../../cli/client.ts';
import { LineFeeder } from '../../cli/feeder.ts';
import { DuetError } from '../../oltp/errors.ts';
import { Types } from '../../oltp/types.ts';
import type { Session } from '../../query/database.ts';

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    const text = `SELECT 'a;b', "x;y" FROM t; -- c;omment\nSELECT $$x;y$$, $tag$ ; $tag$, E'\\';' /* a; /* nested; */ b; */ ;SELECT 1`;
    const { statements, rest } = splitStatements(text);
    expect(statements).toEqual([`SELECT 'a;b', "x;y" FROM t`, `-- c;omment\nSELECT $$x;y$$, $tag$ ; $tag$, E'\\';' /* a; /* nested; */ b; */`]);
    expect(rest).toBe('SELECT 1');
  });

  it('skips empty statements and knows when only comments are pending', () => {
    expect(splitStatements(';;  ; -- x\n;').statements).toEqual([]);
    expect(hasContent('-- just a comment\n  /* and this */ ')).toBe(false);
    expect(hasContent('SELECT')).toBe(true);
    expect(splitStatements("SELECT 'open;").rest).toBe("SELECT 'open;");
    expect(splitStatements('SELECT $1; SELECT 2').statements).toEqual(['SELECT $1']);
  });
});

describe('renderResult', () => {
  const result = {
    columns: [{ name: 'id', type: Types.integer }, { name: 'name', type: Types.text }, { name: 'price', type: Types.decimal(8, 2) }],
    rows: [[1, 'apple', 150n], [20, null, -5n], [3, 'a, "b"', 0n]],
    command: 'SELECT 3',
  };

  it('prints psql-style aligned tables with a row count', () => {
    expect(renderResult(result, 'table')).toBe(
      [' id |  name  | price ', '----+--------+-------', '  1 | apple  |  1.50', ' 20 |        | -0.05', '  3 | a, "b" |  0.00', '(3 rows)', '', ''].join('\n'),
    );
    expect(renderResult({ columns: [{ name: 'x', type: Types.integer }], rows: [[1]], command: 'SELECT 1' }, 'table')).toContain('(1 row)\n');
    expect(renderResult({ columns: [], rows: [], command: 'CREATE TABLE' }, 'table')).toBe('CREATE TABLE\n');
  });

  it('prints CSV with NULL empty and empty strings quoted', () => {
    expect(renderResult(result, 'csv')).toBe('id,name,price\n1,apple,1.50\n20,,-0.05\n3,"a, ""b""",0.00\n');
    expect(renderResult({ columns: [{ name: 's', type: Types.text }], rows: [['']], command: 'SELECT 1' }, 'csv')).toBe('s\n""\n');
  });

  it('prints JSON with exact decimals, booleans and dates', () => {
    const json = renderResult({
      columns: [{ name: 'd', type: Types.decimal(20, 3) }, { name: 'b', type: Types.boolean }, { name: 'day', type: Types.date }, { name: 'n', type: Types.text }],
      rows: [[12345678901234567890n, true, 19723, null], ['-0.500', false, 0, 'x']],
      command: 'SELECT 2',
    }, 'json');
    expect(json).toBe('[{"d":12345678901234567.890,"b":true,"day":"2024-01-01","n":null},{"d":-0.500,"b":false,"day":"1970-01-01","n":"x"}]\n');
  });
});

describe('error text', () => {
  const e = new DuetError('42703', 'column "x" does not exist', { position: 8, hint: 'Perhaps you meant "a".' });

  it('is one line for scripts, with a short hint on the same line', () => {
    expect(errorLine(e)).toBe('ERROR:  column "x" does not exist (SQLSTATE 42703)  HINT:  Perhaps you meant "a".');
    expect(errorLine(new DuetError('42703', 'no x', { hint: `a\n${'b'.repeat(200)}` }))).toBe('ERROR:  no x (SQLSTATE 42703)');
    expect(errorLine(new DuetError('22012', 'division\nby zero', { hint: 'two\n  lines' }))).toBe('ERROR:  division by zero (SQLSTATE 22012)  HINT:  two lines');
    expect(errorLine(new TypeError('boom'))).toBe('ERROR:  internal error: TypeError: boom (SQLSTATE XX000)');
  });

  it('shows the line and a caret under the position interactively', () => {
    expect(errorReport(e, 'SELECT x FROM t')).toBe('ERROR:  column "x" does not exist\nLINE 1: SELECT x FROM t\n               ^\nHINT:  Perhaps you meant "a".\n');
    expect(caretLines('SELECT a,\n  zz FROM t', 12)).toEqual(['LINE 2:   zz FROM t', '          ^']);
    const long = `SELECT ${'a'.repeat(100)}, bad FROM t`;
    const [line, caret] = caretLines(long, long.indexOf('bad'));
    expect(line.startsWith('LINE 1: ...')).toBe(true);
    expect(line[caret.length - 1]).toBe('b');
  });
});

describe('parseClientArgs', () => {
  it('reads options in order', () => {
    expect(parseClientArgs(['--db', 'd', '-c', 'SELECT 1', '-f', 'x.sql', '--format=csv'])).toEqual({
      dbDir: 'd', format: 'csv', help: false, noLearner: false, onErrorStop: false, actions: [{ kind: 'command', sql: 'SELECT 1' }, { kind: 'file', path: 'x.sql' }],
    });
    expect(parseClientArgs([])).toMatchObject({ dbDir: './duet-data', format: 'table', actions: [], onErrorStop: false });
  });

  it('reads psql\'s -v ON_ERROR_STOP in its spellings; other variables are accepted', () => {
    for (const argv of [['-v', 'ON_ERROR_STOP=1'], ['-vON_ERROR_STOP=on'], ['--set', 'ON_ERROR_STOP=true'], ['--set=ON_ERROR_STOP=yes'], ['--variable', 'ON_ERROR_STOP=1']]) {
      expect(parseClientArgs(argv), argv.join(' ')).toMatchObject({ onErrorStop: true });
    }
    expect(parseClientArgs(['-v', 'ON_ERROR_STOP=1', '-v', 'ON_ERROR_STOP=off'])).toMatchObject({ onErrorStop: false });
    expect(parseClientArgs(['-v', 'ECHO=all'])).toMatchObject({ onErrorStop: false });
    expect(parseClientArgs(['-v', 'ON_ERROR_STOP=maybe'])).toEqual({ error: 'unrecognized value "maybe" for "ON_ERROR_STOP": Boolean expected' });
    expect(parseClientArgs(['-v'])).toHaveProperty('error');
    expect(parseClientArgs(['-v', '=1'])).toHaveProperty('error');
  });

  it('rejects bad options', () => {
    expect(parseClientArgs(['--format', 'xml'])).toHaveProperty('error');
    expect(parseClientArgs(['-c'])).toHaveProperty('error');
    expect(parseClientArgs(['--nope'])).toEqual({ error: 'unknown option "--nope"' });
  });
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A session stand-in that records statements; `fail` ones raise a DuetError at position 1. */
function fakeSession(ran: string[]): Session {
  return {
    async query(sql: string) {
      ran.push(sql);
      if (sql.includes('fail')) throw new DuetError('42601', 'syntax error at or near "fail"', { position: sql.indexOf('fail') + 1 });
      return { columns: [{ name: 'n', type: Types.integer }], rows: [[ran.length]], command: 'SELECT 1', rowCount: 1 };
    },
  } as unknown as Session;
}

describe('LineFeeder', () => {
  it('runs statements once complete across lines, and meta commands on their own line', async () => {
    const ran: string[] = [];
    const out = new Sink();
    const err = new Sink();
    const client = new Client(fakeSession(ran), 'csv', { stdout: out, stderr: err }, 'report');
    const feeder = new LineFeeder(client);
    expect(await feeder.feed('SELECT')).toBe('ok');
    expect(feeder.pending).toBe(true);
    expect(await feeder.feed('  1; SELECT 2;')).toBe('ok');
    expect(ran).toEqual(['SELECT\n  1', 'SELECT 2']);
    expect(await feeder.feed('\\timing on')).toBe('ok');
    expect(client.timing).toBe(true);
    expect(await feeder.feed('SELECT fail;')).toBe('error');
    expect(err.text).toBe('ERROR:  syntax error at or near "fail"\nLINE 1: SELECT fail\n               ^\n');
    expect(out.text).toMatch(/^n\n1\nn\n2\nTiming is on\.\nTime: \d+\.\d{3} ms\n$/);
    expect(await feeder.feed('\\bogus')).toBe('error');
    expect(await feeder.feed('\\q')).toBe('quit');
    expect(await feeder.feed('SELECT 9')).toBe('ok');
    expect(await feeder.finish()).toBe('ok');
    expect(ran.at(-1)).toBe('SELECT 9');
  });

  it('runs the rest of a line after a failed statement, unless it stops on errors (ON_ERROR_STOP)', async () => {
    for (const stop of [false, true]) {
      const ran: string[] = [];
      const err = new Sink();
      const client = new Client(fakeSession(ran), 'csv', { stdout: new Sink(), stderr: err }, 'line');
      client.errorLocation = 'duet:x.sql:3: ';
      const feeder = new LineFeeder(client, stop);
      expect(await feeder.feed('SELECT 1; SELECT fail; SELECT 3;')).toBe('error');
      expect(ran).toEqual(stop ? ['SELECT 1', 'SELECT fail'] : ['SELECT 1', 'SELECT fail', 'SELECT 3']);
      expect(err.text).toBe('duet:x.sql:3: ERROR:  syntax error at or near "fail" (SQLSTATE 42601)\n');
    }
  });
});

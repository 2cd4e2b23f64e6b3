// The sqllogictest runner itself, without duetdb: parsing, rendering, sorting, hashing, record
// semantics (with a scripted fake engine), the expectations check, and SQLite reproducing the scripts.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appliesTo, parseSlt, SltParseError } from './parse.ts';
import { canonicalValues, compareResult, formatValue, hashValues, realText } from './format.ts';
import { runScript, type Failure } from './runscript.ts';
import type { EngineResult, SltEngine } from './engine.ts';
import { checkScript, loadExpectations, replaceScript, saveExpectations } from './expectations.ts';
import { causeKey, classify } from './classify.ts';
import { failuresReport } from './report.ts';
import { loadScript } from './suite.ts';
import { openSqliteEngine } from './sqlite-engine.ts';
import { closeWorkers, KILLS_MAX, runScriptIsolated } from './isolated.ts';
import { Types } from '../../oltp/types.ts';
import { DuetError } from '../../oltp/errors.ts';

describe('parseSlt', () => {
  it('reads statements, queries, guards, halt and hash-threshold, with CRLF endings', () => {
    const text = [
      '# comment', 'hash-threshold 8', '', 'statement ok', 'CREATE TABLE t(a INTEGER)', '',
      'skipif mysql', 'onlyif postgresql', 'query IT rowsort lbl', 'SELECT a,', ' b FROM t', '----', '1', '(empty)', '',
      'query I nosort', 'SELECT 1', '----', '3 values hashing to 0123456789abcdef0123456789abcdef', '',
      'statement error', 'DROP TABLE nope', '', 'halt', '',
    ].join('\r\n');
    const records = parseSlt(text, 'x.test');
    expect(records.map((r) => [r.kind, r.line])).toEqual([['hash-threshold', 2], ['statement', 4], ['query', 9], ['query', 16], ['statement', 21], ['halt', 24]]);
    const q = records[2];
    expect(q).toMatchObject({ kind: 'query', types: 'IT', sortMode: 'rowsort', label: 'lbl', sql: 'SELECT a,\n b FROM t', expected: { kind: 'values', values: ['1', '(empty)'] } });
    expect(q?.conditions).toEqual([{ mode: 'skipif', dbms: 'mysql' }, { mode: 'onlyif', dbms: 'postgresql' }]);
    expect(records[3]).toMatchObject({ expected: { kind: 'hash', count: 3, md5: '0123456789abcdef0123456789abcdef' } });
    expect(records[4]).toMatchObject({ kind: 'statement', expectError: true, sql: 'DROP TABLE nope' });
  });

  it('treats a query without ---- as expecting no rows, and a tab-separated row as several values', () => {
    const [a, b] = parseSlt('query I nosort\nSELECT 1 WHERE false\n\nquery II nosort\nSELECT 1, 2\n----\n1\t2\n', 'x.test');
    expect(a).toMatchObject({ expected: { kind: 'values', values: [] } });
    expect(b).toMatchObject({ expected: { kind: 'values', values: ['1', '2'] } });
  });

  it('rejects malformed records with file and line', () => {
    expect(() => parseSlt('\n\nquery X nosort\nSELECT 1\n', 'f.test')).toThrow(/f\.test:3: query types/);
    expect(() => parseSlt('statement maybe\nSELECT 1\n', 'f.test')).toThrow(SltParseError);
    expect(() => parseSlt('bogus\n', 'f.test')).toThrow(/unknown record/);
  });

  it('applies skipif/onlyif as the named database', () => {
    expect(appliesTo([{ mode: 'skipif', dbms: 'postgresql' }], 'postgresql')).toBe(false);
    expect(appliesTo([{ mode: 'skipif', dbms: 'mysql' }], 'postgresql')).toBe(true);
    expect(appliesTo([{ mode: 'onlyif', dbms: 'sqlite' }], 'postgresql')).toBe(false);
    expect(appliesTo([{ mode: 'onlyif', dbms: 'postgresql' }], 'postgresql')).toBe(true);
  });
});

describe('formatValue', () => {
  it('renders I as a truncated integer from numbers, decimals, booleans and text', () => {
    expect(formatValue(42, 'I', Types.integer)).toBe('42');
    expect(formatValue(-7.9, 'I', Types.double)).toBe('-7');
    expect(formatValue(-0.5, 'I', Types.double)).toBe('0');
    expect(formatValue(-12345n, 'I', Types.decimal(10, 2))).toBe('-123');
    expect(formatValue(true, 'I', Types.boolean)).toBe('1');
    expect(formatValue('12abc', 'I', Types.text)).toBe('12');
    expect(formatValue('abc', 'I', Types.text)).toBe('0');
    expect(formatValue('-12345678901234567890.99', 'I', Types.decimal(30, 2))).toBe('-12345678901234567890');
    expect(formatValue('-0.50', 'I', Types.decimal(5, 2))).toBe('0');
    expect(formatValue('1.5e3', 'I', Types.text)).toBe('1500');
    expect(formatValue(null, 'I', Types.integer)).toBe('NULL');
  });

  it('renders R with three decimals like printf, exact ties to even', () => {
    expect(formatValue(2, 'R', Types.integer)).toBe('2.000');
    expect(formatValue(1234567n, 'R', Types.decimal(10, 4))).toBe('123.457');
    expect(realText(0.0625)).toBe('0.062'); // exactly representable tie: even digit kept
    expect(realText(0.1875)).toBe('0.188');
    expect(realText(-0.0625)).toBe('-0.062');
    expect(realText(1 / 3)).toBe('0.333');
    expect(realText(-0.0001)).toBe('-0.000');
    expect(realText(1e21)).toBe('1000000000000000000000.000');
  });

  it('renders T as PostgreSQL text with (empty) and @ for control characters', () => {
    expect(formatValue('', 'T', Types.text)).toBe('(empty)');
    expect(formatValue('a\tb', 'T', Types.text)).toBe('a@b');
    expect(formatValue(15n, 'T', Types.decimal(5, 1))).toBe('1.5');
    expect(formatValue(-5n, 'T', Types.decimal(5, 2))).toBe('-0.05');
    expect(formatValue(null, 'T', Types.text)).toBe('NULL');
  });
});

describe('canonicalValues and compareResult', () => {
  const cols = [{ type: Types.integer }, { type: Types.text }];
  const rows = [[10, 'b'], [9, 'a'], [10, 'a']];

  it('sorts rows and values in byte order of their rendering', () => {
    expect(canonicalValues('IT', 'nosort', cols, rows)).toEqual(['10', 'b', '9', 'a', '10', 'a']);
    expect(canonicalValues('IT', 'rowsort', cols, rows)).toEqual(['10', 'a', '10', 'b', '9', 'a']);
    expect(canonicalValues('IT', 'valuesort', cols, rows)).toEqual(['10', '10', '9', 'a', 'a', 'b']);
  });

  it('compares values and md5 hashes and explains a difference', () => {
    expect(compareResult({ kind: 'values', values: ['1', '2'] }, ['1', '2'])).toBeUndefined();
    expect(compareResult({ kind: 'values', values: ['1', '2'] }, ['1', '3'])).toMatch(/value 2 of 2: expected "2", got "3"/);
    expect(compareResult({ kind: 'values', values: ['1'] }, [])).toMatch(/expected 1 values, got 0/);
    // md5("1\n2\n"), computed independently with `printf '1\n2\n' | md5sum`
    expect(hashValues(['1', '2'])).toBe('6ddb4095eb719e2a9f0a3f95677d24e0');
    const md5 = hashValues(['1', '2']);
    expect(compareResult({ kind: 'hash', count: 2, md5 }, ['1', '2'])).toBeUndefined();
    expect(compareResult({ kind: 'hash', count: 2, md5 }, ['2', '1'])).toMatch(/hash to/);
  });
});

/** An engine that answers from a script of SQL → result (or error), recording what it ran. */
function fakeEngine(answers: Record<string, EngineResult | Error>): SltEngine & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    async query(sql) {
      ran.push(sql);
      const answer = answers[sql] ?? { columns: [], rows: [] };
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async close() {},
  };
}

const one = (v: number): EngineResult => ({ columns: [{ name: 'x', type: Types.integer }], rows: [[v]] });

describe('runScript', () => {
  it('passes, fails and skips records by their semantics', async () => {
    const script = [
      'statement ok', 'CREATE x', '',
      'statement error', 'BAD', '',
      'statement error', 'ACCEPTED', '',
      'statement ok', 'BROKEN', '',
      'query I nosort', 'Q1', '----', '1', '',
      'query I nosort', 'Q2', '----', '1', '',
      'query II nosort', 'Q1', '----', '1', '1', '',
      'skipif postgresql', 'query I nosort', 'SKIPPED', '----', '5', '',
      'query I nosort label', 'Q1', '----', '1', '',
      'query I nosort label', 'Q3', '----', '1', '',
      'onlyif postgresql', 'halt', '',
      'statement ok', 'AFTER HALT', '',
    ].join('\n');
    const engine = fakeEngine({ BAD: new DuetError('42601', 'syntax error'), BROKEN: new TypeError('x is undefined'), Q1: one(1), Q2: one(2), Q3: one(1) });
    const r = await runScript(parseSlt(script, 'f.test'), engine, { dbms: 'postgresql', recordTimeoutMs: 1000 });
    expect(r.outcomes.map((o) => [o.line, o.failure?.kind ?? 'pass'])).toEqual([
      [1, 'pass'], [4, 'pass'], [7, 'no-error'], [10, 'error'], [13, 'pass'], [18, 'mismatch'], [23, 'columns'], [35, 'pass'], [40, 'pass'],
    ]);
    expect(r.skipped).toBe(2);
    expect(r.haltedAtLine).toBe(46);
    expect(engine.ran).not.toContain('SKIPPED');
    expect(engine.ran).not.toContain('AFTER HALT');
    expect(classify(r.outcomes[3]!)).toBe('engine bug: TypeError: x is undefined');
    expect(classify(r.outcomes[2]!)).toMatch(/^engine: accepts a statement/);
  });

  it('fails a query whose result differs from an earlier one with the same label', async () => {
    const script = 'query I valuesort L\nA\n----\n\nquery I valuesort L\nB\n----\n';
    const two: EngineResult = { columns: [{ name: 'x', type: Types.integer }], rows: [[1], [2]] };
    const r = await runScript(parseSlt(script, 'f.test'), fakeEngine({ A: { ...two, rows: [] }, B: two }), { dbms: 'postgresql', recordTimeoutMs: 1000 });
    expect(r.outcomes[1]?.failure?.kind).toBe('mismatch');
    const same = await runScript(parseSlt('query I valuesort L\nA\n----\n1\n\nquery I valuesort L\nB\n----\n1\n', 'f.test'), fakeEngine({ A: one(1), B: one(2) }), { dbms: 'postgresql', recordTimeoutMs: 1000 });
    expect(same.outcomes[1]?.failure?.kind).toBe('mismatch');
  });

  it('times out a record that never answers', async () => {
    const hang: SltEngine = { query: () => new Promise(() => {}), async close() {} };
    const r = await runScript(parseSlt('statement ok\nSELECT 1\n', 'f.test'), hang, { dbms: 'postgresql', recordTimeoutMs: 20 });
    expect(r.outcomes[0]?.failure).toEqual({ kind: 'timeout', timeoutMs: 20 });
  });
});

describe('expectations', () => {
  it('reports unlisted failures and listed records that now pass, and round-trips through the file', async () => {
    const records = parseSlt('statement ok\nA\n\nstatement ok\nB\n\nstatement ok\nC\n', 'f.test');
    const engine = fakeEngine({ A: new DuetError('42703', 'column "a" does not exist'), B: new DuetError('42703', 'column "b" does not exist') });
    const r = await runScript(records, engine, { dbms: 'postgresql', recordTimeoutMs: 1000 });
    const listed = { generatedWithEngine: true, failures: [{ file: 'f.test', line: 1, sql: 'A', reason: 'r' }, { file: 'f.test', line: 7, sql: 'C', reason: 'r' }] };
    const d = checkScript('f.test', r.outcomes, listed);
    expect(d.newFailures.map((f) => f.line)).toEqual([4]);
    expect(d.newFailures[0]?.reason).toBe('engine: 42703 column "b" does not exist');
    expect(d.newPasses.map((f) => f.line)).toEqual([7]);
    expect(checkScript('g.test', r.outcomes, listed).newPasses).toEqual([]);
    const slow = { generatedWithEngine: true, failures: [...listed.failures, { file: 'f.test', line: 4, sql: 'B', reason: 'r' }].map((f) => (f.line === 7 ? { ...f, reason: 'engine: too slow, no answer within 10000 ms' } : f)) };
    const d2 = checkScript('f.test', r.outcomes, slow);
    expect(d2).toMatchObject({ newFailures: [], newPasses: [] });
    // listed with reason 'r' but failing with a 42703: a configuration check must see the difference
    expect(d2.changedFailures.map((c) => [c.listed.line, c.listed.reason, c.now.reason])).toEqual([[1, 'r', 'engine: 42703 column "a" does not exist'], [4, 'r', 'engine: 42703 column "b" does not exist']]);

    const updated = replaceScript(listed, 'f.test', r.outcomes);
    const path = join(mkdtempSync(join(tmpdir(), 'slt-exp-')), 'e.json');
    saveExpectations(path, updated);
    const back = loadExpectations(path);
    expect(back.failures.map((f) => f.line)).toEqual([1, 4]);
    expect(checkScript('f.test', r.outcomes, back)).toEqual({ newFailures: [], newPasses: [], changedFailures: [] });
    expect(causeKey(back.failures[0]!.reason)).toBe(causeKey(back.failures[1]!.reason));
    const md = failuresReport([{ file: 'f.test', applied: 3, failed: 2, skipped: 0, elapsedMs: 5 }], back.failures, new Date(0));
    expect(md).toContain('**1 of 3 records that apply pass (33.33%); 2 fail.**');
    expect(md).toContain('### 2 × engine: 42703 column "…" does not exist');
  });
});

describe('classify', () => {
  const outcome = (sql: string, failure: Failure) => ({ line: 1, kind: 'statement' as const, sql, failure, elapsedMs: 1 });
  it('calls a failure dialect only when PostgreSQL was seen failing the same way', () => {
    const syntax: Failure = { kind: 'error', name: 'DuetError', code: '42601', message: 'syntax error' };
    expect(classify(outcome('SELECT 1 FROM t1 WHERE 1 IN ()', syntax))).toMatch(/^dialect: an empty IN \(\) list/);
    // Same SQL, but a wrong answer instead of an error: that is the engine's fault.
    expect(classify(outcome('SELECT 1 FROM t1 WHERE 1 IN ()', { kind: 'mismatch', detail: 'x' }))).toBe('engine: wrong result (values differ)');
    expect(classify(outcome('SELECT x, y FROM t1 WHERE x=2', { kind: 'mismatch', detail: 'x' }), 'evidence/slt_lang_replace.test')).toMatch(/^dialect \(follow-on\)/);
    expect(classify(outcome('SELECT x, y FROM t1 WHERE x=2', { kind: 'mismatch', detail: 'x' }), 'select1.test')).toBe('engine: wrong result (values differ)');
  });
});

describe('reference engine (SQLite) reproduces the scripts', () => {
  // The expected results were produced by SQLite, so any failure here is a runner bug (parse, render, sort, hash).
  for (const file of ['select1.test', 'select2.test', 'evidence/in1.test', 'evidence/in2.test', 'evidence/slt_lang_update.test', 'evidence/slt_lang_createview.test']) {
    it(file, async () => {
      const engine = await openSqliteEngine();
      try {
        const r = await runScript(loadScript(file), engine, { dbms: 'sqlite', recordTimeoutMs: 10_000 });
        expect(r.outcomes.length).toBeGreaterThan(10);
        expect(r.outcomes.filter((o) => o.failure !== undefined).map((o) => `${o.line}: ${JSON.stringify(o.failure)}`)).toEqual([]);
      } finally {
        await engine.close();
      }
    });
  }
});

describe('runScriptIsolated', () => {
  it('kills a record stuck in a synchronous loop, rebuilds the database and continues after it', async () => {
    const file = fileURLToPath(new URL('./fixtures/hang.test.slt', import.meta.url));
    const records = parseSlt(readFileSync(file, 'utf8'), file);
    let ticks = 0;
    const r = await runScriptIsolated(file, records, { recordTimeoutMs: 1500, onRecord: () => ticks++, engineModule: new URL('./fixtures/hang-engine.ts', import.meta.url).href, setupSql: ['CREATE TABLE setup'] });
    // Line 14 passes only if the CREATE TABLE of line 1 was replayed in the new worker, line 19 only if
    // the setup statement ran there too.
    expect(r.outcomes.map((o) => [o.line, o.failure?.kind ?? 'pass'])).toEqual([[1, 'pass'], [4, 'pass'], [9, 'timeout'], [14, 'pass'], [19, 'pass']]);
    expect(ticks).toBe(5);
    await closeWorkers();
  });

  it(`abandons a script after ${KILLS_MAX} killed records, reporting the rest as not run`, async () => {
    const file = fileURLToPath(new URL('./fixtures/hang-many.test.slt', import.meta.url));
    const records = parseSlt(readFileSync(file, 'utf8'), file);
    const r = await runScriptIsolated(file, records, { recordTimeoutMs: 300, engineModule: new URL('./fixtures/hang-engine.ts', import.meta.url).href });
    await closeWorkers();
    expect(r.outcomes.map((o) => [o.line, o.failure?.kind ?? 'pass'])).toEqual([
      [1, 'pass'], [4, 'timeout'], [9, 'timeout'], [14, 'timeout'], [19, 'timeout'], [24, 'abandoned'], [35, 'abandoned'],
    ]);
    expect(classify(r.outcomes[5]!)).toBe(`engine: too slow, not run: the script was abandoned after ${KILLS_MAX} records timed out`);
  });
});

// Comparisons and IN lists of a dictionary-encoded text column against constants are evaluated once per
// dictionary entry: the same answers as plain strings, with NULLs, CHAR(n) blanks, a dictionary shared by
// several batches and one that grew in place between batches.

import { describe, expect, it } from 'vitest';
import { Evaluator } from '../../olap/exec/expr/evaluator.ts';
import type { Batch, Expr, Vector } from '../../olap/exec/spec.ts';
import type { SqlType } from '../../oltp/types.ts';
import { BOOL, call, col, lit, T } from './helpers.ts';

function dictBatch(dict: string[], codes: number[], nulls: number[], type: SqlType, selection?: number[]): Batch {
  const valid = nulls.length === 0 ? undefined : Uint8Array.from(codes, (_c, i) => (nulls.includes(i) ? 0 : 1));
  const v: Vector = { kind: 'dict', dict, codes: Int32Array.from(codes), valid };
  return { length: codes.length, columns: [v], types: [type], selection: selection === undefined ? undefined : Uint32Array.from(selection) };
}

function plainOf(b: Batch): Batch {
  const v = b.columns[0]!;
  if (v.kind !== 'dict') return b;
  return { ...b, columns: [{ kind: 'string', data: Array.from(v.codes, (c) => v.dict[c]!), valid: v.valid }] };
}

/** Per live row: true / false / null, through select() and vector(), compiled and interpreted. */
function outcomes(e: Expr, b: Batch): string {
  const rows = b.selection === undefined ? Array.from({ length: b.length }, (_, i) => i) : Array.from(b.selection);
  const results: string[] = [];
  for (const interpret of [false, true]) {
    const ev = new Evaluator(e, [], interpret);
    const v = ev.vector(b);
    const picked = new Set(ev.select(b));
    results.push(rows.map((i) => `${v.valid !== undefined && v.valid[i] === 0 ? 'null' : v.kind === 'bool' && v.data[i] === 1}/${picked.has(i)}`).join(','));
  }
  expect(results[0]).toBe(results[1]);
  return results[0]!;
}

describe('predicates over dictionary codes', () => {
  const text = T.text;
  const exprs: Expr[] = [
    call('=', BOOL, col(0, text), lit('MAIL', text)),
    call('<>', BOOL, lit('MAIL', text), col(0, text)),
    call('<', BOOL, col(0, text), lit('N', text)),
    { kind: 'in', arg: col(0, text), list: [lit('AIR', text), lit('REG AIR', text)], negated: false, type: BOOL },
    { kind: 'in', arg: col(0, text), list: [lit('AIR', text), { kind: 'const', value: null, type: text }], negated: true, type: BOOL },
    { kind: 'in', arg: col(0, text), list: [lit('SHIP', text), lit('TRUCK', text)], negated: true, type: BOOL },
  ];

  it('agree with plain strings and the interpreter, with NULLs and selections', () => {
    const dict = ['MAIL', 'AIR', 'SHIP', 'REG AIR', 'TRUCK', ''];
    const codes = [0, 1, 2, 3, 4, 5, 0, 1, 3, 3];
    for (const e of exprs) {
      for (const selection of [undefined, [0, 2, 3, 7, 9]]) {
        const b = dictBatch(dict, codes, [4, 7], text, selection);
        expect(outcomes(e, b)).toBe(outcomes(e, plainOf(b)));
      }
    }
  });

  it('follow a dictionary shared by batches and one that grew in place', () => {
    const dict = ['TRUCK', 'MAIL'];
    const e = exprs[0]!;
    const first = dictBatch(dict, [0, 1, 1], [], text);
    expect(outcomes(e, first)).toBe('false/false,true/true,true/true');
    expect(outcomes(e, dictBatch(dict, [1, 0], [], text))).toBe('true/true,false/false');
    dict.push('MAIL '); // grown in place (append-only): the new entry must be evaluated too
    expect(outcomes(e, dictBatch(dict, [2, 1], [], text))).toBe('false/false,true/true');
    expect(outcomes(exprs[3]!, dictBatch(['AIR', 'x'], [1, 0], [0], text))).toBe('null/false,true/true');
  });

  it('compare CHAR(n) without trailing blanks', () => {
    const char = T.varchar(6, true);
    const e = call('=', BOOL, col(0, char), lit('AB', char));
    const b = dictBatch(['AB    ', 'ABC   ', 'AB'], [0, 1, 2], [], char);
    expect(outcomes(e, b)).toBe('true/true,false/false,true/true');
  });
});

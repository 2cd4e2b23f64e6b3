// Literal normalization for the plan cache: `... WHERE k = 42 AND name = 'x'` and `... k = 7 ...`
// share one parsed and planned statement `... k = $2 AND name = $3` with the literals as extra
// parameters. Only for statement shapes where a literal's value never changes the plan (no GROUP BY /
// ORDER BY positions, no type modifiers, no typed or interval literals, no DDL): otherwise null.

import { quotedMask } from './split.ts';

export interface Normalized {
  readonly text: string;
  /** Literal values in order: integers as numbers, other numbers and strings as their text. */
  readonly literals: readonly (number | string)[];
  /** The literals' types as the binder must see them ($firstIndex ... ). */
  readonly kinds: readonly ('integer' | 'bigint' | 'decimal' | 'double' | 'string')[];
  /** Index ($n) of the first literal parameter (user parameters come before it). */
  readonly firstIndex: number;
}

const BAIL = /\b(order\s+by|group\s+by|interval|cast|round|trunc|create|alter|drop|copy|explain|date|timestamp|time|extract|substring|substr|like|ilike|values\s*\(\s*default|default)\b|::|\bx'|\be'/i;
// the statement kinds whose plan does not depend on literal values
const LEAD = /^\s*(select|insert|update|delete)\b/i;

const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const DOT = 46;
/** A number literal starting exactly at lastIndex (sticky). */
const NUMBER = /(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/y;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** [A-Za-z0-9_$.]: a number glued to one of these is part of a name, a parameter or another number. */
const isWordOrDot = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c === DOT;

export function normalizeLiterals(sql: string): Normalized | null {
  if (!LEAD.test(sql) || BAIL.test(sql)) return null;
  // which characters are quoted only matters for `"idents"` and `$n` (most statements have neither)
  const mask = sql.includes('"') || sql.includes('$') ? quotedMask(sql) : undefined;
  let maxParam = 0;
  if (mask !== undefined) for (const m of sql.matchAll(/\$(\d+)/g)) if (!mask[m.index!]) maxParam = Math.max(maxParam, Number(m[1]));
  const firstIndex = maxParam + 1;
  const literals: (number | string)[] = [];
  const kinds: Normalized['kinds'][number][] = [];
  // copies unchanged text in runs (sql.slice from `copied`), not a character at a time
  let out = '';
  let copied = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === DOUBLE_QUOTE) {
      while (i < n && mask![i]) i++;
      continue;
    }
    if (c === SINGLE_QUOTE) {
      let j = i + 1;
      let value = '';
      let from = j;
      while (j < n) {
        if (sql.charCodeAt(j) === SINGLE_QUOTE) {
          if (sql.charCodeAt(j + 1) === SINGLE_QUOTE) { value += `${sql.slice(from, j)}'`; j += 2; from = j; continue; }
          break;
        }
        j++;
      }
      value += sql.slice(from, j);
      out += `${sql.slice(copied, i)}$${firstIndex + literals.length}`;
      literals.push(value);
      kinds.push('string');
      i = j + 1;
      copied = i;
      continue;
    }
    if ((isDigit(c) || c === DOT) && !(i > 0 && isWordOrDot(sql.charCodeAt(i - 1)))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(sql);
      if (m && m[0] !== '.' && !/[A-Za-z_]/.test(sql[i + m[0].length] ?? '')) {
        const text = m[0];
        let kind: Normalized['kinds'][number];
        if (m[2]) kind = 'double';
        else if (text.includes('.')) kind = 'decimal';
        else kind = Math.abs(Number(text)) <= 2147483647 ? 'integer' : Number.isSafeInteger(Number(text)) ? 'bigint' : 'decimal';
        out += `${sql.slice(copied, i)}$${firstIndex + literals.length}`;
        literals.push(kind === 'integer' || kind === 'bigint' ? Number(text) : text);
        kinds.push(kind);
        i += text.length;
        copied = i;
        continue;
      }
    }
    i++;
  }
  out += sql.slice(copied);
  if (literals.length === 0) return null;
  return { text: out, literals, kinds, firstIndex };
}

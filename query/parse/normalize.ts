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

export function normalizeLiterals(sql: string): Normalized | null {
  if (!LEAD.test(sql) || BAIL.test(sql)) return null;
  const mask = quotedMask(sql);
  let maxParam = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) if (!mask[m.index!]) maxParam = Math.max(maxParam, Number(m[1]));
  const firstIndex = maxParam + 1;
  const literals: (number | string)[] = [];
  const kinds: Normalized['kinds'][number][] = [];
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === '"') {
      const start = i;
      while (i < n && mask[i]) i++;
      out += sql.slice(start, i);
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let value = '';
      while (j < n) {
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") { value += "'"; j += 2; continue; }
          break;
        }
        value += sql[j];
        j++;
      }
      out += `$${firstIndex + literals.length}`;
      literals.push(value);
      kinds.push('string');
      i = j + 1;
      continue;
    }
    const prev = i > 0 ? sql[i - 1]! : ' ';
    if (/[0-9.]/.test(c) && !/[A-Za-z0-9_$.]/.test(prev)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i));
      if (m && m[0] !== '.' && !/[A-Za-z_]/.test(sql[i + m[0].length] ?? '')) {
        const text = m[0];
        let kind: Normalized['kinds'][number];
        if (m[2]) kind = 'double';
        else if (text.includes('.')) kind = 'decimal';
        else kind = Math.abs(Number(text)) <= 2147483647 ? 'integer' : Number.isSafeInteger(Number(text)) ? 'bigint' : 'decimal';
        out += `$${firstIndex + literals.length}`;
        literals.push(kind === 'integer' || kind === 'bigint' ? Number(text) : text);
        kinds.push(kind);
        i += text.length;
        continue;
      }
    }
    out += c;
    i++;
  }
  if (literals.length === 0) return null;
  return { text: out, literals, kinds, firstIndex };
}

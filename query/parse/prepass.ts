// Rewrites the few PostgreSQL spellings node-sql-parser cannot read into ones it can, keeping the
// meaning: substring(x FROM a FOR b), position(a IN b), sum/avg/min/max(DISTINCT x),
// IS [NOT] DISTINCT FROM (only between simple operands). Works on comment-blanked text.

import { quotedMask } from './split.ts';

export function prepass(sql: string): string {
  let out = sql;
  out = rewriteCalls(out, 'substring', rewriteSubstring);
  out = rewriteCalls(out, 'position', rewritePosition);
  out = out.replace(/\b(sum|avg|min|max)\s*\(\s*distinct\b/gi, (_m, fn: string) => `__${fn.toLowerCase()}_distinct(`);
  // CURRENT_TIMESTAMP / CURRENT_DATE / LOCALTIMESTAMP without parentheses: node-sql-parser reads them
  // only in some positions (not in VALUES), so they become function calls
  const mask = quotedMask(out);
  out = out.replace(/\b(current_timestamp|current_date|localtimestamp)\b(?!\s*\()/gi, (m: string, _w: string, at: number) => (mask[at] ? m : `__${m.toLowerCase()}()`));
  // FETCH FIRST|NEXT [n] ROW[S] ONLY (SQL standard) = LIMIT n
  out = out.replace(/\bfetch\s+(?:first|next)\s+(\$?\d+\s+)?rows?\s+only\b/gi, (_m, n: string | undefined) => `LIMIT ${n ? n.trim() : '1'}`);
  // a IS [NOT] DISTINCT FROM b, for simple operands (names, literals, parameters)
  out = out.replace(/([\w.$]+|'(?:[^']|'')*')\s+is\s+(not\s+)?distinct\s+from\s+([\w.$]+|'(?:[^']|'')*')/gi,
    (_m, a: string, not: string | undefined, b: string) => `${not ? '__is_not_distinct' : '__is_distinct'}(${a}, ${b})`);
  return out;
}

type Rewriter = (inner: string) => string | null;

/** Finds `name(` outside literals, hands the text inside the matching parens to `rw`. */
function rewriteCalls(sql: string, name: string, rw: Rewriter): string {
  const re = new RegExp(`\\b${name}\\s*\\(`, 'gi');
  let mask = quotedMask(sql);
  let m: RegExpExecArray | null;
  let from = 0;
  for (;;) {
    re.lastIndex = from;
    m = re.exec(sql);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    if (mask[m.index]) { from = open + 1; continue; }
    const close = matchParen(sql, open, mask);
    if (close < 0) break;
    const inner = sql.slice(open + 1, close);
    const replaced = rw(inner);
    if (replaced === null) { from = open + 1; continue; }
    sql = sql.slice(0, open + 1) + replaced + sql.slice(close);
    mask = quotedMask(sql);
    from = open + 1;
  }
  return sql;
}

function matchParen(sql: string, open: number, mask: Uint8Array): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    if (mask[i]) continue;
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') { depth--; if (depth === 0) return i; }
  }
  return -1;
}

/** Top-level (depth 0, outside literals) occurrences of a keyword inside `inner`. */
function topLevelKeyword(inner: string, kw: string): number[] {
  const mask = quotedMask(inner);
  const hits: number[] = [];
  const re = new RegExp(`\\b${kw}\\b`, 'gi');
  let depth = 0;
  let depthAt = new Int32Array(inner.length);
  for (let i = 0; i < inner.length; i++) {
    if (!mask[i]) {
      if (inner[i] === '(') depth++;
      else if (inner[i] === ')') depth--;
    }
    depthAt[i] = depth;
  }
  let m: RegExpExecArray | null;
  while ((m = re.exec(inner))) if (!mask[m.index] && depthAt[m.index] === 0) hits.push(m.index);
  depthAt = new Int32Array(0);
  return hits;
}

function rewriteSubstring(inner: string): string | null {
  const froms = topLevelKeyword(inner, 'from');
  if (froms.length === 0) return null;
  const f = froms[0]!;
  const fors = topLevelKeyword(inner, 'for').filter((i) => i > f);
  const subject = inner.slice(0, f);
  if (fors.length === 0) return `${subject}, ${inner.slice(f + 4)}`;
  const g = fors[0]!;
  return `${subject}, ${inner.slice(f + 4, g)}, ${inner.slice(g + 3)}`;
}

function rewritePosition(inner: string): string | null {
  const ins = topLevelKeyword(inner, 'in');
  if (ins.length === 0) return null;
  const i = ins[0]!;
  // position(a IN b) = strpos(b, a); keep the name so the binder maps it
  return `${inner.slice(i + 2)}, ${inner.slice(0, i)}`;
}

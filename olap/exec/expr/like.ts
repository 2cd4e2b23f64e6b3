// LIKE / ILIKE patterns turned into anchored regular expressions (cached per pattern), PostgreSQL style:
// '%' any run, '_' one character, the escape character (default backslash; '' disables) quotes the next.

import { DuetError } from '../../../oltp/errors.ts';

const CACHE_SIZE_MAX = 256;
const cache = new Map<string, RegExp>();

export function likeRegex(pattern: string, escape: string | undefined, caseInsensitive: boolean): RegExp {
  const esc = escape ?? '\\';
  const key = `${caseInsensitive ? 'i' : 'c'}${esc.length}:${esc}${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (esc.length > 1) throw new DuetError('22025', 'invalid escape string', { hint: 'Escape string must be empty or one character.' });
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (esc !== '' && ch === esc) {
      i++;
      if (i >= pattern.length) throw new DuetError('22025', 'LIKE pattern must not end with escape character');
      source += quote(pattern[i]!);
    } else if (ch === '%') source += '[\\s\\S]*';
    else if (ch === '_') source += '[\\s\\S]';
    else source += quote(ch);
  }
  const re = new RegExp(source + '$', caseInsensitive ? 'iu' : 'u');
  if (cache.size >= CACHE_SIZE_MAX) cache.clear();
  cache.set(key, re);
  return re;
}

function quote(ch: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(ch) ? '\\' + ch : ch;
}

export function likeMatch(s: string, pattern: string, escape: string | undefined, caseInsensitive: boolean): boolean {
  return likeRegex(pattern, escape, caseInsensitive).test(s);
}

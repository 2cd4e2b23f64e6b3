// Which input columns an expression reads (joins copy only those columns of the rows they pair up).

import type { Expr } from '../spec.ts';

/** The input columns an expression reads. */
export function columnsOf(e: Expr, into = new Set<number>()): Set<number> {
  switch (e.kind) {
    case 'col': into.add(e.index); break;
    case 'const': case 'param': break;
    case 'call': case 'and': case 'or': e.args.forEach((a) => columnsOf(a, into)); break;
    case 'cast': case 'not': case 'isNull': columnsOf(e.arg, into); break;
    case 'case':
      if (e.operand !== undefined) columnsOf(e.operand, into);
      for (const w of e.whens) { columnsOf(w.when, into); columnsOf(w.then, into); }
      if (e.else !== undefined) columnsOf(e.else, into);
      break;
    case 'in': columnsOf(e.arg, into); e.list.forEach((a) => columnsOf(a, into)); break;
    case 'like': columnsOf(e.arg, into); columnsOf(e.pattern, into); break;
  }
  return into;
}

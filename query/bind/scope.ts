// Name resolution for the binder: which columns a FROM clause makes visible (by table alias and name),
// nesting for correlated subqueries, and helpful errors ("did you mean ...") with a position.

import type { TableDef, ViewDef } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Col } from '../plan/logical.ts';
import type { IdGen } from '../plan/logical.ts';
import type { SqlType } from '../../oltp/types.ts';
import type { Ast } from '../parse/parse.ts';

export interface ScopeItem {
  /** Table alias (lower case) or null for columns without one. */
  readonly table: string | null;
  readonly name: string;
  readonly col: Col;
  /** Hidden from `*` (e.g. the right side of JOIN ... USING). */
  readonly hidden?: boolean;
}

export interface Catalog {
  getTable(name: string): TableDef | undefined;
  getView(name: string): ViewDef | undefined;
  tableNames(): string[];
}

export interface CteDef { readonly ast: Ast; readonly columns: readonly string[] | null }

/** One query level (a SELECT); `outerRefs` collects ids this level reads from enclosing levels. */
export class Scope {
  items: ScopeItem[] = [];
  readonly outerRefs = new Set<number>();
  constructor(readonly parent: Scope | null) {}

  add(items: readonly ScopeItem[]): void {
    this.items.push(...items);
  }

  tables(): Set<string> {
    return new Set(this.items.flatMap((i) => (i.table ? [i.table] : [])));
  }
}

export interface BindCtx {
  readonly ids: IdGen;
  readonly catalog: Catalog;
  /** The statement text the AST came from (for positions) and its offset in the script. */
  readonly text: string;
  readonly offset: number;
  readonly ctes: Map<string, CteDef>[];
  /** Views being expanded (guards against a view that refers to itself). */
  readonly viewStack: string[];
  /** Types of parameters that stand for normalized literals (parse/normalize.ts); others are unknown. */
  readonly paramTypes?: ReadonlyMap<number, SqlType>;
  /** Set when the statement reads the clock (CURRENT_TIMESTAMP...): its plan must not be reused. */
  volatile?: boolean;
}

/** Resolves `table.name` or `name` through the scope chain; records correlation. */
export function resolveColumn(ctx: BindCtx, scope: Scope, table: string | null, name: string): Col {
  let level: Scope | null = scope;
  const crossed: Scope[] = [];
  while (level) {
    const hits = level.items.filter((i) => i.name === name && (table === null ? true : i.table === table));
    const visible = table === null && hits.length > 1 ? dedupeUsing(hits) : hits;
    if (visible.length > 1) {
      throw new DuetError(SqlState.ambiguousColumn, `column reference "${name}" is ambiguous`, posOpt(ctx, name));
    }
    if (visible.length === 1) {
      for (const s of crossed) s.outerRefs.add(visible[0]!.col.id);
      return visible[0]!.col;
    }
    if (table !== null && level.tables().has(table)) {
      throw missingColumn(ctx, scope, table, name);
    }
    crossed.push(level);
    level = level.parent;
  }
  if (table !== null && !anyTable(scope, table)) {
    throw new DuetError(SqlState.undefinedTable, `missing FROM-clause entry for table "${table}"`, posOpt(ctx, table));
  }
  throw missingColumn(ctx, scope, table, name);
}

// JOIN ... USING exposes the key once: an unqualified name matching a hidden duplicate is not ambiguous
function dedupeUsing(hits: ScopeItem[]): ScopeItem[] {
  const shown = hits.filter((h) => !h.hidden);
  return shown.length >= 1 ? shown : hits;
}

function anyTable(scope: Scope, table: string): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.tables().has(table)) return true;
  return false;
}

function missingColumn(ctx: BindCtx, scope: Scope, table: string | null, name: string): DuetError {
  const candidates: string[] = [];
  for (let s: Scope | null = scope; s; s = s.parent) {
    for (const i of s.items) if (table === null || i.table === table) candidates.push(i.name);
  }
  const best = closest(name, candidates);
  const full = table ? `${table}.${name}` : name;
  return new DuetError(SqlState.undefinedColumn, `column "${full}" does not exist`, {
    ...posOpt(ctx, name),
    ...(best ? { hint: `Perhaps you meant to reference the column "${best}".` } : {}),
  });
}

export function missingTable(ctx: BindCtx, name: string): DuetError {
  const best = closest(name, ctx.catalog.tableNames());
  return new DuetError(SqlState.undefinedTable, `relation "${name}" does not exist`, {
    ...posOpt(ctx, name),
    ...(best ? { hint: `Perhaps you meant the table "${best}".` } : {}),
  });
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of new Set(candidates)) {
    const d = editDistance(name, c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** 1-based position of the first whole-word occurrence of `word` in the statement (outside literals). */
export function positionOf(ctx: BindCtx, word: string): number | undefined {
  const re = new RegExp(`(^|[^\\w$])(${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?![\\w$])`, 'i');
  const m = re.exec(ctx.text);
  if (!m) return undefined;
  return ctx.offset + m.index + m[1]!.length + 1;
}

export function posOpt(ctx: BindCtx, word: string): { position?: number } {
  const p = positionOf(ctx, word);
  return p === undefined ? {} : { position: p };
}

export function locPos(ctx: BindCtx, ast: Ast): { position?: number } {
  const loc = ast?.loc;
  if (loc && typeof loc.start?.offset === 'number') return { position: ctx.offset + loc.start.offset + 1 };
  return {};
}

export function makeCols(ids: IdGen, names: readonly string[], types: readonly SqlType[]): Col[] {
  return names.map((n, i) => ids.col(n, types[i]!));
}

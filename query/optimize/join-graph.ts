// What the join order reads from a region's equi-join graph: implied (transitive) column equalities, and which
// equalities of a join are redundant given the joins already made.

import { E, type Expr } from '../plan/expr.ts';

const BOOL = { id: 'boolean' } as const;

/** `a = b` between two plain columns of the same type, or null. */
function colEquality(pr: Expr): { a: Extract<Expr, { kind: 'col' }>; b: Extract<Expr, { kind: 'col' }> } | null {
  if (pr.kind !== 'call' || pr.fn !== '=' || pr.args.length !== 2) return null;
  const [a, b] = pr.args as [Expr, Expr];
  if (a.kind !== 'col' || b.kind !== 'col' || a.id === b.id || JSON.stringify(a.type) !== JSON.stringify(b.type)) return null;
  return { a, b };
}

export interface EquiClasses {
  /** Implied equalities between two relations that no predicate joins directly on that class. */
  readonly implied: readonly Expr[];
  /** Column id → its class (only columns that meet another relation's column in an equality). */
  readonly classOf: ReadonlyMap<number, number>;
}

/**
 * Equivalence classes of columns equated across relations (`c_nationkey = s_nationkey AND s_nationkey =
 * n_nationkey`), and the equalities they imply between relations not joined directly (`c_nationkey =
 * n_nationkey`, TPC-H Q5): the greedy order can then reach nation from customer. Only column-to-column equalities
 * of one type take part, so the implied predicate compares exactly what the written ones do; an inner join drops a
 * row whose column is NULL under either, so adding it never changes a result. A class takes part only when each
 * relation holds one of its columns: then every two of them are equated by some predicate, and once a relation
 * joins, all class columns built so far are equal (what `withoutRedundant` relies on).
 */
export function equiClasses(preds: readonly Expr[], leafIds: readonly Set<number>[]): EquiClasses {
  const leafOf = (id: number): number => leafIds.findIndex((ids) => ids.has(id));
  const parent = new Map<number, number>();
  const find = (id: number): number => {
    let r = id;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(id, r);
    return r;
  };
  const cols = new Map<number, Extract<Expr, { kind: 'col' }>>();
  const direct = new Set<string>();
  for (const pr of preds) {
    const eq = colEquality(pr);
    if (!eq) continue;
    const la = leafOf(eq.a.id);
    const lb = leafOf(eq.b.id);
    if (la < 0 || lb < 0 || la === lb) continue;
    for (const c of [eq.a, eq.b]) if (!parent.has(c.id)) { parent.set(c.id, c.id); cols.set(c.id, c); }
    parent.set(find(eq.a.id), find(eq.b.id));
    direct.add(`${Math.min(la, lb)}:${Math.max(la, lb)}:${eq.a.id}`);
  }
  const members = new Map<number, Extract<Expr, { kind: 'col' }>[]>();
  for (const [id, c] of cols) members.set(find(id), [...(members.get(find(id)) ?? []), c]);
  const classOf = new Map<number, number>();
  const implied: Expr[] = [];
  for (const [root, ms] of members) {
    // two columns of one relation in a class are not known to be equal to each other (no predicate says so
    // between them): such a class implies nothing here, and none of its equalities is redundant
    if (new Set(ms.map((m) => leafOf(m.id))).size !== ms.length) continue;
    for (const m of ms) classOf.set(m.id, root);
    const joined = new Set<string>();
    for (const key of direct) {
      const [la, lb, id] = key.split(':').map(Number) as [number, number, number];
      if (classOf.get(id) === root) joined.add(`${la}:${lb}`);
    }
    for (let i = 0; i < ms.length; i++) {
      for (let j = i + 1; j < ms.length; j++) {
        const la = leafOf(ms[i]!.id);
        const lb = leafOf(ms[j]!.id);
        const pair = `${Math.min(la, lb)}:${Math.max(la, lb)}`;
        if (la === lb || joined.has(pair)) continue;
        joined.add(pair);
        implied.push(E.call('=', [ms[i]!, ms[j]!], BOOL));
      }
    }
  }
  return { implied, classOf };
}

/**
 * A join's equalities minus those its other equalities already imply: two equalities between the relations built
 * so far and the new one on columns of one class say the same (the built side's class columns are already equal),
 * so the hash join keys on one of them only.
 */
export function withoutRedundant(cond: readonly Expr[], classOf: ReadonlyMap<number, number>, built: Set<number>): Expr[] {
  const seen = new Set<number>();
  return cond.filter((pr) => {
    const eq = colEquality(pr);
    if (!eq) return true;
    const cls = classOf.get(eq.a.id);
    if (cls === undefined || classOf.get(eq.b.id) !== cls || built.has(eq.a.id) === built.has(eq.b.id)) return true;
    if (seen.has(cls)) return false;
    seen.add(cls);
    return true;
  });
}

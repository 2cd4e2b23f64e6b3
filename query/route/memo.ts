// Route decisions kept per cached plan: a statement run again with the same parameters reuses its route while the
// learner's stats generation (stats.ts) is the same, the row store has taken few commits since and it is young.
import type { Value } from '../../oltp/types.ts';
import type { PlanNode } from '../../olap/exec/spec.ts';
import type { RowStore } from '../../oltp/rowstore.ts';

/**
 * Commits after which a kept decision is worked out again: a short range counted on the row store could have
 * grown (the learner's row counts, which also end a decision, move only when its status is refreshed).
 */
const MEMO_COMMITS_MAX = 32;
/** Age after which a kept decision is worked out again (one bulk commit can grow a counted range past any bound). */
const MEMO_TTL_MS = 5000;
/** Parameter sets kept per plan (a statement run with ever new values would otherwise grow without bound). */
const MEMO_PER_PLAN_MAX = 8;

interface Kept<D> {
  readonly decision: D;
  readonly gen: number;
  readonly appliedIndex: number;
  readonly atMs: number;
}

export class RouteMemo<D> {
  private readonly byPlan = new WeakMap<PlanNode, Map<string, Kept<D>>>();

  get(root: PlanNode, key: string, gen: number, store: RowStore): D | undefined {
    const kept = this.byPlan.get(root)?.get(key);
    if (kept === undefined || kept.gen !== gen || performance.now() - kept.atMs > MEMO_TTL_MS) return undefined;
    if (store.stats.appliedIndex - kept.appliedIndex >= MEMO_COMMITS_MAX) return undefined;
    return kept.decision;
  }

  set(root: PlanNode, key: string, gen: number, store: RowStore, decision: D): void {
    let m = this.byPlan.get(root);
    if (m === undefined) this.byPlan.set(root, (m = new Map()));
    if (!m.has(key) && m.size >= MEMO_PER_PLAN_MAX) m.delete(m.keys().next().value!);
    m.set(key, { decision, gen, appliedIndex: store.stats.appliedIndex, atMs: performance.now() });
  }
}

/** The memo key of one run: the engine choice, the wait bound and the parameter values (with their JS types). */
export function memoKey(choice: string, waitMs: number, params: readonly Value[]): string {
  let key = `${choice}|${waitMs}`;
  // strings quoted: a '|' inside one cannot make two parameter lists look alike
  for (const v of params) key += `|${typeof v}:${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
  return key;
}

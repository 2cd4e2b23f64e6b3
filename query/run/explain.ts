// EXPLAIN prints the executor plan tree; EXPLAIN ANALYZE runs it and adds actual rows and time per operator.

import type { Txn } from '../../oltp/api.ts';
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import type { OperatorStats, PlanNode, Expr as SpecExpr } from '../../olap/exec/spec.ts';
import { outputColumns } from '../../olap/exec/execute.ts';
import { valueToText } from '../bind/literals.ts';
import type { QueryResult } from '../database.ts';
import { bindQuery } from '../bind/select.ts';
import { Scope } from '../bind/scope.ts';
import type { Statement } from '../parse/parse.ts';
import { convertParams, newBindCtx, planQuery, runPlanned } from './context.ts';
import type { Session } from '../database.ts';
import { describeRoute, route } from '../route/router.ts';
import { runRouted } from '../route/run.ts';
import type { ScanBlocks } from '../route/column.ts';
import { routeSettingsOf } from '../route/settings.ts';

export async function explain(txn: Txn, stmt: Extract<Statement, { kind: 'explain' }>, params: readonly Value[], signal?: AbortSignal, session?: Session): Promise<QueryResult> {
  const inner = stmt.inner;
  if (inner.kind !== 'ast' || inner.ast.type !== 'select') throw new DuetError(SqlState.featureNotSupported, 'EXPLAIN supports SELECT statements');
  const ctx = newBindCtx(txn, inner.text, inner.offset);
  const bound = bindQuery(ctx, inner.ast, new Scope(null));
  const planned = planQuery(ctx, bound.plan, bound.cols);
  let stats: Map<PlanNode, OperatorStats> | undefined;
  let totalMs = 0;
  let blocks: ScanBlocks | undefined;
  // with a session the router's choice and both estimates come first (query/route/)
  const routeInput = session ? { store: session.db.store, txn, root: planned.lowered.root, ...routeSettingsOf(session), explain: true, params: convertParams(params, planned.lowered.paramTypes) } : undefined;
  let routeLine = routeInput ? describeRoute(await route(routeInput)) : 'path: row';
  if (stmt.analyze) {
    stats = new Map();
    const values = convertParams(params, planned.lowered.paramTypes);
    const t0 = performance.now();
    if (routeInput) {
      const run = await runRouted({ ...routeInput, params: values, stats, ...(signal ? { signal } : {}) });
      routeLine = describeRoute(run.decision) + (run.fellBack ? ` [fell back to row${run.fallBackReason !== undefined ? `: ${run.fallBackReason}` : ''}]` : run.decision.path === 'column' ? ` blocks scanned=${run.counters.blocksScanned} pruned=${run.counters.blocksPruned}` : '');
      blocks = run.scanBlocks;
    } else {
      await runPlanned(txn, planned.lowered.root, values, stats, signal);
    }
    totalMs = performance.now() - t0;
  }
  const lines: string[] = [routeLine];
  render(planned.lowered.root, 0, lines, stats, blocks);
  if (stmt.analyze) lines.push(`Execution Time: ${totalMs.toFixed(3)} ms`);
  return { columns: [{ name: 'QUERY PLAN', type: { id: 'varchar' } }], rows: lines.map((l) => [l]), command: 'EXPLAIN', rowCount: lines.length };
}

function render(node: PlanNode, depth: number, out: string[], stats: Map<PlanNode, OperatorStats> | undefined, blocks?: ScanBlocks): void {
  const pad = depth === 0 ? '' : '  '.repeat(depth - 1) + '->  ';
  const s = stats?.get(node);
  const actual = s ? `  (actual rows=${s.rowsOut} batches=${s.batchesOut} time=${s.timeMs.toFixed(3)} ms)` : '';
  // column path: blocks the scan read and those its zone maps skipped
  const b = node.kind === 'scan' ? blocks?.get(node) : undefined;
  out.push(`${pad}${label(node)}${actual}${b ? `  (blocks read=${b.blocksScanned} skipped=${b.blocksPruned}${b.workers !== undefined && b.workers > 1 ? ` workers=${b.workers} helper read=${b.helperBlocks ?? 0}` : ''})` : ''}`);
  for (const c of kids(node)) render(c, depth + 1, out, stats, blocks);
}

function kids(n: PlanNode): PlanNode[] {
  switch (n.kind) {
    case 'scan': case 'values': return [];
    case 'hashJoin': case 'nestedLoopJoin': case 'setOp': return [n.left, n.right];
    default: return [n.input];
  }
}

/** Names of the columns a node's expressions read (its input's output; left ++ right for joins). */
function inputNames(n: PlanNode): string[] {
  switch (n.kind) {
    case 'scan': case 'values': return outputColumns(n).map((c) => c.name);
    case 'hashJoin': case 'nestedLoopJoin': return [...outputColumns(n.left), ...outputColumns(n.right)].map((c) => c.name);
    case 'setOp': return [];
    default: return outputColumns(n.input).map((c) => c.name);
  }
}

function label(n: PlanNode): string {
  names = inputNames(n);
  switch (n.kind) {
    case 'scan': {
      const a = n.access as { index: string | null; point: boolean; full?: boolean } | undefined;
      const how = !a || a.full ? 'Seq Scan' : a.point ? 'Point Get' : a.index ? `Index Scan using ${a.index}` : 'Primary Key Range Scan';
      return `${how} on ${n.table} (${n.columns.map((c) => c.name).join(', ')})${n.filter ? ` filter: ${fmt(n.filter)}` : ''}`;
    }
    case 'values': return `Values (${n.rows.length} rows)`;
    case 'filter': return `Filter: ${fmt(n.predicate)}`;
    case 'project': return `Project: ${n.exprs.map(fmt).join(', ')}`;
    case 'aggregate': return `HashAggregate${n.groupBy.length ? ` group by: ${n.groupBy.map(fmt).join(', ')}` : ''} aggs: ${n.aggregates.map((a) => `${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${a.arg ? fmt(a.arg) : '*'})`).join(', ')}`;
    case 'hashJoin': {
      const both = names;
      const left = outputColumns(n.left).map((c) => c.name);
      names = left;
      const lk = n.leftKeys.map(fmt);
      names = outputColumns(n.right).map((c) => c.name);
      const rk = n.rightKeys.map(fmt);
      names = both;
      return `Hash ${cap(n.joinType)} Join${n.nullAware ? ' (null-aware)' : ''} on ${lk.map((k, i) => `${k} = ${rk[i]}`).join(' AND ')}${n.residual ? ` residual: ${fmt(n.residual)}` : ''}`;
    }
    case 'nestedLoopJoin': return `Nested Loop ${cap(n.joinType)} Join${n.predicate ? ` on ${fmt(n.predicate)}` : ''}`;
    case 'sort': return `Sort: ${n.keys.map((k) => fmt(k.expr) + (k.descending ? ' DESC' : '')).join(', ')}`;
    case 'topN': return `Top-N Sort: ${n.keys.map((k) => fmt(k.expr) + (k.descending ? ' DESC' : '')).join(', ')} limit ${fmt(n.limit)}`;
    case 'limit': return `Limit${n.limit ? ` ${fmt(n.limit)}` : ''}${n.offset ? ` offset ${fmt(n.offset)}` : ''}`;
    case 'distinct': return 'Distinct';
    case 'setOp': return `${n.op.toUpperCase()}${n.all ? ' ALL' : ''}`;
    case 'singleRow': return 'Single Row (scalar subquery)';
  }
}

function cap(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

// input column names of the node being printed (set by label())
let names: string[] = [];

function fmt(e: SpecExpr): string {
  switch (e.kind) {
    case 'col': return names[e.index] ?? `#${e.index}`;
    case 'const': {
      if (e.value === null) return 'NULL';
      const text = valueToText(e.value, e.type);
      return typeof e.value === 'string' || e.type.id === 'date' || e.type.id === 'timestamp' ? `'${text}'` : text;
    }
    case 'param': return `$${e.index}`;
    case 'call': return /^[^a-z]/.test(e.fn) && e.args.length === 2 ? `(${fmt(e.args[0]!)} ${e.fn} ${fmt(e.args[1]!)})` : `${e.fn}(${e.args.map(fmt).join(', ')})`;
    case 'cast': return `${fmt(e.arg)}::${e.type.id}`;
    case 'and': case 'or': return `(${e.args.map(fmt).join(` ${e.kind.toUpperCase()} `)})`;
    case 'not': return `NOT ${fmt(e.arg)}`;
    case 'isNull': return `${fmt(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'case': return 'CASE ... END';
    case 'in': return `${fmt(e.arg)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(fmt).join(', ')})`;
    case 'like': return `${fmt(e.arg)} ${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${fmt(e.pattern)}`;
  }
}

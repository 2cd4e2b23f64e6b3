// db.queryArrow: a SELECT's result as an apache-arrow Table without converting to JS rows (the column path
// hands over the learner's Arrow batches as they came; the row path converts its executor batches), and
// the path that answered each SELECT (the REPL's \timing line).
import { Table, type RecordBatch, type Schema } from 'apache-arrow';
import { rowsToBatch } from '../../olap/exec/batch.ts';
import { batchToArrow, resultSchema } from '../../olap/learner/result-arrow.ts';
import type { SqlType, Value } from '../../oltp/types.ts';
import type { QueryResult, Session } from '../database.ts';
import type { RoutedRun } from './run.ts';

/** What runSelect passes to runRouted for a session that asked for Arrow output. */
export function arrowOutputOf(session: Session, cols: readonly { readonly name: string }[]): { output?: 'arrow'; names?: readonly string[] } {
  return session.arrowOutput ? { output: 'arrow', names: cols.map((c) => c.name) } : {};
}

/** Records on the session what answered its last SELECT (no run: the point-read fast path, rows). */
export function noteRun(session: Session, run: RoutedRun | undefined): void {
  session.lastPath = run?.path ?? 'row';
  session.lastArrow = run?.arrow;
}

/** Rows in an Arrow result (the SELECT's row count when it returned Arrow). */
export function arrowRowCount(arrow: { readonly batches: readonly RecordBatch[] }): number {
  let n = 0;
  for (const b of arrow.batches) n += b.numRows;
  return n;
}

export function arrowTable(arrow: { readonly schema: Schema; readonly batches: readonly RecordBatch[] }): Table {
  return new Table(arrow.schema, arrow.batches as RecordBatch[]);
}

/**
 * A result that did not come from the executor (SHOW, INSERT ... RETURNING, commands) as a Table of its
 * public values: DECIMAL, DATE and TIMESTAMP arrive as text there, so they stay text columns.
 */
export function publicResultToArrow(result: QueryResult): Table {
  const types: SqlType[] = result.columns.map((c) => (c.type.id === 'decimal' || c.type.id === 'date' || c.type.id === 'timestamp' ? { id: 'varchar' } : c.type));
  const schema = resultSchema(result.columns.map((c, i) => ({ name: c.name, type: types[i]! })));
  if (result.rows.length === 0) return new Table(schema);
  return new Table(schema, [batchToArrow(rowsToBatch(result.rows as Value[][], types), schema)]);
}

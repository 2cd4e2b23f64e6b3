// Wraps the wire protocol's engine for a cluster member: a statement that starts a read outside a transaction
// first passes the Replicator's read barrier (ReadIndex), and a write statement runs only on the writable
// leader, so reads and writes on any node, leader or follower, are linearizable.

import type { TableDef, ViewDef } from '../api.ts';
import { DuetError } from '../errors.ts';
import type { Value } from '../types.ts';
import type { QueryResult, WireEngine, WireSession } from '../../server/engine.ts';

/** Statements that take a snapshot to read (BEGIN too: the transaction's snapshot comes after it). */
const READ_START = new Set(['select', 'with', 'table', 'values', 'show', 'explain', 'begin', 'start', '(']);
/** Statements that write rows or the catalog: refused at once on a node that cannot commit them. */
const WRITE_START = new Set(['insert', 'update', 'delete', 'merge', 'create', 'drop', 'alter', 'truncate']);
/** Row writes whose outcome ("0 rows") is a read of the snapshot they ran on. */
const ROW_WRITE = new Set(['insert', 'update', 'delete', 'merge']);

/**
 * The statement's first keyword, lower case, after whitespace and comments (a routing-hint comment in front
 * of a SELECT must not let the read skip its barrier); '(' for a parenthesized query.
 */
export function firstKeyword(sql: string): string {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      if (end < 0) return '';
      i = end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return '';
      i = end + 2;
    } else break;
  }
  if (sql[i] === '(') return '(';
  const m = /^[a-z]+/i.exec(sql.slice(i, i + 16));
  return m === null ? '' : m[0].toLowerCase();
}

/** What the wrapper needs from the node's Replicator. */
export interface ClusterGate {
  /** Resolves once this node has applied everything committed before the call (ReadIndex). */
  readBarrier(): Promise<void>;
  /** The term this node leads as a writable leader, or the error a write here gets (25006 with the leader's address). */
  writableTerm(): number | DuetError;
}

class ClusterSession implements WireSession {
  constructor(
    private readonly inner: WireSession,
    private readonly gate: ClusterGate,
    private readonly staleReads: boolean,
  ) {}

  async query(sql: string, params: readonly Value[]): Promise<QueryResult> {
    const keyword = firstKeyword(sql);
    if (WRITE_START.has(keyword)) return this.write(sql, params, keyword);
    if (!this.staleReads && !this.inner.inTransaction && READ_START.has(keyword)) await this.gate.readBarrier();
    return this.inner.query(sql, params);
  }

  /**
   * A follower would otherwise run the statement on its own (possibly stale) snapshot, and one that writes
   * nothing would commit as read-only: "UPDATE 0" for a row the leader has. So writes go to the leader only.
   * On the leader, a row write that wrote nothing never went through Raft: a deposed leader that has not
   * noticed yet could have run it on a stale snapshot, so the answer stands only if a ReadIndex round confirms
   * the same term afterwards (no other leader can have committed anything in between).
   */
  private async write(sql: string, params: readonly Value[], keyword: string): Promise<QueryResult> {
    const term = this.gate.writableTerm();
    if (typeof term !== 'number') {
      if (this.inner.inTransaction) this.inner.markFailed();
      throw term;
    }
    const inTransaction = this.inner.inTransaction;
    const result = await this.inner.query(sql, params);
    if (inTransaction || this.inner.inTransaction || result.rowCount !== 0 || !ROW_WRITE.has(keyword)) return result;
    await this.gate.readBarrier();
    if (this.gate.writableTerm() !== term) {
      throw new DuetError('40001', 'leadership changed while the statement ran: it wrote nothing, and its snapshot may have been stale', {
        hint: 'Retry the statement at the leader.',
      });
    }
    return result;
  }

  get inTransaction(): boolean {
    return this.inner.inTransaction;
  }
  get failed(): boolean {
    return this.inner.failed;
  }
  markFailed(): void {
    this.inner.markFailed();
  }
  cancel(): void {
    this.inner.cancel();
  }
  listTables(): readonly TableDef[] {
    return this.inner.listTables();
  }
  listViews(): readonly ViewDef[] {
    return this.inner.listViews();
  }
  copyFrom(table: string, columns: readonly string[] | undefined, batches: AsyncIterable<(string | null)[][]>): Promise<number> {
    return this.inner.copyFrom(table, columns, batches);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `staleReads`: skip the read barrier (reads at the local applied snapshot); writes are still gated. */
export function clusterEngine(inner: WireEngine, gate: ClusterGate, staleReads = false): WireEngine {
  return { openSession: () => new ClusterSession(inner.openSession(), gate, staleReads) };
}

// Wraps the wire protocol's engine so that a statement that starts a read outside a transaction first passes
// the Replicator's read barrier (ReadIndex): reads on any node, leader or follower, are then linearizable.

import type { TableDef, ViewDef } from '../api.ts';
import type { Value } from '../types.ts';
import type { QueryResult, WireEngine, WireSession } from '../../server/engine.ts';

/** Statements that take a snapshot to read (BEGIN too: the transaction's snapshot comes after it). */
const READ_START = /^\s*(select|with|table|values|show|explain|begin|start)\b/i;

class BarrierSession implements WireSession {
  constructor(
    private readonly inner: WireSession,
    private readonly barrier: () => Promise<void>,
  ) {}

  async query(sql: string, params: readonly Value[]): Promise<QueryResult> {
    if (!this.inner.inTransaction && READ_START.test(sql)) await this.barrier();
    return this.inner.query(sql, params);
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

export function linearizableEngine(inner: WireEngine, barrier: () => Promise<void>): WireEngine {
  return { openSession: () => new BarrierSession(inner.openSession(), barrier) };
}

// The wire-engine wrapper of a cluster member (in process, with a stand-in engine and Replicator): which
// statements pass the read barrier, which are refused on a node that cannot commit, and the zero-row check.

import { describe, expect, it } from 'vitest';
import { DuetError } from '../../oltp/errors.ts';
import { clusterEngine, firstKeyword, type ClusterGate } from '../../oltp/replication/linearizable-engine.ts';
import type { QueryResult, WireEngine, WireSession } from '../../server/engine.ts';

interface Fake {
  engine: WireEngine;
  ran: string[];
  inTransaction: boolean;
  failed: boolean;
  rowCount: number;
}

function fakeEngine(): Fake {
  const f: Fake = { engine: undefined as unknown as WireEngine, ran: [], inTransaction: false, failed: false, rowCount: 1 };
  const session: WireSession = {
    query: async (sql: string): Promise<QueryResult> => {
      f.ran.push(sql);
      if (/^\s*begin/i.test(sql)) f.inTransaction = true;
      return { columns: [], rows: [], command: 'X', rowCount: f.rowCount };
    },
    get inTransaction() {
      return f.inTransaction;
    },
    get failed() {
      return f.failed;
    },
    markFailed: () => void (f.failed = true),
    cancel: () => undefined,
    listTables: () => [],
    listViews: () => [],
    copyFrom: async () => 0,
    close: async () => undefined,
  };
  f.engine = { openSession: () => session };
  return f;
}

function fakeGate(state: { term: number | DuetError; barriers: number; termAfterBarrier?: number }): ClusterGate {
  return {
    readBarrier: async () => {
      state.barriers++;
      if (state.termAfterBarrier !== undefined) state.term = state.termAfterBarrier;
    },
    writableTerm: () => state.term,
  };
}

const notLeader = new DuetError('25006', 'cannot commit a write on node 2: it is not the leader', { hint: 'connect to the leader at 127.0.0.1:5433' });

describe('cluster engine', () => {
  it('finds the first keyword after whitespace and comments', () => {
    expect(firstKeyword('  select 1')).toBe('select');
    expect(firstKeyword('/*+ column */ SELECT 1')).toBe('select');
    expect(firstKeyword('-- note\n  UPDATE t SET a = 1')).toBe('update');
    expect(firstKeyword('/* a */ -- b\n/* c */delete from t')).toBe('delete');
    expect(firstKeyword('(select 1) union (select 2)')).toBe('(');
    expect(firstKeyword('/* never closed')).toBe('');
  });

  it('on a follower: reads pass the barrier; writes are refused before they run, also behind a comment', async () => {
    const f = fakeEngine();
    const state = { term: notLeader as number | DuetError, barriers: 0 };
    const s = clusterEngine(f.engine, fakeGate(state)).openSession();
    await s.query('/*+ row */ SELECT 1', []);
    expect(state.barriers).toBe(1);
    for (const sql of ['UPDATE t SET a = 1 WHERE k = 5', '/* x */ insert into t values (1)', 'CREATE TABLE u (a INT)']) {
      await expect(s.query(sql, [])).rejects.toMatchObject({ code: '25006', hint: 'connect to the leader at 127.0.0.1:5433' });
    }
    expect(f.ran).toEqual(['/*+ row */ SELECT 1']);
    await s.query('BEGIN', []);
    await expect(s.query('DELETE FROM t', [])).rejects.toMatchObject({ code: '25006' });
    expect(f.failed).toBe(true); // the open transaction can only roll back now
  });

  it('on the leader: a row write that wrote nothing is answered only if the term held across a ReadIndex round', async () => {
    const f = fakeEngine();
    const state: { term: number | DuetError; barriers: number; termAfterBarrier?: number } = { term: 7, barriers: 0 };
    const s = clusterEngine(f.engine, fakeGate(state)).openSession();
    await s.query('UPDATE t SET a = 1 WHERE k = 5', []);
    expect(state.barriers).toBe(0); // it wrote a row: it went through Raft
    f.rowCount = 0;
    await s.query('UPDATE t SET a = 1 WHERE k = 6', []);
    expect(state.barriers).toBe(1);
    state.termAfterBarrier = 8;
    await expect(s.query('DELETE FROM t WHERE k = 6', [])).rejects.toMatchObject({ code: '40001' });
    // Stale reads (--stale-reads) skip the read barrier, never the write gate.
    const stale = clusterEngine(fakeEngine().engine, fakeGate({ term: notLeader, barriers: 0 }), true).openSession();
    await expect(stale.query('UPDATE t SET a = 2', [])).rejects.toMatchObject({ code: '25006' });
  });
});

// Log replication (Raft §5.3), the Figure 7 follower logs, the Figure 8 commit rule (§5.4.2) and safety (§5.4).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../oltp/raft/config.ts';
import { appliedData, Cluster, deliveredOf, logTerms, storageWithLog, text } from './harness.ts';

describe('Raft §5.3 log replication', () => {
  it('§5.3: a proposal is replicated, committed once a majority holds it, and applied in order everywhere', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    for (const x of ['a', 'b', 'c']) expect(c.node(1).propose(text(x)).ok).toBe(true);
    c.settle();
    c.tick(1);
    for (const id of [1, 2, 3]) expect(appliedData(c.get(id))).toEqual(['a', 'b', 'c']);
  });

  it('§5.3: an entry held only by a minority is not committed', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const commitBefore = c.node(1).status().commit;
    c.filter = (m) => m.from === 1 && m.type === 'append' ? false : true;
    c.node(1).propose(text('lost?'));
    c.settle();
    expect(c.node(1).status().commit).toBe(commitBefore);
    expect(appliedData(c.get(1))).toEqual([]);
    c.heal();
    c.tick(2);
    expect(appliedData(c.get(1))).toEqual(['lost?']);
  });

  it('§5.3: a follower rejects an append whose previous entry does not match (consistency check)', () => {
    const c = new Cluster([1, 2]);
    c.add(2, storageWithLog([1, 1], makeConfig([1, 2]), 2));
    c.node(2).step({ type: 'append', from: 1, to: 2, term: 2, prevIndex: 2, prevTerm: 2, entries: [], commit: 0 });
    const reply = c.node(2).ready().messages[0];
    expect(reply).toMatchObject({ type: 'appendResp', reject: true, index: 2, hintIndex: 2, hintTerm: 1 });
  });

  it('a proposal at a follower is refused with the leader id (the client retries there)', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    expect(c.node(2).propose(text('x'))).toMatchObject({ ok: false, reason: 'notLeader', leaderId: 1 });
  });
});

// Raft paper Figure 7: the leader of term 8 and six possible follower logs (terms of entries 1..n).
const FIGURE_7_LEADER = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
const FIGURE_7_FOLLOWERS: Record<string, number[]> = {
  a: [1, 1, 1, 4, 4, 5, 5, 6, 6], // missing entries
  b: [1, 1, 1, 4], // missing entries
  c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // an extra uncommitted entry
  d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // extra entries of a later term
  e: [1, 1, 1, 4, 4, 4, 4], // missing entries and extra uncommitted entries
  f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // a leader of terms 2 and 3 that never committed
};

describe('Raft §5.3 Figure 7: the leader brings every possible follower log in line', () => {
  for (const [name, followerLog] of Object.entries(FIGURE_7_FOLLOWERS)) {
    it(`Figure 7 (${name}): follower ${JSON.stringify(followerLog)} ends with the leader's log, in few round trips`, () => {
      const config = makeConfig([1, 2, 3]);
      const c = new Cluster([1, 2, 3]);
      c.add(1, storageWithLog(FIGURE_7_LEADER, config, 7));
      c.add(2, storageWithLog(followerLog, config, 7));
      // Node 3 has an empty log, so it votes for node 1 and node 1 leads term 8 as in the figure.
      c.elect(1);
      expect(c.node(1).status()).toMatchObject({ role: 'leader', term: 8 });
      c.tick(2);
      const expected = [...FIGURE_7_LEADER, 8];
      expect(logTerms(c.get(1))).toEqual(expected); // Leader Append-Only (Figure 3)
      expect(logTerms(c.get(2))).toEqual(expected);
      // Fast backtracking: one rejection per conflicting term at most, never one per entry.
      const rejections = deliveredOf(c, 'appendResp', 2, 1).filter((m) => m.reject).length;
      expect(rejections).toBeLessThanOrEqual(2);
      expect(c.node(2).status().commit).toBe(expected.length);
    });
  }

  it('fast backtracking: case (f) needs one rejection where decrementing one by one would need seven', () => {
    const config = makeConfig([1, 2, 3]);
    const c = new Cluster([1, 2, 3]);
    c.add(1, storageWithLog(FIGURE_7_LEADER, config, 7));
    c.add(2, storageWithLog(FIGURE_7_FOLLOWERS.f!, config, 7));
    c.elect(1);
    const rejects = deliveredOf(c, 'appendResp', 2, 1).filter((m) => m.reject);
    expect(rejects).toHaveLength(1);
    // The follower points at index 10 (term 3 <= 6); the leader skips back to its last entry with term <= 3.
    expect(rejects[0]).toMatchObject({ index: 10, hintIndex: 10, hintTerm: 3 });
    const afterReject = c.delivered.slice(c.delivered.indexOf(rejects[0]!));
    const retry = afterReject.find((m) => m.type === 'append' && m.to === 2);
    expect(retry).toMatchObject({ prevIndex: 3, prevTerm: 1 });
  });
});

describe('Raft §5.4.2 Figure 8: commit only by counting replicas of current-term entries', () => {
  it('Figure 8: an entry of an earlier term on a majority is not committed until a current-term entry is', () => {
    const config = makeConfig([1, 2, 3]);
    // S1 holds (2, term 2) from its term-2 leadership; S2 and S3 hold only index 1.
    const c = new Cluster([1, 2, 3], { entriesPerMessageMax: 1 });
    c.add(1, storageWithLog([1, 2], config, 3), { entriesPerMessageMax: 1 });
    c.add(2, storageWithLog([1], config, 3), { entriesPerMessageMax: 1 });
    c.add(3, storageWithLog([1], config, 3), { entriesPerMessageMax: 1 });
    c.filter = (m) => m.to !== 3 || m.type === 'vote' || m.type === 'preVote';
    let commitWhenOldEntryOnMajority = -1;
    c.afterDeliver = (m) => {
      if (m.type === 'appendResp' && m.to === 1 && !m.reject && m.index === 2) commitWhenOldEntryOnMajority = c.node(1).status().commit;
    };
    c.elect(1); // term 4; its no-op goes to index 3
    expect(c.node(1).status()).toMatchObject({ role: 'leader', term: 4 });
    // S2 acknowledged index 2: {S1, S2} is a majority, but index 2 is from term 2, so it stays uncommitted.
    expect(commitWhenOldEntryOnMajority).toBeGreaterThanOrEqual(0);
    expect(commitWhenOldEntryOnMajority).toBeLessThan(2);
    // Once the term-4 entry at index 3 is on the majority, 3 and (indirectly) 2 commit.
    expect(c.node(1).status().commit).toBe(3);
    expect(c.get(1).applied.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 2], [3, 4]]);
  });

  it('Figure 8 (d): an uncommitted entry of an old term can be overwritten by a later leader', () => {
    const config = makeConfig([1, 2, 3, 4, 5]);
    const c = new Cluster([1, 2, 3, 4, 5]);
    // S1 replicated (2, term 2) to S2 only; S5 led term 3 and wrote (2, term 3) locally.
    c.add(1, storageWithLog([1, 2], config, 3));
    c.add(2, storageWithLog([1, 2], config, 3));
    c.add(3, storageWithLog([1], config, 3));
    c.add(4, storageWithLog([1], config, 3));
    c.add(5, storageWithLog([1, 3], config, 3));
    c.isolate(1);
    c.elect(5); // S3, S4 and S2 vote: S5's last term 3 beats term 2
    expect(c.node(5).status().role).toBe('leader');
    c.heal();
    c.tick(3);
    for (const id of [1, 2, 3, 4, 5]) expect(logTerms(c.get(id))).toEqual([1, 3, 4]);
  });
});

describe('Raft §5.4 safety', () => {
  it('§5.4.1: a node missing a committed entry cannot be elected', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.filter = (m) => m.to !== 3 && m.from !== 3;
    c.node(1).propose(text('committed'));
    c.settle();
    expect(c.node(1).status().commit).toBe(2);
    c.filter = (m) => m.from !== 1 && m.to !== 1; // the leader vanishes; 3 (stale) campaigns against 2
    c.node(3).campaign();
    c.settle();
    expect(c.node(3).status().role).not.toBe('leader');
    c.tick(40, [2, 3]);
    expect(c.node(2).status().role).toBe('leader');
  });

  it('Ready contract: a follower acknowledges an append only in the Ready that carries those entries', () => {
    const c = new Cluster([1, 2]);
    c.elect(1);
    c.node(1).propose(text('x'));
    const rd = c.node(1).ready();
    const append = rd.messages.find((m) => m.type === 'append' && m.entries.length > 0)!;
    c.node(1).advance(rd);
    c.node(2).step(append);
    const followerRd = c.node(2).ready();
    const ack = followerRd.messages.find((m) => m.type === 'appendResp')!;
    expect(ack).toMatchObject({ reject: false });
    const persistedThrough = followerRd.entries.at(-1)!.index;
    expect(ack.type === 'appendResp' && ack.index).toBe(persistedThrough);
  });

  it('ready() twice without advance() is a programmer error', () => {
    const c = new Cluster([1]);
    c.node(1).campaign();
    c.node(1).ready();
    expect(() => c.node(1).ready()).toThrow(/advance/);
  });
});

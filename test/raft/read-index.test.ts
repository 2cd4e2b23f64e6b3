// ReadIndex linearizable reads (Raft §6.4 / dissertation §6.4).
import { describe, expect, it } from 'vitest';
import { Cluster, deliveredOf, text } from './harness.ts';

describe('Raft §6.4 ReadIndex', () => {
  it('§6.4: the leader answers with its commit index after a quorum acknowledges a heartbeat round', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.node(1).propose(text('x'));
    c.settle();
    const commit = c.node(1).status().commit;
    expect(c.node(1).readIndex('r1')).toBe(true);
    c.settle();
    expect(c.get(1).readStates).toEqual([{ index: commit, ctx: 'r1' }]);
    expect(deliveredOf(c, 'heartbeat', 1).some((m) => m.ctx !== '')).toBe(true);
  });

  it('§6.4: without heartbeat acknowledgements from a quorum the read is not answered', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.filter = (m) => m.type !== 'heartbeatResp';
    c.node(1).readIndex('r1');
    c.settle();
    expect(c.get(1).readStates).toEqual([]);
    c.heal();
    c.tick(2); // the periodic heartbeat carries the pending round
    expect(c.get(1).readStates.map((r) => r.ctx)).toEqual(['r1']);
  });

  it('§6.4: a deposed leader cut off from the majority cannot serve a read', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.isolate(1);
    c.tick(40, [2, 3]);
    const newLeader = [2, 3].find((id) => c.node(id).status().role === 'leader')!;
    c.node(newLeader).propose(text('newer'));
    c.settle();
    // Node 1 still believes it leads (it has not ticked). The partition heals: its heartbeat round reaches
    // nodes that moved to a newer term, so the round is never confirmed and node 1 learns it was deposed.
    expect(c.node(1).status().role).toBe('leader');
    c.heal();
    c.node(1).readIndex('stale');
    c.settle();
    expect(c.get(1).readStates).toEqual([]);
    expect(c.node(1).status().role).toBe('follower');
  });

  it('§6.4 step 1: a new leader answers reads only after an entry of its term commits', () => {
    const c = new Cluster([1, 2, 3]);
    c.filter = (m) => m.type !== 'appendResp';
    c.elect(1);
    expect(c.node(1).readIndex('early')).toBe(true);
    c.settle();
    expect(c.get(1).readStates).toEqual([]);
    c.heal();
    c.tick(2);
    const status = c.node(1).status();
    expect(c.get(1).readStates).toEqual([{ index: status.commit, ctx: 'early' }]);
    expect(status.commit).toBeGreaterThanOrEqual(1);
  });

  it('a follower forwards the read to the leader and receives the confirmed index', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.node(1).propose(text('x'));
    c.settle();
    expect(c.node(2).readIndex('f1')).toBe(true);
    c.settle();
    expect(c.get(2).readStates).toEqual([{ index: c.node(1).status().commit, ctx: 'f1' }]);
  });

  it('a single-voter cluster answers at once; a node that knows no leader drops the read', () => {
    const single = new Cluster([1]);
    single.elect(1);
    single.node(1).readIndex('solo');
    single.settle();
    expect(single.get(1).readStates).toEqual([{ index: single.node(1).status().commit, ctx: 'solo' }]);
    const leaderless = new Cluster([1, 2, 3]);
    expect(leaderless.node(2).readIndex('nobody')).toBe(false);
  });
});

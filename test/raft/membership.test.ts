// Membership change one server at a time (dissertation §4.1-4.2) and learners (non-voting members).
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../oltp/raft/storage.ts';
import type { ConfChange } from '../../oltp/raft/types.ts';
import { appliedData, Cluster, deliveredOf, text } from './harness.ts';

function committedChange(c: Cluster, leader: number, change: ConfChange): void {
  const result = c.node(leader).proposeConfChange(change);
  expect(result).toMatchObject({ ok: true });
  c.settle();
  c.tick(2);
}

describe('learners', () => {
  it('a learner receives and applies the log but never votes and never campaigns', () => {
    const c = new Cluster([1, 2, 3], {}, [4]);
    c.elect(1);
    c.node(1).propose(text('x'));
    c.settle();
    c.tick(2);
    expect(appliedData(c.get(4))).toEqual(['x']);
    expect(deliveredOf(c, 'preVote', undefined, 4)).toHaveLength(0);
    c.isolate(1);
    c.tick(60);
    expect(c.node(4).status().role).toBe('follower');
    expect(deliveredOf(c, 'preVote', 4)).toHaveLength(0);
  });

  it('a learner never counts toward the commit quorum', () => {
    const c = new Cluster([1, 2, 3], {}, [4, 5]);
    c.elect(1);
    const commit = c.node(1).status().commit;
    // Only the learners hear the leader: 3 of 5 nodes hold the entry, but just 1 of 3 voters.
    c.filter = (m) => !(m.to === 2 || m.to === 3 || m.from === 2 || m.from === 3);
    c.node(1).propose(text('needs voters'));
    c.settle();
    expect(c.node(4).status().lastIndex).toBe(c.node(1).status().lastIndex);
    expect(c.node(1).status().commit).toBe(commit);
    c.heal();
    c.tick(2);
    expect(c.node(1).status().commit).toBeGreaterThan(commit);
  });
});

describe('membership change, one server at a time (dissertation §4.1)', () => {
  it('adds a learner from an empty node, promotes it, and it then counts for quorum', () => {
    const c = new Cluster([1, 2, 3]);
    c.add(4, new MemoryStorage());
    c.elect(1);
    committedChange(c, 1, { type: 'addLearner', nodeId: 4 });
    expect(c.node(4).status().config).toEqual({ voters: [1, 2, 3], learners: [4] });
    committedChange(c, 1, { type: 'promoteLearner', nodeId: 4 });
    expect(c.node(1).status().config).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    // With 4 voters the quorum is 3: the leader plus node 2 alone can no longer commit.
    const commit = c.node(1).status().commit;
    c.filter = (m) => ![3, 4].includes(m.to) && ![3, 4].includes(m.from);
    c.node(1).propose(text('x'));
    c.settle();
    expect(c.node(1).status().commit).toBe(commit);
    c.filter = (m) => m.to !== 3 && m.from !== 3;
    c.tick(2);
    expect(c.node(1).status().commit).toBeGreaterThan(commit);
  });

  it('a configuration takes effect when appended, before it commits', () => {
    const c = new Cluster([1, 2, 3]);
    c.add(4, new MemoryStorage());
    c.elect(1);
    c.filter = (m) => !(m.type === 'appendResp'); // entries arrive, acknowledgements do not
    c.node(1).proposeConfChange({ type: 'addVoter', nodeId: 4 });
    c.settle();
    expect(c.node(2).status().config.voters).toEqual([1, 2, 3, 4]);
    expect(c.node(1).status().config.voters).toEqual([1, 2, 3, 4]);
  });

  it('refuses a second change while one is uncommitted, and any change before this term has a commit', () => {
    const c = new Cluster([1, 2, 3]);
    c.filter = (m) => m.type !== 'appendResp';
    c.elect(1);
    // The no-op of term 1 is not committed yet.
    expect(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 })).toMatchObject({ ok: false, reason: 'confChangePending' });
    c.heal();
    c.tick(2);
    c.filter = (m) => m.type !== 'appendResp';
    expect(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 }).ok).toBe(true);
    expect(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 })).toMatchObject({ ok: false, reason: 'confChangePending' });
    c.heal();
    c.tick(2);
    expect(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 }).ok).toBe(true);
  });

  it('rejects changes that are not one valid server move', () => {
    const c = new Cluster([1, 2, 3], {}, [4]);
    c.elect(1);
    c.tick(2);
    const leader = c.node(1);
    expect(leader.proposeConfChange({ type: 'addVoter', nodeId: 2 })).toMatchObject({ ok: false, reason: 'invalidConfChange' });
    expect(leader.proposeConfChange({ type: 'addVoter', nodeId: 4 })).toMatchObject({ ok: false, reason: 'invalidConfChange' });
    expect(leader.proposeConfChange({ type: 'promoteLearner', nodeId: 2 })).toMatchObject({ ok: false, reason: 'invalidConfChange' });
    expect(leader.proposeConfChange({ type: 'removeNode', nodeId: 9 })).toMatchObject({ ok: false, reason: 'invalidConfChange' });
    expect(c.node(2).proposeConfChange({ type: 'addLearner', nodeId: 5 })).toMatchObject({ ok: false, reason: 'notLeader' });
  });

  it('removing a voter shrinks the quorum: the rest commit without it', () => {
    const c = new Cluster([1, 2, 3, 4]);
    c.elect(1);
    c.tick(2);
    committedChange(c, 1, { type: 'removeNode', nodeId: 4 });
    c.filter = (m) => m.to !== 3 && m.from !== 3 && m.to !== 4 && m.from !== 4;
    const commit = c.node(1).status().commit;
    c.node(1).propose(text('two of three'));
    c.settle();
    expect(c.node(1).status().commit).toBeGreaterThan(commit); // 2 of the 3 remaining voters
  });

  it('a leader that removes itself steps down once the removal commits; the others elect a leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.tick(2);
    expect(c.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1 }).ok).toBe(true);
    c.settle();
    expect(c.node(1).status().role).toBe('follower');
    c.tick(50);
    const leaders = [2, 3].filter((id) => c.node(id).status().role === 'leader');
    expect(leaders).toHaveLength(1);
    expect(c.node(1).status().role).toBe('follower'); // removed: never campaigns
    const leader = c.node(leaders[0]!);
    expect(leader.status().config.voters).toEqual([2, 3]);
    expect(leader.propose(text('after')).ok).toBe(true);
    c.settle();
    c.tick(2);
    expect(appliedData(c.get(2))).toEqual(['after']);
  });
});

// Leader transfer with TimeoutNow (dissertation §3.10).
import { describe, expect, it } from 'vitest';
import { Cluster, deliveredOf, text } from './harness.ts';

describe('leader transfer (dissertation §3.10)', () => {
  it('§3.10: an up-to-date target gets TimeoutNow and wins the next term without waiting for a timeout', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.tick(2);
    const term = c.node(1).status().term;
    expect(c.node(1).transferLeader(2)).toBe(true);
    c.settle();
    expect(deliveredOf(c, 'timeoutNow', 1, 2)).toHaveLength(1);
    expect(c.node(2).status()).toMatchObject({ role: 'leader', term: term + 1 });
    expect(c.node(1).status()).toMatchObject({ role: 'follower', leaderId: 2 });
  });

  it('§3.10: a lagging target is caught up first, and proposals are refused meanwhile', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.isolate(3);
    for (const x of ['a', 'b', 'c']) c.node(1).propose(text(x));
    c.settle();
    c.heal();
    c.node(1).transferLeader(3);
    expect(c.node(1).propose(text('during'))).toMatchObject({ ok: false, reason: 'transferring' });
    c.settle();
    expect(c.node(3).status().role).toBe('leader');
    expect(c.node(3).status().lastIndex).toBeGreaterThanOrEqual(c.node(1).status().lastIndex);
  });

  it('a transfer to an unreachable target is abandoned after an election timeout', () => {
    const c = new Cluster([1, 2, 3], { electionTicks: 10 });
    c.elect(1);
    c.filter = (m) => m.to !== 3 && m.from !== 3;
    c.node(1).transferLeader(3);
    c.settle();
    expect(c.node(1).propose(text('x')).ok).toBe(false);
    c.tick(11);
    expect(c.node(1).status().role).toBe('leader');
    expect(c.node(1).propose(text('x')).ok).toBe(true);
  });

  it('only a leader transfers, and only to another voter', () => {
    const c = new Cluster([1, 2, 3], {}, [4]);
    c.elect(1);
    expect(c.node(2).transferLeader(3)).toBe(false);
    expect(c.node(1).transferLeader(1)).toBe(false);
    expect(c.node(1).transferLeader(4)).toBe(false);
  });
});

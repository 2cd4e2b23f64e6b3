// Quick end-to-end checks of the harness: election, replication and commit in a 3-node cluster.
import { describe, expect, it } from 'vitest';
import { appliedData, Cluster, text } from './harness.ts';

describe('smoke', () => {
  it('elects a leader by ticking and commits a proposal on all nodes', () => {
    const c = new Cluster([1, 2, 3]);
    c.tick(40);
    const leaders = [1, 2, 3].filter((id) => c.node(id).status().role === 'leader');
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    expect(c.node(leader).propose(text('x')).ok).toBe(true);
    c.settle();
    c.tick(2);
    for (const id of [1, 2, 3]) expect(appliedData(c.get(id))).toEqual(['x']);
  });
});

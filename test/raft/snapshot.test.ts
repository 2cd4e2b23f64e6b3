// Snapshots, log compaction and InstallSnapshot (Raft §7).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../oltp/raft/config.ts';
import { MemoryStorage } from '../../oltp/raft/storage.ts';
import { appliedData, Cluster, deliveredOf, text, untext } from './harness.ts';

function proposeMany(c: Cluster, leader: number, values: string[]): void {
  for (const v of values) expect(c.node(leader).propose(text(v)).ok).toBe(true);
  c.settle();
  c.tick(1);
}

describe('Raft §7 log compaction and InstallSnapshot', () => {
  it('§7: a follower behind the compacted log receives the snapshot, restores it, then gets the entries after it', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    c.isolate(3);
    proposeMany(c, 1, ['a', 'b', 'c']);
    const snapIndex = c.compact(1);
    expect(c.get(1).storage.firstIndex()).toBe(snapIndex + 1);
    proposeMany(c, 1, ['d']);
    c.heal();
    c.tick(3);
    const sent = deliveredOf(c, 'snapshot', 1, 3);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.snapshot.meta).toMatchObject({ index: snapIndex, config: makeConfig([1, 2, 3]) });
    const restored = c.get(3).restored;
    expect(restored).toHaveLength(1);
    expect(JSON.parse(untext(restored[0]!.data))).toEqual(['a', 'b', 'c']);
    // After the snapshot, node 3 applied only what came after it.
    expect(appliedData(c.get(3))).toEqual(['d']);
    expect(c.node(3).status()).toMatchObject({ commit: c.node(1).status().commit, applied: c.node(1).status().applied });
  });

  it('§7: a follower that already holds the snapshot\'s last entry keeps its log and only learns the commit', () => {
    const c = new Cluster([1, 2]);
    c.elect(1);
    proposeMany(c, 1, ['a']);
    const snapshot = { meta: c.node(1).snapshotMeta(c.node(1).status().applied), data: text('[]') };
    const lastBefore = c.node(2).status().lastIndex;
    c.node(2).step({ type: 'snapshot', from: 1, to: 2, term: c.node(1).status().term, snapshot });
    const rd = c.node(2).ready();
    expect(rd.snapshot).toBeUndefined();
    expect(c.node(2).status().lastIndex).toBe(lastBefore);
    c.node(2).advance(rd);
  });

  it('a snapshot carries the configuration, so a new node learns its cluster from it', () => {
    const c = new Cluster([1, 2, 3]);
    c.add(4, new MemoryStorage());
    c.elect(1);
    c.tick(2);
    c.isolate(4);
    expect(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 }).ok).toBe(true);
    c.settle();
    proposeMany(c, 1, ['x']);
    c.compact(1);
    c.heal();
    c.tick(3);
    expect(c.get(4).restored).toHaveLength(1);
    expect(c.node(4).status().config).toEqual(makeConfig([1, 2, 3], [4]));
  });

  it('a node restarted after compaction resumes from its snapshot and replays only later entries', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    proposeMany(c, 1, ['a', 'b']);
    const snapIndex = c.compact(2);
    proposeMany(c, 1, ['c']);
    const restarted = c.restart(2);
    expect(restarted.node.status()).toMatchObject({ applied: snapIndex });
    c.tick(2);
    expect(appliedData(restarted)).toEqual(['c']);
  });

  it('a snapshot that is lost is sent again (reportSnapshot failure or an election timeout later)', () => {
    const c = new Cluster([1, 2, 3], { electionTicks: 10 });
    c.elect(1);
    c.isolate(3);
    proposeMany(c, 1, ['a']);
    c.compact(1);
    c.filter = (m) => m.type !== 'snapshot';
    c.tick(2);
    c.node(1).reportSnapshot(3, false);
    c.heal();
    c.tick(12);
    expect(c.get(3).restored).toHaveLength(1);
    expect(c.node(3).status().commit).toBe(c.node(1).status().commit);
  });
});

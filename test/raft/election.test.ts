// Leader election (Raft §5.2, §5.4.1), pre-vote (dissertation §9.6) and check-quorum (§6.2).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../oltp/raft/config.ts';
import { RaftNode } from '../../oltp/raft/node.ts';
import { SeededRandom } from '../../oltp/raft/rand.ts';
import { Cluster, deliveredOf, storageWithLog } from './harness.ts';
import type { Message } from '../../oltp/raft/types.ts';

const leadersOf = (c: Cluster, ids: number[]) => ids.filter((id) => c.node(id).status().role === 'leader');

function voteRequest(to: number, from: number, term: number, lastLogIndex: number, lastLogTerm: number): Message {
  return { type: 'vote', from, to, term, lastLogIndex, lastLogTerm, transfer: false };
}

describe('Raft §5.2 leader election', () => {
  it('§5.2: followers that hear no leader campaign and exactly one wins', () => {
    for (const size of [1, 3, 5]) {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const c = new Cluster(ids);
      c.tick(30);
      expect(leadersOf(c, ids)).toHaveLength(1);
      const leader = leadersOf(c, ids)[0]!;
      for (const id of ids) expect(c.node(id).status().leaderId).toBe(leader);
    }
  });

  it('§5.2: the randomized election timeout lies in [electionTicks, 2 * electionTicks) and varies', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const node = new RaftNode({ id: 1, storage: storageWithLog([], makeConfig([1, 2, 3])), random: new SeededRandom(seed), electionTicks: 10, preVote: false });
      let ticks = 0;
      while (node.status().role === 'follower' && ticks < 100) {
        node.tick();
        ticks += 1;
      }
      expect(node.status().role).toBe('candidate');
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('§5.2: a server votes for at most one candidate per term, and the vote is in the Ready with the answer', () => {
    const c = new Cluster([1, 2, 3]);
    const voter = c.node(1);
    voter.step(voteRequest(1, 2, 5, 0, 0));
    const rd = voter.ready();
    expect(rd.hardState).toMatchObject({ term: 5, vote: 2 });
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'voteResp', to: 2, reject: false, term: 5 })]);
    voter.advance(rd);
    voter.step(voteRequest(1, 3, 5, 0, 0));
    const rd2 = voter.ready();
    expect(rd2.messages).toEqual([expect.objectContaining({ type: 'voteResp', to: 3, reject: true })]);
    // A repeated request from the candidate we voted for is granted again (it may have lost the answer).
    voter.advance(rd2);
    voter.step(voteRequest(1, 2, 5, 0, 0));
    expect(voter.ready().messages).toEqual([expect.objectContaining({ type: 'voteResp', to: 2, reject: false })]);
  });

  it('§5.4.1 election restriction: a voter refuses a candidate whose log is less up to date', () => {
    const cases: [number, number, boolean][] = [
      // [candidate last index, last term, granted] against a voter log with terms [1, 1, 2]
      [5, 1, false],
      [2, 2, false],
      [3, 2, true],
      [1, 3, true],
    ];
    for (const [lastIndex, lastTerm, granted] of cases) {
      const node = new RaftNode({ id: 1, storage: storageWithLog([1, 1, 2], makeConfig([1, 2]), 2), random: new SeededRandom(1) });
      node.step(voteRequest(1, 2, 3, lastIndex, lastTerm));
      const reply = node.ready().messages[0];
      expect(reply).toMatchObject({ type: 'voteResp', reject: !granted });
    }
  });

  it('§5.2: a candidate that hears from a leader of its own term returns to follower', () => {
    const c = new Cluster([1, 2, 3], { preVote: false });
    c.filter = () => false; // nobody hears anybody
    c.node(2).campaign();
    c.settle();
    expect(c.node(2).status()).toMatchObject({ role: 'candidate', term: 1 });
    c.node(2).step({ type: 'heartbeat', from: 3, to: 2, term: 1, commit: 0, ctx: '' });
    expect(c.node(2).status()).toMatchObject({ role: 'follower', leaderId: 3, term: 1 });
  });

  it('§5.2: a node restarted from storage keeps its term and vote and does not vote twice', () => {
    const c = new Cluster([1, 2, 3]);
    c.node(1).step(voteRequest(1, 2, 4, 0, 0));
    c.settle();
    const restarted = c.restart(1).node;
    expect(restarted.status()).toMatchObject({ term: 4, vote: 2 });
    restarted.step(voteRequest(1, 3, 4, 0, 0));
    expect(restarted.ready().messages[0]).toMatchObject({ type: 'voteResp', reject: true });
  });
});

describe('pre-vote (dissertation §9.6)', () => {
  it('a partitioned node does not raise its term, and on rejoining does not disrupt the leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const term = c.node(1).status().term;
    c.isolate(3);
    c.tick(100);
    expect(c.node(3).status().term).toBe(term);
    expect(deliveredOf(c, 'preVote', 3).length).toBe(0); // all dropped by the partition
    c.heal();
    c.tick(50);
    expect(c.node(1).status()).toMatchObject({ role: 'leader', term });
    expect(c.node(3).status()).toMatchObject({ role: 'follower', leaderId: 1, term });
  });

  it('without pre-vote and check-quorum the same rejoin deposes the leader (what pre-vote prevents)', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.elect(1);
    const term = c.node(1).status().term;
    c.isolate(3);
    c.tick(100);
    expect(c.node(3).status().term).toBeGreaterThan(term);
    c.heal();
    // Node 3 ignores the leader's lower-term heartbeats and campaigns again at its higher term.
    c.tick(30);
    expect(c.node(1).status().term).toBeGreaterThan(term);
  });

  it('a pre-vote that is refused leaves term and vote unchanged', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const before = c.node(2).status();
    c.node(2).campaign(); // 1 and 3 are in their leader lease: the pre-vote goes nowhere
    c.settle();
    const after = c.node(2).status();
    expect(after.term).toBe(before.term);
    expect(after.vote).toBe(before.vote);
    expect(c.node(1).status().role).toBe('leader');
  });
});

describe('check-quorum (§6.2)', () => {
  it('a leader cut off from the majority steps down within an election timeout, and the majority elects another', () => {
    const c = new Cluster([1, 2, 3], { electionTicks: 10 });
    c.elect(1);
    c.isolate(1);
    c.tick(21);
    expect(c.node(1).status().role).toBe('follower');
    expect(leadersOf(c, [2, 3])).toHaveLength(1);
  });

  it('a leader that hears from a quorum keeps leading', () => {
    const c = new Cluster([1, 2, 3], { electionTicks: 10 });
    c.elect(1);
    c.filter = (m) => m.from !== 3 && m.to !== 3; // 3 is gone, but 1 and 2 are a quorum
    c.tick(50);
    expect(c.node(1).status().role).toBe('leader');
  });

  it('voters inside their leader lease ignore vote requests with a higher term', () => {
    const c = new Cluster([1, 2, 3]);
    c.elect(1);
    const term = c.node(2).status().term;
    c.node(2).step(voteRequest(2, 3, term + 5, 100, term + 4));
    expect(c.node(2).status().term).toBe(term);
    expect(c.node(2).hasReady()).toBe(false);
  });
});

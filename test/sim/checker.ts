// Safety invariants the simulator checks after every step (Raft Figure 3): election safety, log matching,
// leader completeness, state machine safety, plus ReadIndex linearizability.

import type { Entry, NodeId } from '../../oltp/raft/types.ts';
import type { RaftNode } from '../../oltp/raft/node.ts';

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

function violated(message: string): never {
  throw new InvariantViolation(message);
}

export class Checker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** (index:term) -> payload fingerprint and previous entry's term, for every entry any node persisted. */
  private readonly entries = new Map<string, { data: string; prevTerm: number | undefined }>();
  /** index -> term and chain hash of what the first node applied there. */
  private readonly applied = new Map<number, { term: number; hash: number }>();
  /** Highest index any node has applied (hence known committed). */
  committedMax = 0;

  /** Election safety (Raft §5.2): at most one leader per term. */
  checkLeader(id: NodeId, term: number): void {
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== id) violated(`election safety: nodes ${other} and ${id} both led term ${term}`);
    this.leaderOfTerm.set(term, id);
  }

  /**
   * Log matching (Raft §5.3), checked entry by entry: two entries with the same index and term carry the
   * same payload and follow an entry of the same term. By induction, logs that share an entry share the prefix.
   */
  checkPersisted(id: NodeId, entry: Entry, prevTerm: number | undefined): void {
    const key = `${entry.index}:${entry.term}`;
    const data = `${entry.type}/${fingerprint(entry.data)}`;
    const seen = this.entries.get(key);
    if (seen === undefined) {
      this.entries.set(key, { data, prevTerm });
      return;
    }
    if (seen.data !== data) violated(`log matching: node ${id} persisted a different entry at ${key}`);
    if (seen.prevTerm !== undefined && prevTerm !== undefined && seen.prevTerm !== prevTerm) {
      violated(`log matching: node ${id} has term ${prevTerm} before ${key}, another node ${seen.prevTerm}`);
    }
  }

  /** State machine safety (Raft §5.4.3): no two nodes apply different entries at one index. */
  checkApplied(id: NodeId, entry: Entry, hash: number): void {
    const seen = this.applied.get(entry.index);
    if (seen === undefined) {
      this.applied.set(entry.index, { term: entry.term, hash });
      if (entry.index > this.committedMax) this.committedMax = entry.index;
      return;
    }
    if (seen.term !== entry.term || seen.hash !== hash) {
      violated(`state machine safety: node ${id} applied term ${entry.term} at ${entry.index}, another node term ${seen.term} (or a different prefix)`);
    }
  }

  /** Leader completeness (Raft §5.4): a new leader's log holds every entry already committed. */
  checkNewLeader(id: NodeId, node: RaftNode): void {
    const log = node.raft.log;
    const from = log.firstIndex();
    for (let index = from; index <= this.committedMax; index++) {
      const seen = this.applied.get(index);
      if (seen === undefined) continue;
      const term = log.term(index);
      if (term !== seen.term) violated(`leader completeness: leader ${id} (term ${node.raft.term}) has term ${term} at committed index ${index}, committed term ${seen.term}`);
    }
  }

  /** ReadIndex (Raft §6.4): a read started after index i was committed must be served at an index >= i. */
  checkRead(id: NodeId, ctx: string, index: number, committedAtRequest: number): void {
    if (index < committedAtRequest) violated(`linearizable read: node ${id} read ${ctx} at index ${index}, but ${committedAtRequest} was committed before the read began`);
  }
}

function fingerprint(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const byte of data) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return `${data.length}:${h}`;
}

// Test harness: a few RaftNodes over MemoryStorage with a synchronous, filterable network (etcd's "network").

import { bootstrapSnapshot, MemoryStorage } from '../../oltp/raft/storage.ts';
import { RaftNode, type Ready } from '../../oltp/raft/node.ts';
import { makeConfig } from '../../oltp/raft/config.ts';
import { SeededRandom } from '../../oltp/raft/rand.ts';
import type { Config, Entry, Message, NodeId, ReadState, Snapshot } from '../../oltp/raft/types.ts';
import type { RaftOptions } from '../../oltp/raft/raft.ts';

export type Options = Partial<Omit<RaftOptions, 'id' | 'storage' | 'random'>>;

export interface Member {
  node: RaftNode;
  storage: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
  /** Snapshots the state machine restored from. */
  restored: Snapshot[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const text = (s: string): Uint8Array => encoder.encode(s);
export const untext = (b: Uint8Array): string => decoder.decode(b);

export class Cluster {
  readonly members = new Map<NodeId, Member>();
  /** Return false to drop a message (partitions, lost packets). */
  filter: (m: Message) => boolean = () => true;
  delivered: Message[] = [];
  /** Called right after a message is stepped into its target (to observe intermediate states). */
  afterDeliver: (m: Message) => void = () => {};
  private seed = 1;

  constructor(
    voters: NodeId[],
    private readonly options: Options = {},
    learners: NodeId[] = [],
  ) {
    for (const id of [...voters, ...learners]) this.add(id, storageWithLog([], makeConfig(voters, learners)));
  }

  /** Adds a node with the given storage (a fresh one joins with an empty configuration). */
  add(id: NodeId, storage = new MemoryStorage(), options: Options = {}): Member {
    const node = new RaftNode({ id, storage, random: new SeededRandom(this.seed++), ...this.options, ...options });
    const member: Member = { node, storage, applied: [], readStates: [], restored: [] };
    this.members.set(id, member);
    return member;
  }

  get(id: NodeId): Member {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no node ${id}`);
    return m;
  }

  node(id: NodeId): RaftNode {
    return this.get(id).node;
  }

  /** Restarts a node from its storage only (what it persisted), as after a crash. */
  restart(id: NodeId): Member {
    const old = this.get(id);
    const member = this.add(id, old.storage);
    return member;
  }

  /** Handles every pending Ready and delivers messages until nothing moves (bounded). */
  settle(roundsMax = 1000): void {
    for (let round = 0; round < roundsMax; round++) {
      const outbox: Message[] = [];
      for (const member of this.members.values()) {
        while (member.node.hasReady()) outbox.push(...this.handleReady(member, member.node.ready()));
      }
      if (outbox.length === 0) return;
      for (const m of outbox) this.deliver(m);
    }
    throw new Error('cluster did not settle');
  }

  deliver(m: Message): void {
    if (!this.filter(m)) return;
    const target = this.members.get(m.to);
    if (target === undefined) return;
    this.delivered.push(m);
    target.node.step(m);
    this.afterDeliver(m);
  }

  /** Ticks every node (or the given ones) n times, settling after each tick. */
  tick(n = 1, ids?: NodeId[]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids ?? this.members.keys()) this.node(id).tick();
      this.settle();
    }
  }

  /** Elects `id` by a forced campaign and settles. */
  elect(id: NodeId): void {
    this.node(id).campaign();
    this.settle();
  }

  /** Snapshots node `id`'s applied state (its applied payloads) and compacts its log through applied. */
  compact(id: NodeId): number {
    const member = this.get(id);
    const applied = member.node.status().applied;
    member.storage.createSnapshot({ meta: member.node.snapshotMeta(applied), data: text(JSON.stringify(appliedData(member))) });
    return applied;
  }

  isolate(id: NodeId): void {
    this.filter = (m) => m.from !== id && m.to !== id;
  }

  heal(): void {
    this.filter = () => true;
  }

  private handleReady(member: Member, rd: Ready): Message[] {
    const storage = member.storage;
    if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
    storage.append(rd.entries);
    if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
    if (rd.snapshot !== undefined) {
      member.restored.push(rd.snapshot);
      member.applied = member.applied.filter((e) => e.index <= rd.snapshot!.meta.index);
    }
    member.applied.push(...rd.committedEntries);
    member.readStates.push(...rd.readStates);
    member.node.advance(rd);
    return [...rd.messages];
  }
}

/** Payloads of applied normal entries (the leader's empty no-ops left out). */
export function appliedData(member: Member): string[] {
  return member.applied.filter((e) => e.type === 'normal' && e.data.length > 0).map((e) => untext(e.data));
}

/** Terms of every entry in a node's log, from its first index. */
export function logTerms(member: Member): number[] {
  const log = member.node.raft.log;
  return (log.entries(log.firstIndex(), log.lastIndex() + 1) ?? []).map((e) => e.term);
}

/** A node's storage holding entries with the given terms (indexes 1..n) and hard-state term. */
export function storageWithLog(terms: number[], config: Config, term = terms[terms.length - 1] ?? 0): MemoryStorage {
  const storage = new MemoryStorage(bootstrapSnapshot(config));
  storage.append(terms.map((t, i) => ({ term: t, index: i + 1, type: 'normal', data: text(`e${i + 1}t${t}`) })));
  storage.setHardState({ term, vote: 0, commit: 0 });
  return storage;
}

/** Messages of one type that were delivered, optionally from/to given nodes. */
export function deliveredOf<T extends Message['type']>(c: Cluster, type: T, from?: NodeId, to?: NodeId): Extract<Message, { type: T }>[] {
  return c.delivered.filter(
    (m): m is Extract<Message, { type: T }> => m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to),
  );
}

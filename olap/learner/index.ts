// Public entry of the columnar learner for query/ and the server: start one per row store, find it again
// (or the start still under way), read its status.
import type { RowStore } from '../../oltp/rowstore.ts';
import { LearnerReplica, type LearnerReplicaOptions, type ReplicaStatus } from './client.ts';

export { LearnerReplica } from './client.ts';
export type { LearnerReadOptions, LearnerReadResult, LearnerReplicaOptions, ReplicaStatus } from './client.ts';
export { learnerScanSource } from './scan-source.ts';
export type { ZonePredicate } from './zonemap.ts';

const replicas = new WeakMap<RowStore, LearnerReplica>();
const starting = new WeakMap<RowStore, Promise<LearnerReplica>>();

/** Starts the learner of `store` (default: worker thread, files in `<db dir>/learner`). */
export async function startLearner(store: RowStore, options: LearnerReplicaOptions = {}): Promise<LearnerReplica> {
  const existing = replicas.get(store);
  if (existing) return existing;
  const pending = starting.get(store);
  if (pending) return pending;
  const start = LearnerReplica.start(store, { dir: `${store.dir}/learner`, ...options });
  starting.set(store, start);
  try {
    const replica = await start;
    replicas.set(store, replica);
    return replica;
  } finally {
    starting.delete(store);
  }
}

/** The learner's start while it is under way (it loads its Parquet segments and catches up), else undefined. */
export function learnerStarting(store: RowStore): Promise<LearnerReplica> | undefined {
  return starting.get(store);
}

export function learnerOf(store: RowStore): LearnerReplica | undefined {
  return replicas.get(store);
}

/** `db.replicaStatus()`: the learner's status, or undefined when none runs for this store. */
export async function replicaStatus(store: RowStore): Promise<ReplicaStatus | undefined> {
  return replicas.get(store)?.status();
}

/** Stops the learner (persisting its state); call before closing the row store. */
export async function stopLearner(store: RowStore): Promise<void> {
  const r = replicas.get(store);
  replicas.delete(store);
  await r?.close();
}

/**
 * A columnar learner that is its own Raft member (`duet node --learner`), as a voter sees it: the member's
 * Raft progress, not its columnar status (which only the member itself knows; its own SHOW REPLICAS has it).
 */
export interface MemberReplica {
  /** `raft learner N at HOST:PORT` (its SQL address when known). */
  readonly replica: string;
  /** `replicate` / `probe` / `snapshot` (the leader's view of it), `unreachable`, or `member` on a follower. */
  readonly state: string;
  /** Raft indexes: the member's match index and the leader's commit index (undefined off the leader). */
  readonly appliedIndex: number | undefined;
  readonly leaderIndex: number | undefined;
}

const memberReporters = new WeakMap<RowStore, () => readonly MemberReplica[]>();

/** The cluster node registers how to list its learner members (SHOW REPLICAS on the voters). */
export function reportMemberReplicas(store: RowStore, list: () => readonly MemberReplica[]): void {
  memberReporters.set(store, list);
}

/** Learner members of this store's Raft group, as this node knows them; none outside a cluster. */
export function memberReplicas(store: RowStore): readonly MemberReplica[] {
  return memberReporters.get(store)?.() ?? [];
}

// SHOW REPLICAS: the columnar learner's status as rows (one per table it holds), so lag, memory and disk
// use are visible from any SQL client. The row store itself is the system of record and is not listed.
import type { RowStore } from '../../oltp/rowstore.ts';
import { Types, type SqlType, type Value } from '../../oltp/types.ts';
import { learnerOf, memberReplicas, type LearnerReplica, type MemberReplica, type ReplicaStatus } from '../../olap/learner/index.ts';
import type { QueryResult } from '../database.ts';

const COLUMNS: readonly { name: string; type: SqlType }[] = [
  { name: 'replica', type: Types.text },
  { name: 'table_name', type: Types.text },
  { name: 'state', type: Types.text },
  { name: 'applied_index', type: Types.bigint },
  { name: 'leader_index', type: Types.bigint },
  { name: 'lag_entries', type: Types.bigint },
  { name: 'lag_ms', type: Types.double },
  { name: 'delta_rows', type: Types.bigint },
  { name: 'stable_rows', type: Types.bigint },
  { name: 'stable_blocks', type: Types.bigint },
  { name: 'stable_segments', type: Types.bigint },
  { name: 'memory_bytes', type: Types.bigint },
  { name: 'disk_bytes', type: Types.bigint },
  { name: 'rebuilds', type: Types.bigint },
  { name: 'last_damage', type: Types.text },
];

/**
 * One row per table on the learner; a learner holding no table yet, or one that cannot answer (failed),
 * still shows one row with table_name NULL so its state is visible. No learner: no rows. On a cluster member,
 * one more row per Raft learner member of the group (`duet node --learner`) with its Raft progress.
 */
export async function showReplicas(store: RowStore): Promise<QueryResult> {
  const replica = learnerOf(store);
  const rows = replica ? await replicaRows(replica) : [];
  for (const m of memberReplicas(store)) rows.push(memberRow(m));
  return { columns: COLUMNS.map((c) => ({ ...c })), rows, command: 'SHOW', rowCount: rows.length };
}

async function replicaRows(replica: LearnerReplica): Promise<Value[][]> {
  let status: ReplicaStatus;
  try {
    status = await replica.status();
  } catch (e) {
    const reason = replica.failure?.message ?? (e as Error).message;
    return [[replica.placement, null, replica.state, null, null, null, null, null, null, null, null, null, null, replica.rebuilds, reason]];
  }
  const damage = status.lastDamage ? `${status.lastDamage.file}: ${status.lastDamage.reason}` : null;
  const common = (table: string | null): Value[] => [replica.placement, table, replica.state, status.appliedIndex, status.leaderIndex, status.lagEntries, round3(status.lagMs)];
  const tail: Value[] = [status.rebuilds, damage];
  if (status.tables.length === 0) return [[...common(null), 0, 0, 0, 0, 0, status.diskBytes, ...tail]];
  return [...status.tables]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => [...common(t.name), t.deltaRows, t.stableRows, t.stableBlocks, t.stableSegments, t.memoryBytes, t.diskBytes, ...tail]);
}

/** A learner member of the Raft group (`duet node --learner`): its Raft progress as the leader sees it. */
function memberRow(m: MemberReplica): Value[] {
  const lag = m.appliedIndex !== undefined && m.leaderIndex !== undefined ? Math.max(0, m.leaderIndex - m.appliedIndex) : null;
  return [m.replica, null, m.state, m.appliedIndex ?? null, m.leaderIndex ?? null, lag, null, null, null, null, null, null, null, null, null];
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

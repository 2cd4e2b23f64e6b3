// The replica path: entries committed by one store, applied by another with applyCommitted (as a Raft
// follower or learner would), give the same rows, indexes and catalog, durably and idempotently.
import { afterAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../oltp/commitlog.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { Types, type Row } from '../../oltp/types.ts';
import { col, openStore, removeTempDirs, scanAll, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

async function contents(store: RowStore): Promise<{ tables: string[]; rows: Row[]; viaIndex: Row[] }> {
  const txn = store.begin();
  const t = txn.getTable('items')!;
  const viaIndex: Row[] = [];
  for await (const b of txn.indexScan(t, t.indexes[0]!)) viaIndex.push(...b);
  const out = { tables: txn.listTables().map((x) => x.name), rows: await scanAll(txn, 'items'), viaIndex };
  txn.rollback();
  return out;
}

describe('replica apply', () => {
  it('applying the leader log reproduces its state, survives reopen, and ignores replayed entries', async () => {
    const leader = await openStore();
    const shipped: LogEntry[] = [];
    leader.subscribe((entries) => shipped.push(...entries));
    const setup = leader.begin();
    await setup.createTable({ name: 'items', columns: [col('id', Types.integer, true), col('tag', Types.text), col('n')], primaryKey: [0] });
    await setup.createIndex('items', { name: 'items_tag', columns: [1], unique: false });
    await setup.commit();
    for (let round = 0; round < 4; round++) {
      const txn = leader.begin();
      const t = txn.getTable('items')!;
      for (let i = 0; i < 10; i++) {
        const id = round * 5 + i;
        if (txn.get(t, [id])) await txn.update(t, [id], [id, `r${round}`, round]);
        else await txn.insert(t, [id, `r${round}`, 0]);
      }
      if (round > 0) await txn.delete(t, [round]);
      await txn.commit();
    }
    const dir = tempDir();
    let replica = await openStore(dir);
    await replica.applyCommitted(shipped.slice(0, 3));
    await replica.applyCommitted(shipped); // the first three again: skipped
    expect(await contents(replica)).toEqual(await contents(leader));
    expect(replica.stats.appliedTs).toBe(leader.stats.appliedTs);
    await replica.close();
    replica = await openStore(dir);
    expect(await contents(replica)).toEqual(await contents(leader));
    // a transaction on the replica reads at the applied timestamp and can write after it
    const local = replica.begin();
    expect(local.readTs).toBe(leader.stats.appliedTs);
    await replica.close();
    await leader.close();
  });

  it('rejects a gap in the log', async () => {
    const leader = await openStore();
    for (let i = 0; i < 3; i++) {
      const txn = leader.begin();
      await txn.createTable({ name: `t${i}`, columns: [col('id', Types.integer, true)], primaryKey: [0] });
      await txn.commit();
    }
    const log = await leader.readLog(1);
    const replica = await openStore();
    await expect(replica.applyCommitted([log[0]!, log[2]!])).rejects.toThrow(/without gaps/);
    await replica.applyCommitted(log); // nothing was half-applied by the rejected call
    const txn = replica.begin();
    expect(txn.listTables().map((t) => t.name)).toEqual(['t0', 't1', 't2']);
    txn.rollback();
    await replica.close();
    await leader.close();
  });
});

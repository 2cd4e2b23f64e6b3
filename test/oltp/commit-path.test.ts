// The commit path's shortcuts keep the stored history exact: the version a transaction read under its row lock
// stands in for a second read at commit time only while nothing lock-free (a GC pass) wrote latest keys meanwhile.
import { afterEach, describe, expect, it } from 'vitest';
import { idPrefix, KS_VERSION, prefixEnd } from '../../oltp/keys.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { createKv, openStore, rejectsWith, removeTempDirs, scanAll } from './helpers.ts';

afterEach(removeTempDirs);

async function versionKeys(store: RowStore, tableId: number): Promise<number> {
  const prefix = idPrefix(KS_VERSION, tableId);
  return (await store.db.keys({ gte: prefix, lt: prefixEnd(prefix) }).all()).length;
}

describe('commit path', () => {
  it('an insert over a tombstone that GC removed before the commit links to no version', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 10]]);
    const look = store.begin();
    const def = look.getTable('t')!;
    look.rollback(); // an open transaction would hold back GC
    const del = store.begin();
    await del.delete(def, [1]);
    await del.commit();
    const ins = store.begin();
    await ins.insert(def, [1, 20]); // reads the tombstone under the row lock
    while (!(await store.gc.runPass()).wrapped); // no snapshot needs the tombstone or the old version: both go
    expect(await versionKeys(store, def.id)).toBe(0);
    await ins.commit();
    // The commit re-read the latest key (now absent): nothing moved to the version keyspace.
    expect(await versionKeys(store, def.id)).toBe(0);
    const after = store.begin();
    expect(await scanAll(after, 't')).toEqual([[1, 20]]);
    after.rollback();
    await store.close();
    const reopened = await openStore(store.dir);
    expect(await scanAll(reopened.begin(), 't')).toEqual([[1, 20]]);
    await reopened.close();
  });

  it('updates and deletes keep the version chain an older snapshot reads', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 10], [2, 20], [3, 30]]);
    const look = store.begin();
    const def = look.getTable('t')!;
    look.rollback();
    const old = store.begin({ isolation: 'snapshot' });
    expect(await scanAll(old, 't')).toEqual([[1, 10], [2, 20], [3, 30]]);
    for (let round = 1; round <= 3; round++) {
      const w = store.begin();
      await w.update(def, [1], [1, 10 + round]);
      await w.update(def, [2], [5, 20 + round]); // moves the row to primary key 5
      await w.update(def, [5], [2, 20 + round]); // and back, in the same transaction
      if (round === 2) await w.delete(def, [3]);
      if (round === 3) await w.insert(def, [3, 33]);
      await store.gc.runPass();
      await w.commit();
    }
    expect(await scanAll(old, 't')).toEqual([[1, 10], [2, 20], [3, 30]]);
    expect(await scanAll(store.begin(), 't')).toEqual([[1, 13], [2, 23], [3, 33]]);
    old.rollback();
    await store.close();
  });
});

describe('commit pipeline', () => {
  for (const commitPipelining of ['always', 'never'] as const) {
    it(`${commitPipelining === 'always' ? 'writing one group while building the next' : 'one group at a time'}: acknowledged commits are durable, in log order, and GC still gets its turn`, async () => {
      const store = await openStore(undefined, { commitPipelining });
      await createKv(store, 't');
      const look = store.begin();
      const def = look.getTable('t')!;
      look.rollback();
      const applied: number[] = [];
      store.onCommit((index) => applied.push(index));
      const acked: { id: number; commitTs: number }[] = [];
      let gcPasses = 0;
      let stop = false;
      const gcLoop = (async () => {
        // GC passes queue for the write turn while commits keep coming: the pipeline must hand it over.
        while (!stop) {
          await store.gc.runPass();
          gcPasses++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      let nextId = 0;
      await Promise.all(
        Array.from({ length: 24 }, async () => {
          for (let i = 0; i < 15; i++) {
            const id = nextId++;
            const txn = store.begin();
            await txn.insert(def, [id, id * 2]);
            if (id % 7 === 0) await txn.update(def, [id], [id, -id]);
            const { commitTs } = await txn.commit();
            acked.push({ id, commitTs });
          }
        }),
      );
      stop = true;
      await gcLoop;
      expect(gcPasses).toBeGreaterThan(0);
      const { groupsWritten, groupsOverlapped } = store.stats;
      expect(groupsWritten).toBeLessThan(acked.length); // group commit: fewer groups than commits
      if (commitPipelining === 'always') expect(groupsOverlapped).toBeGreaterThan(groupsWritten / 4);
      else expect(groupsOverlapped).toBe(0);
      // Commit timestamps are unique; the commit-log index and the applied index only move forward.
      expect(new Set(acked.map((a) => a.commitTs)).size).toBe(acked.length);
      expect(applied).toEqual([...applied].sort((a, b) => a - b));
      const log = await store.readLog(1, 10_000);
      expect(log.map((e) => e.index)).toEqual(log.map((_, i) => i + 1));
      expect(log.map((e) => e.commitTs)).toEqual([...log.map((e) => e.commitTs)].sort((a, b) => a - b));
      const byTs = new Map(log.map((e) => [e.commitTs, e]));
      for (const a of acked) expect(byTs.get(a.commitTs)?.writes.some((w) => w.kind === 'row')).toBe(true);
      await store.close();
      const reopened = await openStore(store.dir);
      const rows = await scanAll(reopened.begin(), 't');
      expect(rows).toEqual(acked.map((a) => a.id).sort((x, y) => x - y).map((id) => [id, id % 7 === 0 ? -id : id * 2]));
      await reopened.close();
    });
  }
});

describe('how a commit settles', () => {
  it('a commit refused at validation aborts its transaction and frees its row locks before the error arrives', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 10]]);
    const look = store.begin();
    const def = look.getTable('t')!;
    look.rollback();
    const reader = store.begin({ isolation: 'serializable' });
    expect(await reader.get(def, [1])).toEqual([1, 10]);
    await reader.insert(def, [2, 20]);
    const writer = store.begin();
    await writer.update(def, [1], [1, 11]);
    await writer.commit();
    // The serializable transaction read row 1, which changed after its snapshot: 40001 at commit.
    await rejectsWith(reader.commit(), '40001');
    await rejectsWith(reader.commit(), '25P02'); // aborted, not committing any more
    // Its lock on row 2 is gone: another transaction inserts the row without waiting.
    const next = store.begin();
    expect(await Promise.race([next.insert(def, [2, 22]).then(() => 'inserted'), new Promise((r) => setTimeout(() => r('waited'), 200))])).toBe('inserted');
    await next.commit();
    expect(await scanAll(store.begin(), 't')).toEqual([[1, 11], [2, 22]]);
    await store.close();
  });

  it('a commit the store cannot take (closed) rejects and aborts the transaction', async () => {
    const store = await openStore();
    await createKv(store, 't');
    const txn = store.begin();
    const def = txn.getTable('t')!;
    await txn.insert(def, [1, 1]);
    await store.close();
    await rejectsWith(txn.commit(), '55006');
    await rejectsWith(txn.commit(), '25P02');
    const reopened = await openStore(store.dir);
    expect(await scanAll(reopened.begin(), 't')).toEqual([]);
    await reopened.close();
  });
});

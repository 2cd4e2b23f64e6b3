// The commit log as CDC sees it: one entry per committed transaction, in commit order, decodable,
// with a clear error instead of a gap once entries were compacted.
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLogEntry, encodeLogEntry, type LogEntry } from '../../oltp/commitlog.ts';
import { decodeKey } from '../../oltp/keycodec.ts';
import { Types } from '../../oltp/types.ts';
import { createKv, openStore, rejectsWith, removeTempDirs, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('commit log', () => {
  it('round-trips entries and rejects damaged bytes', () => {
    const e: LogEntry = {
      index: 7,
      commitTs: 9,
      txnId: 3,
      writes: [
        { kind: 'row', op: 'update', tableId: 2, key: Buffer.from([1, 2]), row: [1, 'x', null, 5n, true, 1.5] },
        { kind: 'row', op: 'delete', tableId: 2, key: Buffer.from([3]), row: null },
        { kind: 'index', indexId: 4, key: Buffer.from([9]) },
        { kind: 'catalog', name: 't/x', value: '{}' },
      ],
    };
    const bytes = encodeLogEntry(e);
    expect(decodeLogEntry(bytes)).toEqual(e);
    const damaged = Buffer.from(bytes);
    damaged[10] = damaged[10]! ^ 1;
    expect(() => decodeLogEntry(damaged)).toThrow(/checksum/);
    expect(() => decodeLogEntry(bytes.subarray(0, bytes.length - 3))).toThrow();
  });

  it('has one entry per committed transaction, in order, with row ops; subscribers see each group', async () => {
    const store = await openStore(tempDir());
    const seen: number[] = [];
    const unsubscribe = store.subscribe((entries) => seen.push(...entries.map((e) => e.index)));
    await createKv(store, 't', [[1, 1]]);
    const txn = store.begin();
    const t = txn.getTable('t')!;
    await txn.update(t, [1], [1, 2]);
    await txn.insert(t, [2, 2]);
    await txn.commit();
    const aborted = store.begin();
    await aborted.insert(t, [3, 3]);
    aborted.rollback();
    const del = store.begin();
    await del.delete(t, [2]);
    await del.commit();
    unsubscribe();
    const log = await store.readLog(1);
    expect(log.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(log.map((e) => e.commitTs)).toEqual([...log.map((e) => e.commitTs)].sort((a, b) => a - b));
    const rows = log.flatMap((e) => e.writes.flatMap((w) => (w.kind === 'row' ? [[w.op, decodeKey(w.key, [Types.integer])[0], w.row]] : [])));
    expect(rows).toEqual([
      ['insert', 1, [1, 1]],
      ['update', 1, [1, 2]],
      ['insert', 2, [2, 2]],
      ['delete', 2, null],
    ]);
    expect(log[0]!.writes.some((w) => w.kind === 'catalog' && w.name === 't/t')).toBe(true);
    expect(await store.readLog(2, 1)).toHaveLength(1);
    expect(await store.readLog(4)).toEqual([]);
    await store.close();
  });

  it('a compacted resume point is an explicit error', async () => {
    const store = await openStore(tempDir(), { logRetainEntries: 2 });
    for (let i = 0; i < 6; i++) await createKv(store, `t${i}`);
    await store.gc.runPass();
    expect(await store.firstLogIndex()).toBe(4);
    await rejectsWith(store.readLog(1), '55000');
    expect((await store.readLog(4)).map((e) => e.index)).toEqual([4, 5, 6]);
    await store.close();
  });
});

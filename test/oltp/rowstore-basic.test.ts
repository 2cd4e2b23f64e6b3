// Row store basics through the Txn API: catalog, insert/get/scan/update/delete, commit/rollback, durability.
import { afterAll, describe, expect, it } from 'vitest';
import { Types } from '../../oltp/types.ts';
import { col, createKv, kvTable, openStore, rejectsWith, removeTempDirs, scanAll, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('row store basics', () => {
  it('inserts, reads, updates and deletes rows and keeps them across reopen', async () => {
    const dir = tempDir();
    let store = await openStore(dir);
    await createKv(store, 't', [[1, 10], [2, 20], [3, 30]]);
    let txn = store.begin();
    const t = txn.getTable('t')!;
    expect(txn.get(t, [2])).toEqual([2, 20]);
    await txn.update(t, [2], [2, 21]);
    await txn.delete(t, [3]);
    await txn.insert(t, [4, 40]);
    expect(await scanAll(txn, 't')).toEqual([[1, 10], [2, 21], [4, 40]]);
    const { commitTs } = await txn.commit();
    expect(commitTs).toBeGreaterThan(0);
    await store.close();

    store = await openStore(dir);
    txn = store.begin();
    expect(await scanAll(txn, 't')).toEqual([[1, 10], [2, 21], [4, 40]]);
    expect(txn.get(txn.getTable('t')!, [3])).toBeUndefined();
    txn.rollback();
    await store.close();
  });

  it('rollback discards writes and DDL', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 1]]);
    const txn = store.begin();
    const t = txn.getTable('t')!;
    await txn.insert(t, [2, 2]);
    await txn.createTable(kvTable('u'));
    expect(txn.getTable('u')).toBeDefined();
    txn.rollback();
    const check = store.begin();
    expect(await scanAll(check, 't')).toEqual([[1, 1]]);
    expect(check.getTable('u')).toBeUndefined();
    check.rollback();
    await store.close();
  });

  it('a snapshot does not see later commits; read committed sees them per statement', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 1]]);
    const snap = store.begin({ isolation: 'snapshot' });
    const rc = store.begin({ isolation: 'read committed' });
    const t = snap.getTable('t')!;
    const w = store.begin();
    await w.update(t, [1], [1, 2]);
    await w.insert(t, [2, 2]);
    await w.commit();
    expect(snap.get(t, [1])).toEqual([1, 1]);
    expect(await scanAll(snap, 't')).toEqual([[1, 1]]);
    expect(rc.get(t, [1])).toEqual([1, 1]);
    rc.beginStatement();
    expect(rc.get(t, [1])).toEqual([1, 2]);
    expect(await scanAll(rc, 't')).toEqual([[1, 2], [2, 2]]);
    snap.rollback();
    rc.rollback();
    await store.close();
  });

  it('scans key ranges with prefixes, exclusive bounds, reverse order and small batches', async () => {
    const store = await openStore();
    const txn = store.begin();
    const def = await txn.createTable({ name: 'p', columns: [col('a', Types.integer, true), col('b', Types.text, true), col('c')], primaryKey: [0, 1] });
    const rows = [];
    for (let a = 0; a < 5; a++) for (const b of ['x', 'y', 'z']) rows.push([a, b, a * 10]);
    for (const r of [...rows].reverse()) await txn.insert(def, r);
    await txn.commit();
    const r = store.begin();
    expect(await scanAll(r, 'p', { lower: [1], upper: [2] })).toEqual(rows.filter((x) => x[0] === 1 || x[0] === 2));
    expect(await scanAll(r, 'p', { lower: [1], lowerInclusive: false, upper: [3], upperInclusive: false })).toEqual(rows.filter((x) => x[0] === 2));
    expect(await scanAll(r, 'p', { lower: [1, 'y'], upper: [1, 'z'] })).toEqual([[1, 'y', 10], [1, 'z', 10]]);
    expect(await scanAll(r, 'p', { reverse: true, batchRows: 4 })).toEqual([...rows].reverse());
    const batches = [];
    for await (const b of r.scan(def, { batchRows: 4 })) batches.push(b.length);
    expect(batches).toEqual([4, 4, 4, 3]);
    r.rollback();
    await store.close();
  });

  it('hidden row ids: rows keep only user columns, withRowId appends the id used by update/delete', async () => {
    const store = await openStore();
    const txn = store.begin();
    const def = await txn.createTable({ name: 'h', columns: [col('x'), col('y', Types.text)], primaryKey: [] });
    expect(def.hiddenRowId).toBe(true);
    await txn.insert(def, [1, 'a']);
    await txn.insert(def, [1, 'a']);
    await txn.insert(def, [2, 'b']);
    await txn.commit();
    const u = store.begin();
    expect(await scanAll(u, 'h')).toEqual([[1, 'a'], [1, 'a'], [2, 'b']]);
    const withIds = await scanAll(u, 'h', { withRowId: true });
    expect(withIds.map((r) => r.length)).toEqual([3, 3, 3]);
    expect(new Set(withIds.map((r) => r[2])).size).toBe(3);
    await u.update(def, store.primaryKeyOf(def, withIds[1]!), [1, 'changed']);
    await u.delete(def, store.primaryKeyOf(def, withIds[2]!));
    await u.commit();
    const v = store.begin();
    expect(await scanAll(v, 'h')).toEqual([[1, 'a'], [1, 'changed']]);
    v.rollback();
    await store.close();
  });

  it('enforces NOT NULL, primary key, unique and varchar length with PostgreSQL codes and messages', async () => {
    const store = await openStore();
    const txn = store.begin();
    await txn.createTable({
      name: 'c',
      columns: [col('id', Types.integer, true), col('email', Types.varchar(5)), col('n', Types.integer, true)],
      primaryKey: [0],
      uniques: [{ columns: [1] }],
    });
    await txn.commit();
    const load = store.begin();
    const def = load.getTable('c')!;
    await load.insert(def, [1, 'a@x', 1]);
    await load.commit();

    const dup = await rejectsWith(store.begin().insert(def, [1, 'b@x', 1]), '23505');
    expect(dup.message).toBe('duplicate key value violates unique constraint "c_pkey"');
    expect(dup.detail).toBe('Key (id)=(1) already exists.');
    const dupU = await rejectsWith(store.begin().insert(def, [2, 'a@x', 1]), '23505');
    expect(dupU.message).toBe('duplicate key value violates unique constraint "c_email_key"');
    expect(dupU.detail).toBe('Key (email)=(a@x) already exists.');
    const nn = await rejectsWith(store.begin().insert(def, [3, 'c', null]), '23502');
    expect(nn.message).toBe('null value in column "n" of relation "c" violates not-null constraint');
    await rejectsWith(store.begin().insert(def, [4, 'toolong', 1]), '22001');
    // NULLs never collide in a unique index
    const ok = store.begin();
    await ok.insert(def, [5, null, 1]);
    await ok.insert(def, [6, null, 1]);
    await ok.commit();
    // after an error the transaction only allows rollback
    const failed = store.begin();
    await rejectsWith(failed.insert(def, [1, 'z', 1]), '23505');
    expect(failed.state).toBe('aborted');
    await rejectsWith(failed.insert(def, [9, 'z', 1]), '25P02');
    failed.rollback();
    await store.close();
  });
});

describe('when the snapshot is taken', () => {
  it('snapshot isolation takes it at the first statement, as PostgreSQL does (not at begin)', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 1]]);
    const rr = store.begin({ isolation: 'snapshot' });
    const w = store.begin();
    const t = w.getTable('t')!;
    await w.update(t, [1], [1, 2]);
    await w.commit();
    rr.beginStatement(); // first statement: the commit above is visible
    expect(rr.get(t, [1])).toEqual([1, 2]);
    const w2 = store.begin();
    await w2.update(t, [1], [1, 3]);
    await w2.commit();
    rr.beginStatement(); // later statements keep the snapshot
    expect(rr.get(t, [1])).toEqual([1, 2]);
    rr.rollback();
    await store.close();
  });
});

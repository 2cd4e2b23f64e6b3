// DDL visibility in transactions, secondary indexes (indexScan vs a filtered full scan), and MVCC garbage collection.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { TableDef, Txn } from '../../oltp/api.ts';
import { Types, type Row } from '../../oltp/types.ts';
import { col, createKv, kvTable, openStore, rejectsWith, removeTempDirs, scanAll, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

async function indexRows(txn: Txn, t: TableDef, indexName: string, options = {}): Promise<Row[]> {
  const idx = t.indexes.find((i) => i.name === indexName)!;
  const out: Row[] = [];
  for await (const b of txn.indexScan(t, idx, options)) out.push(...b);
  return out;
}

describe('DDL is transactional', () => {
  it('a created table is visible only to its transaction until commit, and to snapshots after it', async () => {
    const store = await openStore();
    const before = store.begin({ isolation: 'snapshot' });
    const ddl = store.begin();
    await ddl.createTable(kvTable('n'));
    expect(ddl.getTable('n')).toBeDefined();
    expect(before.getTable('n')).toBeUndefined();
    await ddl.commit();
    expect(before.getTable('n')).toBeUndefined();
    expect(before.listTables().map((t) => t.name)).toEqual([]);
    const after = store.begin();
    expect(after.listTables().map((t) => t.name)).toEqual(['n']);
    await rejectsWith(after.createTable(kvTable('n')), '42P07');
    before.rollback();
    await store.close();
  });

  it('drop table, views, add column with fill, schema versions, persisted across reopen', async () => {
    const dir = tempDir();
    let store = await openStore(dir);
    await createKv(store, 't', [[1, 1]]);
    let txn = store.begin();
    const t2 = await txn.addColumn('t', col('note', Types.text), 'none');
    expect(t2.schemaVersion).toBe(2);
    expect(txn.get(t2, [1])).toEqual([1, 1, 'none']);
    await txn.insert(t2, [2, 2, 'x']);
    await txn.createView({ name: 'v', sql: 'select 1' });
    await txn.commit();
    await rejectsWith(store.begin().createTable(kvTable('v')), '42P07');
    await store.close();
    store = await openStore(dir);
    txn = store.begin();
    expect(await scanAll(txn, 't')).toEqual([[1, 1, 'none'], [2, 2, 'x']]);
    expect(txn.getView('v')?.sql).toBe('select 1');
    await txn.dropTable('t');
    await txn.dropView('v');
    expect(txn.getTable('t')).toBeUndefined();
    await txn.commit();
    const r = store.begin();
    expect(r.listTables()).toEqual([]);
    expect(r.listViews()).toEqual([]);
    await rejectsWith(r.dropTable('t'), '42P01');
    await store.close();
  });

  it('a writer that used an old table definition fails with 40001 when an index was added meanwhile', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 1]]);
    const w = store.begin();
    const t = w.getTable('t')!;
    await w.insert(t, [2, 2]);
    const ddl = store.begin();
    await ddl.createIndex('t', { name: 't_v', columns: [1], unique: false });
    await ddl.commit();
    await rejectsWith(w.commit(), '40001');
    await store.close();
  });
});

describe('secondary indexes', () => {
  it('indexScan equals a filtered, sorted full scan through random changes and snapshots', async () => {
    const store = await openStore();
    const setup = store.begin();
    await setup.createTable({ name: 'x', columns: [col('id', Types.integer, true), col('k', Types.integer), col('s', Types.text)], primaryKey: [0] });
    await setup.createIndex('x', { name: 'x_k', columns: [1], unique: false });
    await setup.commit();
    const op = fc.record({ kind: fc.constantFrom('insert', 'update', 'delete'), id: fc.integer({ min: 0, max: 30 }), k: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }), lo: fc.integer({ min: 0, max: 8 }), span: fc.integer({ min: 0, max: 4 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 6 }), async (txns) => {
        const old = store.begin({ isolation: 'snapshot' });
        for (const ops of txns) {
          const txn = store.begin();
          const t = txn.getTable('x')!;
          for (const o of ops) {
            const exists = txn.get(t, [o.id]) !== undefined;
            if (o.kind === 'insert' && !exists) await txn.insert(t, [o.id, o.k, `s${o.id}`]);
            if (o.kind === 'update' && exists) await txn.update(t, [o.id], [o.id, o.k, `u${o.id}`]);
            if (o.kind === 'delete' && exists) await txn.delete(t, [o.id]);
          }
          // check inside the transaction (own writes merged) and, after commit, from a fresh one
          await checkIndex(txn, ops[0]?.lo ?? 0, ops[0]?.span ?? 8);
          await txn.commit();
        }
        await checkIndex(old, 0, 8);
        old.rollback();
        const fresh = store.begin();
        await checkIndex(fresh, 2, 3);
        fresh.rollback();
      }),
      { numRuns: 25 },
    );
    await store.close();
  });

  async function checkIndex(txn: Txn, lo: number, span: number): Promise<void> {
    const t = txn.getTable('x')!;
    const all = await scanAll(txn, 'x');
    const byK = (a: Row, b: Row): number => (a[1] === b[1] ? (a[0] as number) - (b[0] as number) : a[1] === null ? 1 : b[1] === null ? -1 : (a[1] as number) - (b[1] as number));
    expect(await indexRows(txn, t, 'x_k')).toEqual([...all].sort(byK));
    const inRange = all.filter((r) => r[1] !== null && (r[1] as number) >= lo && (r[1] as number) <= lo + span).sort(byK);
    expect(await indexRows(txn, t, 'x_k', { lower: [lo], upper: [lo + span] })).toEqual(inRange);
    expect(await indexRows(txn, t, 'x_k', { lower: [lo], upper: [lo + span], reverse: true, batchRows: 3 })).toEqual([...inRange].reverse());
  }

  it('create unique index rejects existing duplicates; a unique index created in the transaction is enforced', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 5], [2, 5], [3, 6]]);
    const a = store.begin();
    const err = await rejectsWith(a.createIndex('t', { name: 't_v_key', columns: [1], unique: true }), '23505');
    expect(err.detail).toBe('Key (v)=(5) is duplicated.');
    const b = store.begin();
    const t = b.getTable('t')!;
    await b.delete(t, [2]);
    await b.createIndex('t', { name: 't_v_key', columns: [1], unique: true });
    await rejectsWith(b.insert(b.getTable('t')!, [4, 6]), '23505');
    const c = store.begin();
    await c.delete(t, [2]);
    await c.createIndex('t', { name: 't_v_key', columns: [1], unique: true });
    await c.insert(c.getTable('t')!, [4, 7]);
    await c.commit();
    const d = store.begin();
    await rejectsWith(d.insert(d.getTable('t')!, [5, 7]), '23505');
    const e = store.begin();
    expect(await indexRows(e, e.getTable('t')!, 't_v_key')).toEqual([[1, 5], [3, 6], [4, 7]]);
    await e.dropIndex('t_v_key');
    await e.commit();
    expect(store.begin().getTable('t')!.indexes).toEqual([]);
    await store.close();
  });
});

describe('MVCC garbage collection', () => {
  it('removes superseded versions, tombstones and stale index entries, but never what an open snapshot reads', async () => {
    const store = await openStore(tempDir(), { gcKeysPerPass: 7 });
    const s = store.begin();
    const t = await s.createTable({ name: 'g', columns: [col('id', Types.integer, true), col('v')], primaryKey: [0] });
    await s.createIndex('g', { name: 'g_v', columns: [1], unique: false });
    for (let i = 0; i < 10; i++) await s.insert(s.getTable('g')!, [i, 0]);
    await s.commit();
    const peek = store.begin();
    const g = peek.getTable('g')!;
    peek.rollback(); // an open transaction holds back the GC horizon
    const old = store.begin({ isolation: 'snapshot' });
    for (let round = 1; round <= 5; round++) {
      const w = store.begin();
      for (let i = 0; i < 10; i++) await w.update(g, [i], [i, round]);
      await w.commit();
    }
    const del = store.begin();
    for (let i = 0; i < 5; i++) await del.delete(g, [i]);
    await del.commit();
    const countKeys = async (prefix: number): Promise<number> => (await store.db.keys({ gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) }).all()).length;
    const gcCycle = async (): Promise<void> => {
      while (!(await store.gc.runPass()).wrapped);
    };
    expect(await countKeys(0x04)).toBe(55); // 10 rows x 5 updates + 5 deletes
    await gcCycle();
    // the open snapshot still reads its versions, through the table and the index
    expect(await scanAll(old, 'g')).toEqual(Array.from({ length: 10 }, (_, i) => [i, 0]));
    expect(await indexRows(old, g, 'g_v')).toEqual(Array.from({ length: 10 }, (_, i) => [i, 0]));
    expect(await countKeys(0x04)).toBe(55);
    old.rollback();
    await gcCycle();
    expect(await countKeys(0x04)).toBe(0);
    expect(await countKeys(0x03)).toBe(5); // the 5 deleted rows' tombstones are gone
    expect(await countKeys(0x05)).toBe(5); // one index entry per live row
    const r = store.begin();
    expect(await scanAll(r, 'g')).toEqual(Array.from({ length: 5 }, (_, i) => [i + 5, 5]));
    expect(await indexRows(r, g, 'g_v', { lower: [5], upper: [5] })).toHaveLength(5);
    r.rollback();
    void t;
    await store.close();
  });

  it('keeps index entries right for a row with more versions than one GC pass reads', async () => {
    const store = await openStore(tempDir(), { gcKeysPerPass: 3 });
    const s = store.begin();
    await s.createTable({ name: 'r', columns: [col('id', Types.integer, true), col('v')], primaryKey: [0] });
    await s.createIndex('r', { name: 'r_v', columns: [1], unique: false });
    await s.insert(s.getTable('r')!, [1, 1]);
    await s.commit();
    const peek = store.begin();
    const r = peek.getTable('r')!;
    peek.rollback();
    let old: Txn | undefined;
    for (let i = 0; i < 12; i++) {
      const w = store.begin();
      await w.update(r, [1], [1, i % 2 === 0 ? 2 : 1]); // alternate: index values repeat across versions
      await w.commit();
      if (i === 5) old = store.begin({ isolation: 'snapshot' }); // sees v = 1
    }
    for (let i = 0; i < 12; i++) await store.gc.runPass();
    expect(await indexRows(old!, r, 'r_v', { lower: [1], upper: [1] })).toEqual([[1, 1]]);
    const fresh = store.begin();
    expect(await indexRows(fresh, r, 'r_v', { lower: [1], upper: [1] })).toEqual([[1, 1]]);
    expect(await indexRows(fresh, r, 'r_v', { lower: [2], upper: [2] })).toEqual([]);
    fresh.rollback();
    old!.rollback();
    for (let i = 0; i < 12; i++) await store.gc.runPass();
    expect((await store.db.keys({ gte: Buffer.from([0x04]), lt: Buffer.from([0x05]) }).all()).length).toBe(0);
    expect((await store.db.keys({ gte: Buffer.from([0x05]), lt: Buffer.from([0x06]) }).all()).length).toBe(1);
    await store.close();
  });

  it('clears the rows of a dropped table once no snapshot can see it', async () => {
    const store = await openStore();
    await createKv(store, 'd', Array.from({ length: 20 }, (_, i) => [i, i]));
    const d = store.begin();
    await d.dropTable('d');
    await d.commit();
    for (let i = 0; i < 3; i++) await store.gc.runPass();
    expect((await store.db.keys({ gte: Buffer.from([0x03]), lt: Buffer.from([0x05]) }).all()).length).toBe(0);
    await store.close();
  });
});

describe('concurrent DDL', () => {
  it('two creates of one table name: the second waits, then 42P07 (read committed) or 40001 (snapshot)', async () => {
    for (const [level, code] of [['read committed', '42P07'], ['snapshot', '40001']] as const) {
      const store = await openStore();
      const a = store.begin({ isolation: level });
      const b = store.begin({ isolation: level });
      await a.createTable(kvTable('same'));
      const pb = b.createTable(kvTable('same'));
      pb.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 10));
      await a.commit();
      await rejectsWith(pb, code);
      b.rollback();
      await store.close();
    }
  });
});

// Concurrency through the Txn API: the bank-transfer invariant under many sessions with retries,
// lock waits, deadlock detection, and concurrent inserts of the same key.
import { afterAll, describe, expect, it } from 'vitest';
import type { Isolation, Txn } from '../../oltp/api.ts';
import { DuetError } from '../../oltp/errors.ts';
import { createKv, openStore, rejectsWith, removeTempDirs, scanAll } from './helpers.ts';

afterAll(removeTempDirs);

/** Tiny seeded PRNG so failures replay. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ACCOUNTS = 10;
const INITIAL = 1000;

async function runBank(level: Isolation, sessions: number, transfersPerSession: number, seed: number): Promise<{ retries: number; snapshots: number }> {
  const store = await openStore();
  await createKv(store, 'acct', Array.from({ length: ACCOUNTS }, (_, i) => [i, INITIAL]));
  const t = store.begin().getTable('acct')!;
  const random = rng(seed);
  let retries = 0;
  let snapshots = 0;
  let running = true;

  async function transfer(): Promise<void> {
    const from = Math.floor(random() * ACCOUNTS);
    const to = (from + 1 + Math.floor(random() * (ACCOUNTS - 1))) % ACCOUNTS;
    const amount = 1 + Math.floor(random() * 50);
    for (let attempt = 0; ; attempt++) {
      const txn = store.begin({ isolation: level });
      try {
        // lock in a fixed order half of the time, in transfer order otherwise (so deadlocks happen)
        const order = random() < 0.5 ? [from, to] : [Math.min(from, to), Math.max(from, to)];
        const rows = new Map<number, number>();
        for (const id of order) rows.set(id, (await txn.lockForUpdate(t, [id]))![1] as number);
        await txn.update(t, [from], [from, rows.get(from)! - amount]);
        await txn.update(t, [to], [to, rows.get(to)! + amount]);
        await txn.commit();
        return;
      } catch (e) {
        if (txn.state === 'active') txn.rollback();
        if (!(e instanceof DuetError) || !e.retryable) throw e;
        expect(attempt).toBeLessThan(200);
        retries++;
      }
    }
  }

  async function auditor(): Promise<void> {
    while (running) {
      const txn = store.begin({ isolation: 'snapshot' });
      const rows = await scanAll(txn, 'acct');
      txn.rollback();
      expect(rows.reduce((s, r) => s + (r[1] as number), 0)).toBe(ACCOUNTS * INITIAL);
      snapshots++;
      await new Promise((r) => setImmediate(r));
    }
  }

  const audit = auditor();
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      for (let i = 0; i < transfersPerSession; i++) await transfer();
    }),
  );
  running = false;
  await audit;
  const end = store.begin();
  const rows = await scanAll(end, 'acct');
  end.rollback();
  expect(rows.reduce((s, r) => s + (r[1] as number), 0)).toBe(ACCOUNTS * INITIAL);
  expect(store.stats.locks).toBe(0);
  await store.close();
  return { retries, snapshots };
}

describe('bank transfers', () => {
  for (const level of ['read committed', 'snapshot', 'serializable'] as Isolation[]) {
    it(`keeps the total in every snapshot and at the end (${level}, 16 sessions)`, async () => {
      const { snapshots } = await runBank(level, 16, 25, 42);
      expect(snapshots).toBeGreaterThan(0);
    });
  }
});

describe('locks', () => {
  it('a second writer waits for the first and proceeds on the newest version under read committed', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 0]]);
    const t = store.begin().getTable('t')!;
    const a = store.begin();
    const b = store.begin();
    await a.update(t, [1], [1, 1]);
    let got: unknown = 'pending';
    const p = b.lockForUpdate(t, [1]).then((r) => (got = r));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe('pending');
    await a.commit();
    await p;
    expect(got).toEqual([1, 1]);
    b.rollback();
    await store.close();
  });

  it('detects a deadlock and fails one victim with 40P01 while the other proceeds', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 0], [2, 0]]);
    const t = store.begin().getTable('t')!;
    const a = store.begin();
    const b = store.begin();
    await a.update(t, [1], [1, 1]);
    await b.update(t, [2], [2, 2]);
    const pa = a.update(t, [2], [2, 1]);
    await new Promise((r) => setImmediate(r));
    const err = await rejectsWith(b.update(t, [1], [1, 2]), '40P01');
    expect((err as DuetError).retryable).toBe(true);
    expect(b.state).toBe('aborted');
    await pa;
    await a.commit();
    const r = store.begin();
    expect(await scanAll(r, 't')).toEqual([[1, 1], [2, 1]]);
    r.rollback();
    await store.close();
  });

  it('two concurrent inserts of one key: one commits, the other gets 23505 once the first commits', async () => {
    for (const level of ['read committed', 'snapshot', 'serializable'] as Isolation[]) {
      const store = await openStore();
      await createKv(store, 't');
      const t = store.begin().getTable('t')!;
      const a: Txn = store.begin({ isolation: level });
      const b: Txn = store.begin({ isolation: level });
      await a.insert(t, [7, 1]);
      const pb = b.insert(t, [7, 2]);
      await new Promise((r) => setTimeout(r, 10));
      await a.commit();
      await rejectsWith(pb, '23505');
      b.rollback();
      await store.close();
    }
  });

  it('the waiter proceeds when the first inserter rolls back', async () => {
    const store = await openStore();
    await createKv(store, 't');
    const t = store.begin().getTable('t')!;
    const a = store.begin();
    const b = store.begin();
    await a.insert(t, [7, 1]);
    const pb = b.insert(t, [7, 2]);
    a.rollback();
    await pb;
    await b.commit();
    const r = store.begin();
    expect(await scanAll(r, 't')).toEqual([[7, 2]]);
    r.rollback();
    await store.close();
  });
});

describe('read committed writes without lockForUpdate', () => {
  it('an update computed from an older version than the newest fails with 40001 instead of losing an update', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 0]]);
    const t = store.begin().getTable('t')!;
    const a = store.begin();
    const b = store.begin();
    a.beginStatement();
    b.beginStatement();
    const va = a.get(t, [1])![1] as number;
    const vb = b.get(t, [1])![1] as number;
    await a.update(t, [1], [1, va + 1]);
    const pb = b.update(t, [1], [1, vb + 1]); // waits for a, then would overwrite a's increment
    await a.commit();
    await rejectsWith(pb, '40001');
    b.rollback();
    // with lockForUpdate the second writer continues on the newest version (PostgreSQL's behaviour)
    const c = store.begin();
    const d = store.begin();
    const vc = (await c.lockForUpdate(t, [1]))![1] as number;
    await c.update(t, [1], [1, vc + 1]);
    const pd = d.lockForUpdate(t, [1]);
    await c.commit();
    const vd = (await pd)![1] as number;
    await d.update(t, [1], [1, vd + 1]);
    await d.commit();
    const r = store.begin();
    expect(r.get(t, [1])).toEqual([1, 3]);
    r.rollback();
    await store.close();
  });
});

describe('serializable phantoms through an index', () => {
  it('a row inserted into a scanned index range after the snapshot fails the writing reader; a read-only one commits', async () => {
    const store = await openStore();
    const setup = store.begin();
    await setup.createTable({ name: 'p', columns: [{ name: 'id', type: { id: 'integer' }, notNull: true }, { name: 'v', type: { id: 'integer' }, notNull: false }], primaryKey: [0] });
    const idx = await setup.createIndex('p', { name: 'p_v', columns: [1], unique: false });
    await setup.insert(setup.getTable('p')!, [1, 10]);
    await setup.commit();
    const reader = store.begin({ isolation: 'serializable' });
    const readOnly = store.begin({ isolation: 'serializable' });
    const t = reader.getTable('p')!;
    for (const txn of [reader, readOnly]) {
      const rows = [];
      for await (const b of txn.indexScan(t, idx, { lower: [25], upper: [35] })) rows.push(...b);
      expect(rows).toEqual([]);
    }
    const writer = store.begin({ isolation: 'serializable' });
    await writer.insert(t, [2, 30]);
    await writer.commit();
    await reader.insert(t, [3, 99]);
    await rejectsWith(reader.commit(), '40001');
    await readOnly.commit();
    // outside the scanned range: no conflict
    const other = store.begin({ isolation: 'serializable' });
    for await (const b of other.indexScan(t, idx, { lower: [40], upper: [50] })) expect(b).toEqual([]);
    const w2 = store.begin();
    await w2.insert(t, [4, 31]);
    await w2.commit();
    await other.insert(t, [5, 45]);
    await other.commit();
    await store.close();
  });
});

describe('unique index and a concurrent writer of the conflicting row', () => {
  it('waits for the writer: succeeds if it deleted the row, 23505 if it rolled back', async () => {
    const store = await openStore();
    const setup = store.begin();
    await setup.createTable({ name: 'u', columns: [{ name: 'id', type: { id: 'integer' }, notNull: true }, { name: 'email', type: { id: 'varchar' }, notNull: false }], primaryKey: [0], uniques: [{ columns: [1] }] });
    await setup.insert(setup.getTable('u')!, [1, 'a']);
    await setup.commit();
    const peek = store.begin();
    const t = peek.getTable('u')!;
    peek.rollback();
    for (const [outcome, oldId, newId, email] of [['commit', 1, 2, 'a'], ['rollback', 3, 4, 'b']] as const) {
      if (oldId === 3) {
        const add = store.begin();
        await add.insert(t, [3, 'b']);
        await add.commit();
      }
      const deleter = store.begin();
      await deleter.delete(t, [oldId]);
      const inserter = store.begin();
      let settled = false;
      const p = inserter.insert(t, [newId, email]).finally(() => (settled = true));
      p.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
      expect(settled).toBe(false);
      if (outcome === 'commit') {
        await deleter.commit();
        await p;
        await inserter.commit();
      } else {
        deleter.rollback();
        await rejectsWith(p, '23505');
        inserter.rollback();
      }
    }
    const r = store.begin();
    expect(await scanAll(r, 'u')).toEqual([[2, 'a'], [3, 'b']]);
    r.rollback();
    await store.close();
  });
});

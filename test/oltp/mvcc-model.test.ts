// Property test: interleaved snapshot-isolation transactions (with lock waits, conflicts and GC passes)
// against a simple in-memory model of snapshots, own writes, first-updater-wins and uniqueness.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { TableDef, Txn } from '../../oltp/api.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { createKv, openStore, removeTempDirs, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

type Op =
  | { kind: 'begin' | 'commit' | 'rollback' | 'get' | 'scan'; slot: number; key: number }
  | { kind: 'put'; slot: number; key: number; value: number }
  | { kind: 'del'; slot: number; key: number }
  | { kind: 'gc'; slot: number; key: number };

interface Open {
  txn: Txn;
  snapshot: Map<number, number>;
  snapSeq: number;
  /** Own writes: value, or null for a delete. */
  own: Map<number, number | null>;
  /** A lock wait that did not finish: the slot is rolled back and this promise is awaited for its error. */
  stuck?: Promise<unknown>;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('begin', 'commit', 'rollback', 'get', 'scan', 'gc'), slot: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('put'), slot: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 3 }), value: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ kind: fc.constant('del'), slot: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 3 }) }),
) as fc.Arbitrary<Op>;

/** Settles `p` if it finishes within a few event-loop turns; 'stuck' when it waits on a lock (writes here do no I/O). */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string } | 'stuck'> {
  let out: { ok: true; value: T } | { ok: false; code: string } | undefined;
  p.then(
    (value) => (out = { ok: true, value }),
    (e) => (out = { ok: false, code: (e as { code?: string }).code ?? String(e) }),
  );
  for (let i = 0; i < 10 && out === undefined; i++) await new Promise((r) => setImmediate(r));
  return out ?? 'stuck';
}

async function runScenario(store: RowStore, t: TableDef, ops: Op[]): Promise<void> {
  const committed = new Map<number, number>();
  const lastWriteSeq = new Map<number, number>();
  let seq = 0;
  const slots: (Open | undefined)[] = [undefined, undefined, undefined];
  const view = (o: Open, k: number): number | undefined => (o.own.has(k) ? (o.own.get(k) ?? undefined) : o.snapshot.get(k));
  const stuck: Promise<unknown>[] = [];
  const drop = (slot: number): void => {
    const o = slots[slot]!;
    o.txn.rollback();
    // the abandoned wait ends (with an error) when the lock owner finishes; it must not take the lock then
    if (o.stuck) stuck.push(o.stuck.catch(() => undefined));
    slots[slot] = undefined;
  };

  for (const op of ops) {
    const o = slots[op.slot];
    if (op.kind === 'gc') {
      await store.gc.runPass();
      continue;
    }
    if (op.kind === 'begin' || !o) {
      // any operation on an idle slot begins a transaction there first
      if (!o) slots[op.slot] = { txn: store.begin({ isolation: 'snapshot' }), snapshot: new Map(committed), snapSeq: seq, own: new Map() };
      continue;
    }
    if (op.kind === 'rollback') {
      drop(op.slot);
    } else if (op.kind === 'get') {
      expect(o.txn.get(t, [op.key])?.[1]).toBe(view(o, op.key));
    } else if (op.kind === 'scan') {
      const rows: [number, number][] = [];
      for await (const b of o.txn.scan(t, { batchRows: 2 })) for (const r of b) rows.push([r[0] as number, r[1] as number]);
      const keys = new Set([...o.snapshot.keys(), ...o.own.keys()]);
      const want = [...keys].sort((a, b) => a - b).flatMap((k) => (view(o, k) === undefined ? [] : [[k, view(o, k)!] as [number, number]]));
      expect(rows).toEqual(want);
    } else if (op.kind === 'commit') {
      // snapshot isolation checks conflicts at write time: a commit never fails here (and never waits on locks)
      await o.txn.commit();
      if (o.own.size > 0) {
        seq++;
        for (const [k, v] of o.own) {
          if (v === null) committed.delete(k);
          else committed.set(k, v);
          lastWriteSeq.set(k, seq);
        }
      }
      slots[op.slot] = undefined;
    } else {
      const mine = o.own.has(op.key);
      const current = view(o, op.key);
      const changedSince = (lastWriteSeq.get(op.key) ?? 0) > o.snapSeq;
      let p: Promise<unknown>;
      let expected: 'ok' | 'noop' | string;
      if (op.kind === 'put') {
        if (current !== undefined) {
          p = o.txn.update(t, [op.key], [op.key, op.value]);
          expected = !mine && changedSince ? '40001' : 'ok';
        } else {
          p = o.txn.insert(t, [op.key, op.value]);
          expected = !mine && committed.has(op.key) ? '23505' : 'ok';
        }
      } else {
        p = o.txn.delete(t, [op.key]);
        expected = current === undefined ? 'noop' : !mine && changedSince ? '40001' : 'ok';
      }
      const r = await settle(p);
      if (r === 'stuck') {
        // another open transaction holds the row lock: give up this one (the waiter must not keep the lock)
        o.stuck = p;
        drop(op.slot);
        continue;
      }
      if (expected === 'ok' || expected === 'noop') {
        expect(r).toMatchObject({ ok: true });
        if (expected === 'ok') o.own.set(op.key, op.kind === 'put' ? op.value : null);
      } else {
        expect(r).toMatchObject({ ok: false, code: expected });
        drop(op.slot);
      }
    }
  }
  for (let s = 0; s < slots.length; s++) if (slots[s]) drop(s);
  await Promise.all(stuck);
  expect(store.stats.locks).toBe(0);
  const check = store.begin();
  for (let k = 0; k < 5; k++) expect(check.get(t, [k])?.[1]).toBe(committed.get(k));
  check.rollback();
}

describe('MVCC against a model', () => {
  it('interleaved snapshot transactions read, write and conflict as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 80 }), async (ops) => {
        const store = await openStore(tempDir(), { gcKeysPerPass: 3 });
        try {
          await createKv(store, 'kv');
          const peek = store.begin();
          const t = peek.getTable('kv')!;
          peek.rollback();
          await runScenario(store, t, ops);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 50 },
    );
  });
});

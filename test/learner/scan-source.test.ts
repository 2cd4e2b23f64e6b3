// The learner as the executor's ScanSource: zone-map pruning never changes a query's result (compared with
// the same plan over the row store's rows), and range predicates on the sorted key skip blocks.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types, type Row, type SqlType, type Value } from '../../oltp/types.ts';
import { collectRows } from '../../olap/exec/execute.ts';
import { rowsToBatch } from '../../olap/exec/batch.ts';
import type { Expr, ScanNode } from '../../olap/exec/spec.ts';
import { LearnerReplica } from '../../olap/learner/client.ts';
import { Learner } from '../../olap/learner/learner.ts';
import { readLogRange } from '../../cdc/log.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { learnerScanSource } from '../../olap/learner/scan-source.ts';
import { canon, rng } from './workload.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cols: { name: string; type: SqlType }[] = [
  { name: 'id', type: Types.integer },
  { name: 'grp', type: Types.text },
  { name: 'val', type: Types.double },
  { name: 'day', type: Types.date },
];
const col = (i: number): Expr => ({ kind: 'col', index: i, type: cols[i]!.type });
const k = (i: number, value: Value): Expr => ({ kind: 'const', value, type: cols[i]!.type });
const cmp = (fn: string, a: Expr, b: Expr): Expr => ({ kind: 'call', fn, args: [a, b], type: Types.boolean });
const and = (...args: Expr[]): Expr => ({ kind: 'and', args, type: Types.boolean });

describe('learner scan source', () => {
  it('pruned scans equal unpruned results for random predicates; key ranges skip blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-learner-scan-'));
    dirs.push(dir);
    const store = await RowStore.open(dir, { gcIntervalMs: 0 });
    const replica = await LearnerReplica.start(store, { worker: false });
    const rand = rng(99);
    let txn = store.begin();
    const t = await txn.createTable({ name: 'm', columns: cols.map((c) => ({ ...c, notNull: false })), primaryKey: [0] });
    await txn.commit();
    const n = 12_000;
    for (let start = 0; start < n; start += 3000) {
      txn = store.begin();
      for (let id = start; id < start + 3000; id++) await txn.insert(t, [id, ['a', 'b', 'c', null][id % 4]!, rand() < 0.1 ? null : Math.floor(rand() * 1000), 19000 + Math.floor(id / 100)]);
      await txn.commit();
    }
    // some updates and deletes after compaction, so that stable versions end and the delta is not empty
    await replica.caughtUp();
    await replica.compact();
    txn = store.begin();
    for (let id = 0; id < n; id += 37) await txn.update(t, [id], [id, 'z', -1, 18000]);
    for (let id = 5; id < n; id += 101) await txn.delete(t, [id]);
    await txn.commit();

    const reader = store.begin({ isolation: 'snapshot' });
    const all: Row[] = [];
    for await (const b of reader.scan(t)) all.push(...b);
    reader.rollback();
    const counters = { blocksScanned: 0, blocksPruned: 0, staleEntries: 0 };
    const predicates: Expr[] = [];
    for (let i = 0; i < 25; i++) {
      const a = Math.floor(rand() * n);
      const d = 19000 + Math.floor(rand() * 130);
      const choices: Expr[] = [
          and(cmp('>=', col(0), k(0, a)), cmp('<', col(0), k(0, a + Math.floor(rand() * 3000)))),
          cmp('=', col(3), k(3, d)),
          cmp('>', k(0, a), col(0)),
          and(cmp('=', col(1), k(1, 'b')), cmp('<=', col(2), k(2, 100))),
          { kind: 'isNull', arg: col(2), negated: false, type: Types.boolean },
      ];
      predicates.push(choices[i % 5]!);
    }
    for (const filter of predicates) {
      const node: ScanNode = { kind: 'scan', table: 'm', columns: cols, filter };
      const got = await collectRows(node, { params: [], scan: learnerScanSource(replica, { counters }) });
      const reference = await collectRows(node, { params: [], scan: async function* () { yield rowsToBatch(all, cols.map((c) => c.type)); } });
      expect(canon(got), JSON.stringify(filter, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toEqual(canon(reference));
    }
    expect(counters.blocksPruned).toBeGreaterThan(counters.blocksScanned / 2);
    // a projection by name, in another order
    const proj = await collectRows({ kind: 'scan', table: 'm', columns: [cols[3]!, cols[0]!] }, { params: [], scan: learnerScanSource(replica) });
    expect(proj.length).toBe(all.length);
    expect(canon(proj)).toEqual(canon(all.map((r) => [r[3]!, r[0]!])));
    await replica.close();
    await store.close();
  });

  it('a scan read in several steps sees the versions of its start even when compaction runs in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-learner-scan-'));
    dirs.push(dir);
    const store = await RowStore.open(dir, { gcIntervalMs: 0 });
    const learner = new Learner();
    const feed = async (): Promise<void> => {
      while (learner.appliedIndex < store.stats.appliedIndex) learner.applyEntries(await readLogRange(store, learner.appliedIndex + 1, store.stats.appliedIndex));
    };
    let txn = store.begin();
    const t = await txn.createTable({ name: 's', columns: [{ name: 'id', type: Types.integer, notNull: true }, { name: 'v', type: Types.integer, notNull: false }], primaryKey: [0] });
    for (let id = 0; id < 5000; id++) await txn.insert(t, [id, 0]);
    await txn.commit();
    await feed();
    learner.compact();
    txn = store.begin();
    for (let id = 0; id < 5000; id += 3) await txn.update(t, [id], [id, 1]); // some versions in the delta
    await txn.commit();
    await feed();
    const ts = learner.appliedTs;
    const expected = learner.scan('s', ts).flatMap(batchToRows);
    const it = learner.openScan('s', ts);
    const got = batchToRows(it.next().value!);
    txn = store.begin();
    for (let id = 0; id < 5000; id += 2) await txn.update(t, [id], [id, 2]);
    for (let id = 1; id < 5000; id += 7) await txn.delete(t, [id]);
    await txn.commit();
    await feed();
    learner.compact(); // moves the delta the open scan has not reached yet into new stable blocks
    for (let r = it.next(); !r.done; r = it.next()) got.push(...batchToRows(r.value));
    expect(canon(got)).toEqual(canon(expected));
    expect(got).toHaveLength(5000);
    await store.close();
  });
});

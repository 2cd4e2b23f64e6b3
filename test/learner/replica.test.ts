// The embedded learner replica end to end: worker thread under vitest, read-your-writes, bounded
// staleness, restart from Parquet + log, rebuild from a row-store snapshot after damage or log
// compaction, and DuckDB reading the learner's Parquet segments.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RowStore } from '../../oltp/rowstore.ts';
import type { Row } from '../../oltp/types.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { LearnerReplica, type LearnerReplicaOptions } from '../../olap/learner/client.ts';
import type { TableDef } from '../../oltp/api.ts';
import { canon, Workload } from './workload.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-learner-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rowStoreState(store: RowStore): Promise<Map<string, string[]>> {
  const txn = store.begin({ isolation: 'snapshot' });
  const out = new Map<string, string[]>();
  for (const def of txn.listTables()) {
    const rows: Row[] = [];
    for await (const b of txn.scan(def)) rows.push(...b);
    out.set(def.name, canon(rows));
  }
  txn.rollback();
  return out;
}

async function expectSameAsRowStore(store: RowStore, replica: LearnerReplica): Promise<number> {
  const expected = await rowStoreState(store);
  for (const [name, rows] of expected) {
    const r = await replica.read(name);
    expect(canon(r.batches.flatMap(batchToRows)), `table ${name}`).toEqual(rows);
  }
  return expected.size;
}

async function workload(store: RowStore, seed: number, steps: number): Promise<void> {
  const w = new Workload(store, seed);
  for (let i = 0; i < steps; i++) await w.step();
}

describe('learner replica', () => {
  it('runs in a worker thread (under vitest too): a commit followed by a learner read sees it, every time', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    const learnerDir = tempDir();
    let replica = await LearnerReplica.start(store, { worker: true, deltaRowsMax: 16, dir: learnerDir });
    const setup = store.begin();
    const t = await setup.createTable({ name: 'kv', columns: [{ name: 'k', type: { id: 'integer' }, notNull: true }, { name: 'v', type: { id: 'varchar' }, notNull: false }], primaryKey: [0] });
    await setup.commit();
    for (let i = 0; i < 45; i++) {
      const txn = store.begin();
      if (i % 3 === 2) await txn.update(t, [i - 1], [i - 1, `updated ${i}`]);
      else await txn.insert(t, [i, `v${i}`]);
      await txn.commit();
      const r = await replica.read('kv');
      const rows = r.batches.flatMap(batchToRows);
      if (i % 3 === 2) expect(rows).toContainEqual([i - 1, `updated ${i}`]);
      else expect(rows).toContainEqual([i, `v${i}`]);
      expect(r.staleEntries).toBe(0);
    }
    const status = await replica.status();
    expect(status.lagEntries).toBe(0);
    expect(status.appliedIndex).toBe(store.stats.appliedIndex);
    expect(status.tables[0]).toMatchObject({ name: 'kv', deltaRows: expect.any(Number), stableBlocks: expect.any(Number) });
    expect(status.compactions).toBeGreaterThan(0);
    // Parquet written by the writer thread: a restarted worker learner loads it and serves the same rows
    await replica.compact();
    const saved = await replica.status();
    expect(saved.diskBytes).toBeGreaterThan(0);
    expect(saved.tables[0]!.diskBytes).toBe(saved.diskBytes);
    await replica.close();
    replica = await LearnerReplica.start(store, { worker: true, dir: learnerDir });
    const after = await replica.status();
    expect(after.rebuilds).toBe(0);
    expect(after.appliedIndex).toBe(store.stats.appliedIndex);
    await expectSameAsRowStore(store, replica);
    await replica.close();
    await store.close();
  });

  it('a bounded-staleness read answers at once and says how stale it is', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    const replica = await LearnerReplica.start(store, { worker: false });
    await workload(store, 11, 30);
    await replica.caughtUp();
    const before = store.stats.appliedIndex;
    const pending = workload(store, 12, 10);
    const r = await replica.read('t0', { mode: 'bounded' });
    await pending;
    expect(r.ts).toBeLessThanOrEqual(store.stats.appliedTs);
    expect(r.staleEntries).toBeGreaterThanOrEqual(0);
    expect(r.staleEntries).toBeLessThanOrEqual(store.stats.appliedIndex - before + 1);
    await expectSameAsRowStore(store, replica);
    await replica.close();
    await store.close();
  });

  it('falls behind and reports lag instead of buffering when commits outpace it; the delta stays bounded', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    // one entry per apply message and a tiny delta bound: the learner is made slow on purpose
    const replica = await LearnerReplica.start(store, { worker: false, applyEntriesMax: 1, deltaRowsMax: 50 });
    const setup = store.begin();
    const t = await setup.createTable({ name: 'q', columns: [{ name: 'k', type: { id: 'integer' }, notNull: true }], primaryKey: [0] });
    await setup.commit();
    let maxLag = 0;
    let maxDelta = 0;
    await Promise.all(Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; i < 20; i++) {
        const txn = store.begin();
        await txn.insert(t, [w * 100 + i]);
        await txn.commit();
        if (i % 5 === 0) {
          const s = await replica.status();
          maxLag = Math.max(maxLag, s.lagEntries);
          maxDelta = Math.max(maxDelta, ...s.tables.map((x) => x.deltaRows));
        }
      }
    }));
    expect(maxLag).toBeGreaterThan(0);
    expect(maxDelta).toBeLessThanOrEqual(50);
    await replica.caughtUp();
    const s = await replica.status();
    expect(s.lagEntries).toBe(0);
    expect(s.lagMs).toBe(0);
    expect((await replica.read('q')).batches.flatMap(batchToRows)).toHaveLength(320);
    await replica.close();
    await store.close();
  });

  it('restarts from its Parquet segments and catches up from the log', async () => {
    const dir = tempDir();
    const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
    const options: LearnerReplicaOptions = { worker: false, dir: join(dir, 'learner') };
    let replica = await LearnerReplica.start(store, options);
    await workload(store, 21, 60);
    await replica.caughtUp();
    await replica.compact();
    const persisted = (await replica.status()).appliedIndex;
    await replica.close();
    await workload(store, 22, 40); // committed while the learner is down
    replica = await LearnerReplica.start(store, options);
    const status = await replica.status();
    expect(status.rebuilds).toBe(0);
    expect(status.appliedIndex).toBeGreaterThanOrEqual(persisted);
    expect(await expectSameAsRowStore(store, replica)).toBeGreaterThan(0);
    await replica.close();
    await store.close();
  });

  for (const damage of ['segment bytes flipped', 'segment truncated', 'segment missing', 'manifest truncated'] as const) {
    it(`detects a damaged file (${damage}), names it, and rebuilds from a row-store snapshot`, async () => {
      const dir = tempDir();
      const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
      const learnerDir = join(dir, 'learner');
      let replica = await LearnerReplica.start(store, { worker: false, dir: learnerDir });
      await workload(store, 31, 50);
      await replica.caughtUp();
      await replica.compact();
      await replica.close();
      const segment = readdirSync(learnerDir).find((f) => f.endsWith('.parquet'))!;
      const manifest = join(learnerDir, 'manifest.json');
      let expectedFile = segment;
      if (damage === 'segment bytes flipped') {
        const bytes = readFileSync(join(learnerDir, segment));
        bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
        writeFileSync(join(learnerDir, segment), bytes);
      } else if (damage === 'segment truncated') truncateSync(join(learnerDir, segment), 100);
      else if (damage === 'segment missing') rmSync(join(learnerDir, segment));
      else {
        truncateSync(manifest, 50);
        expectedFile = 'manifest.json';
      }
      await workload(store, 32, 10);
      replica = await LearnerReplica.start(store, { worker: false, dir: learnerDir });
      await replica.caughtUp();
      const status = await replica.status();
      expect(status.lastDamage?.file).toBe(expectedFile);
      expect(status.rebuilds).toBe(1);
      expect(await expectSameAsRowStore(store, replica)).toBeGreaterThan(0);
      // the rebuilt replica persisted fresh files that load cleanly
      await replica.close();
      replica = await LearnerReplica.start(store, { worker: false, dir: learnerDir });
      expect((await replica.status()).rebuilds).toBe(0);
      await expectSameAsRowStore(store, replica);
      await replica.close();
      await store.close();
    });
  }

  it('rebuilds from a snapshot when the log was compacted past its applied index', async () => {
    const dir = tempDir();
    const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0, logRetainEntries: 5 });
    const options: LearnerReplicaOptions = { worker: false, dir: join(dir, 'learner') };
    let replica = await LearnerReplica.start(store, options);
    await workload(store, 41, 30);
    await replica.caughtUp();
    await replica.close();
    await workload(store, 42, 40);
    for (let i = 0; i < 3; i++) await store.gc.runPass();
    replica = await LearnerReplica.start(store, options);
    await replica.caughtUp();
    expect((await replica.status()).rebuilds).toBe(1);
    await expectSameAsRowStore(store, replica);
    // reads before the snapshot cannot be answered from it
    await expect(replica.read('t0', { ts: 1 })).rejects.toMatchObject({ code: '72000' });
    await replica.close();
    await store.close();
  });

  it('DuckDB reads the Parquet segments back identically', async () => {
    const dir = tempDir();
    const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
    const learnerDir = join(dir, 'learner');
    const replica = await LearnerReplica.start(store, { worker: false, dir: learnerDir });
    await workload(store, 51, 80);
    await replica.caughtUp();
    await replica.compact();
    const status = await replica.status();
    const manifest = JSON.parse(JSON.parse(readFileSync(join(learnerDir, 'manifest.json'), 'utf8')).body) as { tables: { def: string; segments: { file: string; rows: number }[] }[] };
    const expected = await rowStoreState(store);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    let compared = 0;
    for (const t of manifest.tables) {
      const def = (JSON.parse(t.def) as { def: TableDef }).def;
      const cols = def.columns.map((c) => {
        const q = `"${c.name}"`;
        if (c.type.id === 'decimal') return `CAST(round(${q} * ${10 ** (c.type.scale ?? 0)}) AS HUGEINT)::VARCHAR`;
        if (c.type.id === 'date') return `(${q} - DATE '1970-01-01')::INTEGER`;
        if (c.type.id === 'bigint') return `${q}::DOUBLE`;
        return q;
      });
      const files = `[${t.segments.map((x) => `'${join(learnerDir, x.file)}'`).join(', ')}]`;
      const all = await duck.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet(${files})`);
      expect(all.getRowsJS()[0]![0]).toBe(t.segments.reduce((n, x) => n + x.rows, 0));
      const reader = await duck.runAndReadAll(`SELECT ${cols.join(', ')} FROM read_parquet(${files}) WHERE isinf(__duet_end)`);
      const rows = reader.getRowsJS().map((r) => r.map((v, i) => (def.columns[i]!.type.id === 'decimal' && v !== null ? BigInt(v as string) : v)));
      expect(canon(rows as Row[]), `table ${def.name}`).toEqual(expected.get(def.name));
      compared++;
    }
    expect(compared).toBe(status.tables.length);
    expect(compared).toBeGreaterThan(0);
    duck.closeSync();
    await replica.close();
    await store.close();
  });
});

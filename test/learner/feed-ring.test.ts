// The shared feed ring (olap/learner/feed-ring.ts) alone: order, wrap-around, a full ring refusing writes,
// counters past 2^32; and the replica fed through a tiny ring that keeps spilling to apply messages and
// restarting: every entry arrives exactly once, and lag is reported while the learner takes entries slowly.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types } from '../../oltp/types.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { LearnerReplica } from '../../olap/learner/client.ts';
import { FeedRing } from '../../olap/learner/feed-ring.ts';
import type { TableDef } from '../../oltp/api.ts';
import { removeTempDirs, tempDir } from '../oltp/helpers.ts';
import { rng } from './workload.ts';

afterAll(removeTempDirs);

/** Entry `n`: its length and bytes follow from n, so the consumer can check what it got. */
function entry(n: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (n * 31 + i) & 0xff;
  return b;
}

/** Producer and consumer interleaved at random over `count` entries; returns the entries the producer could not write at once. */
function roundTrip(ring: FeedRing, seed: number, count: number, maxLen: number): number {
  const random = rng(seed);
  const lengths: number[] = [];
  let written = 0;
  let taken = 0;
  let refused = 0;
  while (taken < count) {
    // write a few (a full ring refuses and changes nothing)
    for (let k = Math.floor(random() * 8); k > 0 && written < count; k--) {
      const len = lengths[written] ?? Math.floor(random() * maxLen);
      lengths[written] = len;
      if (!ring.tryWrite(entry(written, len))) {
        refused++;
        break;
      }
      written++;
    }
    ring.publish();
    for (const got of ring.take(1 + Math.floor(random() * 6))) {
      expect(got.byteLength).toBe(lengths[taken]);
      expect(Buffer.compare(got, Buffer.from(entry(taken, lengths[taken]!)))).toBe(0);
      taken++;
    }
    expect(taken).toBeLessThanOrEqual(written);
  }
  expect(ring.take(10)).toEqual([]);
  expect(ring.drained).toBe(true);
  return refused;
}

describe('feed ring', () => {
  it('hands out every entry once, in order, across many wrap-arounds; a full ring refuses writes', () => {
    const ring = FeedRing.create(4096);
    expect(ring.capacity).toBe(4096);
    const refused = roundTrip(ring, 7, 20_000, 700);
    expect(refused).toBeGreaterThan(0); // the ring did fill up, and nothing written after a refusal was lost
  });

  it('keeps working when its byte counters pass 2^32', () => {
    const buffer = new SharedArrayBuffer(32 + 4096);
    const header = new Int32Array(buffer, 0, 2);
    header[0] = header[1] = -5000 | 0; // 2^32 - 5000 bytes already written and taken
    roundTrip(new FeedRing(buffer), 11, 3000, 300);
    expect(new Int32Array(buffer, 0, 2)[0]! >>> 0).toBeLessThan(2 ** 31); // it did wrap past 2^32
  });

  it('an entry larger than the ring is refused (the feeder sends it in a message)', () => {
    const ring = FeedRing.create(4096);
    expect(ring.tryWrite(new Uint8Array(5000))).toBe(false);
    expect(ring.tryWrite(new Uint8Array(10))).toBe(true);
    ring.publish();
    expect(ring.take(5).map((b) => b.byteLength)).toEqual([10]);
  });

  it('a sleeping consumer is woken by a publish; one with data waiting does not sleep', async () => {
    const ring = FeedRing.create(4096);
    let woke = false;
    const waiting = ring.waitForData().then(() => void (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    ring.tryWrite(new Uint8Array([1, 2, 3]));
    expect(ring.publish()).toBe(true); // the consumer sleeps: the producer must wake it
    ring.wake();
    await waiting;
    expect(woke).toBe(true);
    await ring.waitForData(); // data is there: resolves at once
    expect(ring.take(1)[0]).toEqual(Buffer.from([1, 2, 3]));
  });
});

async function kvTable(store: RowStore): Promise<TableDef> {
  const setup = store.begin();
  const t = await setup.createTable({ name: 'kv', columns: [{ name: 'k', type: Types.integer, notNull: true }, { name: 'v', type: Types.text, notNull: false }], primaryKey: [0] });
  await setup.commit();
  return t;
}

describe('replica fed through the ring', () => {
  for (const worker of [false, true]) {
    it(`${worker ? 'worker thread' : 'in-process'}: a ring too small for the stream spills to messages and restarts; every commit arrives once`, async () => {
      const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
      const t = await kvTable(store);
      const replica = await LearnerReplica.start(store, { worker, feedRingBytes: 4096, applyIntervalMs: 15, deltaRowsMax: 256 });
      const random = rng(worker ? 3 : 5);
      // 8 sessions, each inserting its own keys (s, s + 8, ...) and now and then updating its previous one
      await Promise.all(Array.from({ length: 8 }, async (_, s) => {
        for (let k = s; k < 600; k += 8) {
          // now and then an entry bigger than the whole ring: it can only go by message
          const v = random() < 0.03 ? 'x'.repeat(5000) : `v${k}`;
          const txn = store.begin();
          await txn.insert(t, [k, v]);
          if (k >= 8 && random() < 0.2) await txn.update(t, [k - 8], [k - 8, `u${k}`]);
          await txn.commit();
        }
      }));
      await replica.caughtUp();
      expect(replica.fed.ring).toBeGreaterThan(0);
      expect(replica.fed.messages).toBeGreaterThan(0);
      const r = await replica.read('kv');
      const rows = r.batches.flatMap(batchToRows).map((row) => [row[0] as number, row[1] as string] as const).sort((a, b) => a[0] - b[0]);
      expect(rows.length).toBe(600);
      // compare against the row store's own state (the updates above raced the inserts of other sessions)
      const txn = store.begin({ isolation: 'snapshot' });
      const truth: [number, string][] = [];
      for await (const b of txn.scan(t)) for (const row of b) truth.push([row[0] as number, row[1] as string]);
      txn.rollback();
      truth.sort((a, b) => a[0] - b[0]);
      expect(rows).toEqual(truth);
      expect((await replica.status()).appliedIndex).toBe(store.stats.appliedIndex);
      await replica.close();
      await store.close();
    });
  }

  it('a message after a spill waits for every entry the ring still holds, more than one take (4096) of them', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    const t = await kvTable(store);
    // in-process, taking the ring only every 60 s: the ring fills with ~5000 entries untouched
    const replica = await LearnerReplica.start(store, { worker: false, feedRingBytes: 1 << 19, applyIntervalMs: 60_000 });
    await replica.caughtUp();
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < 5000) {
        const txn = store.begin();
        await txn.insert(t, [next++, 'v']);
        await txn.commit();
      }
    }));
    expect(replica.fed.ring).toBeGreaterThan(4096);
    // an entry larger than the ring goes by message: the learner must first apply everything the ring holds
    const big = store.begin();
    await big.insert(t, [1_000_000, 'x'.repeat(600_000)]);
    await big.commit();
    // a consistent read sends the message at once (the feeder's own coalescing would wait applyIntervalMs)
    const r = await replica.read('kv');
    expect(replica.failure).toBeUndefined();
    expect(replica.fed.messages).toBeGreaterThan(1);
    expect(r.batches.flatMap(batchToRows).length).toBe(5001);
    await replica.close();
    await store.close();
  }, 60_000);

  it('a learner that takes entries slowly lags and says so; a read still sees its writes', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    const t = await kvTable(store);
    const replica = await LearnerReplica.start(store, { worker: false, applyIntervalMs: 400 });
    await replica.caughtUp();
    const messagesBefore = replica.fed.messages; // the catch-up at start (the CREATE TABLE) goes by message
    for (let k = 0; k < 30; k++) {
      const txn = store.begin();
      await txn.insert(t, [k, `v${k}`]);
      await txn.commit();
    }
    expect(replica.fed.messages).toBe(messagesBefore); // every commit went through the ring
    expect(replica.fed.ring).toBe(30);
    const behind = await replica.status();
    expect(behind.lagEntries).toBeGreaterThan(0);
    expect(behind.lagMs).toBeGreaterThan(0);
    // a consistent read does not wait for the interval: it makes the learner take what the ring holds
    const started = performance.now();
    const r = await replica.read('kv');
    expect(performance.now() - started).toBeLessThan(300);
    expect(r.batches.flatMap(batchToRows).length).toBe(30);
    await replica.whenApplied(store.stats.appliedIndex);
    expect((await replica.status()).lagEntries).toBe(0);
    await replica.close();
    await store.close();
  });

  it('a script awaiting whenApplied is kept alive until the learner answers, then exits without closing', () => {
    const dir = tempDir();
    const script = join(dir, 'wait-applied.mts');
    const rowstore = join(import.meta.dirname, '../../oltp/rowstore.ts');
    const client = join(import.meta.dirname, '../../olap/learner/client.ts');
    const types = join(import.meta.dirname, '../../oltp/types.ts');
    writeFileSync(script, [
      `import { RowStore } from ${JSON.stringify(rowstore)};`,
      `import { Types } from ${JSON.stringify(types)};`,
      `import { LearnerReplica } from ${JSON.stringify(client)};`,
      `const store = await RowStore.open(${JSON.stringify(join(dir, 'db'))});`,
      'const replica = await LearnerReplica.start(store, { applyIntervalMs: 50 });',
      'const setup = store.begin();',
      "const t = await setup.createTable({ name: 'kv', columns: [{ name: 'k', type: Types.integer, notNull: true }], primaryKey: [0] });",
      'await setup.commit();',
      'for (let k = 0; k < 20; k++) {',
      '  const txn = store.begin();',
      '  await txn.insert(t, [k]);',
      '  await txn.commit();',
      '  await replica.whenApplied(store.stats.appliedIndex);',
      '}',
      "console.log(`applied ${replica.appliedIndex === store.stats.appliedIndex} ring ${replica.fed.ring}`);",
    ].join('\n'));
    // unref'd while it waits, the learner thread's answer would come too late: the child would exit (code 13) early
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 90_000 });
    expect(child.stderr).not.toMatch(/Error|unsettled/);
    expect(child.stdout.trim()).toMatch(/^applied true ring [1-9]/);
    expect(child.status).toBe(0);
  }, 120_000);
});

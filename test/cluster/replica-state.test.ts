// In-process checks of what a cluster member does to its row store outside the normal commit path: installing
// a streamed image (InstallSnapshot), and allocating hidden row ids after applying other leaders' entries.

import { afterAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../oltp/commitlog.ts';
import type { SnapshotAckFrame, SnapshotChunkFrame } from '../../oltp/replication/codec.ts';
import { decodeRecords, exportImage } from '../../oltp/replication/snapshot-image.ts';
import { SnapshotReceiver, type ReceivedImage } from '../../oltp/replication/snapshot-receiver.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { crc32 } from '../../oltp/rowcodec.ts';
import { makeConfig } from '../../oltp/raft/index.ts';
import { Types } from '../../oltp/types.ts';
import { col, openStore, removeTempDirs, scanAll, tempDir } from '../oltp/helpers.ts';

afterAll(removeTempDirs);

function shipper(store: RowStore): LogEntry[] {
  const shipped: LogEntry[] = [];
  store.subscribe((entries) => shipped.push(...entries));
  return shipped;
}

async function insertNotes(store: RowStore, bodies: string[]): Promise<void> {
  const txn = store.begin();
  const t = txn.getTable('notes')!;
  for (const b of bodies) await txn.insert(t, [b]);
  await txn.commit();
}

async function contents(store: RowStore): Promise<unknown> {
  const txn = store.begin();
  const out: Record<string, unknown> = {};
  for (const t of txn.listTables().sort((x, y) => x.name.localeCompare(y.name))) {
    out[t.name] = { columns: t.columns.map((c) => c.name), indexes: t.indexes.map((i) => i.name), rows: await scanAll(txn, t.name) };
  }
  txn.rollback();
  return out;
}

/** The frames a leader would send for `store`'s image, chunked small so there are several. */
async function imageFrames(store: RowStore, chunkBytes: number): Promise<SnapshotChunkFrame[]> {
  const frames: SnapshotChunkFrame[] = [];
  let crc = 0;
  let bytes = 0;
  let records = 0;
  for await (const c of exportImage(store, chunkBytes)) {
    crc = crc32(c.data, 0, c.data.length, crc);
    bytes += c.data.length;
    records += c.records;
    frames.push({ kind: 'snapChunk', from: 1, to: 2, id: 't1', seq: frames.length, data: c.data });
  }
  const message = { type: 'snapshot', from: 1, to: 2, term: 3, snapshot: { meta: { index: 40, term: 3, config: makeConfig([1, 2, 3]) }, data: new Uint8Array(0) } } as const;
  frames.push({ kind: 'snapChunk', from: 1, to: 2, id: 't1', seq: frames.length, data: new Uint8Array(0), end: { crc, records, bytes, message } });
  return frames;
}

function receiveAll(frames: readonly SnapshotChunkFrame[]): { image: ReceivedImage | undefined; acks: SnapshotAckFrame[] } {
  const acks: SnapshotAckFrame[] = [];
  const receiver = new SnapshotReceiver({ id: 2, send: (a) => acks.push(a) });
  let image: ReceivedImage | undefined;
  for (const f of frames) image = receiver.receive(f) ?? image;
  return { image, acks };
}

describe('row-store image (InstallSnapshot)', () => {
  it('replaces a replica with the image: same tables, rows, indexes and applied index; then applies later entries', async () => {
    const leader = await openStore();
    const shipped = shipper(leader);
    const setup = leader.begin();
    await setup.createTable({ name: 'items', columns: [col('id', Types.integer, true), col('tag', Types.text), col('n')], primaryKey: [0] });
    await setup.createIndex('items', { name: 'items_tag', columns: [1], unique: false });
    await setup.createTable({ name: 'notes', columns: [col('body', Types.text)], primaryKey: [] });
    await setup.commit();
    for (let round = 0; round < 5; round++) {
      const txn = leader.begin();
      const t = txn.getTable('items')!;
      for (let i = 0; i < 30; i++) {
        const id = round * 10 + i;
        if (txn.get(t, [id])) await txn.update(t, [id], [id, `r${round}`, round]);
        else await txn.insert(t, [id, `r${round}`, 0]);
      }
      if (round > 0) await txn.delete(t, [round]);
      await txn.commit();
    }
    await insertNotes(leader, ['x', 'y']);

    // The replica held other state (and handed out more transaction ids) before the install.
    const dir = tempDir();
    let replica = await openStore(dir);
    const own = replica.begin();
    await own.createTable({ name: 'junk', columns: [col('a')], primaryKey: [0] });
    await own.commit();
    for (let i = 0; i < 50; i++) replica.begin().rollback();
    const txnIdBefore = replica.begin().id;

    const frames = await imageFrames(leader, 300);
    expect(frames.length).toBeGreaterThan(5);
    const { image, acks } = receiveAll(frames);
    expect(acks.every((a) => a.ok)).toBe(true);
    expect(image?.message.snapshot.meta.index).toBe(40);
    await replica.installImage(decodeRecords(image!.chunks));

    expect(await contents(replica)).toEqual(await contents(leader));
    expect(replica.stats.appliedIndex).toBe(leader.stats.appliedIndex);
    expect(replica.stats.appliedTs).toBe(leader.stats.appliedTs);
    expect(replica.begin().id).toBeGreaterThan(txnIdBefore);

    // Entries committed after the image apply on top of it; the ones it already holds are skipped.
    const txn = leader.begin();
    await txn.insert(txn.getTable('items')!, [999, 'late', 9]);
    await txn.commit();
    await insertNotes(leader, ['z']);
    await replica.applyCommitted(shipped);
    expect(await contents(replica)).toEqual(await contents(leader));
    await replica.close();
    replica = await openStore(dir);
    expect(await contents(replica)).toEqual(await contents(leader));
    // It allocates hidden row ids above the image's (no note is overwritten).
    await insertNotes(replica, ['w']);
    const check = replica.begin();
    expect((await scanAll(check, 'notes')).map((r) => r[0]).sort()).toEqual(['w', 'x', 'y', 'z']);
    check.rollback();
    await replica.close();
    await leader.close();
  });

  it('refuses a transfer with a lost chunk or a damaged image, and accepts it resent whole', async () => {
    const store = await openStore();
    const setup = store.begin();
    await setup.createTable({ name: 'notes', columns: [col('body', Types.text)], primaryKey: [] });
    await setup.commit();
    await insertNotes(store, Array.from({ length: 40 }, (_, i) => `note ${i}`));
    const frames = await imageFrames(store, 200);
    expect(frames.length).toBeGreaterThan(3);

    const gap = receiveAll([...frames.slice(0, 1), ...frames.slice(2)]);
    expect(gap.image).toBeUndefined();
    expect(gap.acks.some((a) => !a.ok)).toBe(true);

    const last = frames[frames.length - 1]!;
    const damaged = receiveAll([...frames.slice(0, -1), { ...last, end: { ...last.end!, crc: (last.end!.crc + 1) >>> 0 } }]);
    expect(damaged.image).toBeUndefined();
    expect(damaged.acks[damaged.acks.length - 1]?.ok).toBe(false);

    const cut = Buffer.from(frames[0]!.data).subarray(0, 7);
    const malformed = receiveAll([{ ...frames[0]!, data: cut }, ...frames.slice(1)]);
    expect(malformed.image).toBeUndefined();

    const whole = receiveAll(frames);
    expect(whole.image).toBeDefined();
    expect([...decodeRecords(whole.image!.chunks)].length).toBe(last.end!.records);
    await store.close();
  });
});

describe('hidden row ids across leader changes', () => {
  it('a node that allocated row ids as leader, then applied another leader\'s inserts, allocates above them', async () => {
    const first = await openStore();
    const second = await openStore();
    const fromFirst = shipper(first);
    const fromSecond = shipper(second);
    const setup = first.begin();
    await setup.createTable({ name: 'notes', columns: [col('body', Types.text)], primaryKey: [] });
    await setup.commit();
    await insertNotes(first, ['first-1']); // first caches its next row id
    await second.applyCommitted(fromFirst);
    await insertNotes(second, ['second-1', 'second-2']); // leadership moved to second
    await first.applyCommitted(fromSecond);
    await insertNotes(first, ['first-2']); // and back to first
    await second.applyCommitted(fromFirst);
    for (const store of [first, second]) {
      const txn = store.begin();
      expect((await scanAll(txn, 'notes')).map((r) => r[0]).sort()).toEqual(['first-1', 'first-2', 'second-1', 'second-2']);
      txn.rollback();
    }
    await first.close();
    await second.close();
  });
});

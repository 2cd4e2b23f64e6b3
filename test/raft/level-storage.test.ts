// LevelStorage: the Raft log, hard state and snapshot survive a reopen; the applied index rides in the
// state machine's own batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../oltp/raft/config.ts';
import { LevelStorage } from '../../oltp/raft/level-storage.ts';
import { RaftNode } from '../../oltp/raft/node.ts';
import { SeededRandom } from '../../oltp/raft/rand.ts';
import { bootstrapSnapshot } from '../../oltp/raft/storage.ts';
import type { Entry } from '../../oltp/raft/types.ts';
import { text, untext } from './harness.ts';

const dirs: string[] = [];
function openDb(dir?: string): { db: ClassicLevel<string, Uint8Array>; dir: string } {
  const path = dir ?? mkdtempSync(join(tmpdir(), 'duet-raft-'));
  if (dir === undefined) dirs.push(path);
  return { db: new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' }), dir: path };
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const entry = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, type: 'normal', data: text(data) });

describe('LevelStorage', () => {
  it('persists hard state and entries, truncates a replaced suffix, and reads them back after reopening', async () => {
    const { db, dir } = openDb();
    const config = makeConfig([1, 2, 3]);
    const storage = await LevelStorage.open(db, 'raft', bootstrapSnapshot(config));
    await storage.persist({ hardState: { term: 2, vote: 1, commit: 1 }, entries: [entry(1, 1), entry(2, 1), entry(3, 2)] });
    await storage.persist({ entries: [entry(3, 3, 'replaced'), entry(4, 3)] });
    expect(storage.lastIndex()).toBe(4);
    await db.close();

    const { db: db2 } = openDb(dir);
    const reopened = await LevelStorage.open(db2, 'raft');
    expect(reopened.initialState()).toEqual({ hardState: { term: 2, vote: 1, commit: 1 }, snapshotMeta: { index: 0, term: 0, config } });
    expect(reopened.entries(1, 5).map((e) => [e.index, e.term, untext(e.data)])).toEqual([
      [1, 1, 'e1'],
      [2, 1, 'e2'],
      [3, 3, 'replaced'],
      [4, 3, 'e4'],
    ]);
    // A shorter replacement must not leave the old tail behind.
    await reopened.persist({ entries: [entry(2, 4)] });
    expect(reopened.lastIndex()).toBe(2);
    await db2.close();
  });

  it('compacts through a snapshot and installs a received snapshot, both durably', async () => {
    const { db, dir } = openDb();
    const config = makeConfig([1]);
    const storage = await LevelStorage.open(db, 'raft', bootstrapSnapshot(config));
    await storage.persist({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
    await storage.createSnapshot({ meta: { index: 2, term: 1, config }, data: text('image@2') });
    expect([storage.firstIndex(), storage.lastIndex()]).toEqual([3, 3]);
    await db.close();
    const { db: db2 } = openDb(dir);
    const reopened = await LevelStorage.open(db2, 'raft');
    expect([reopened.firstIndex(), reopened.lastIndex(), reopened.term(2)]).toEqual([3, 3, 1]);
    expect(untext(reopened.snapshot().data)).toBe('image@2');
    const received = { meta: { index: 10, term: 4, config: makeConfig([1, 2]) }, data: text('image@10') };
    await reopened.persist({ entries: [], snapshot: received });
    await db2.close();
    const { db: db3 } = openDb(dir);
    const again = await LevelStorage.open(db3, 'raft');
    expect([again.firstIndex(), again.lastIndex()]).toEqual([11, 10]);
    expect(again.snapshot().meta).toEqual(received.meta);
    await db3.close();
  });

  it('records the applied index atomically in the state machine\'s own batch', async () => {
    const { db, dir } = openDb();
    const storage = await LevelStorage.open(db, 'raft');
    expect(storage.storedAppliedIndex()).toBe(0);
    await db.batch([{ type: 'put', key: 'row/1', value: text('applied row') }, storage.appliedIndexOp(7)], { sync: true });
    await db.close();
    const { db: db2 } = openDb(dir);
    const reopened = await LevelStorage.open(db2, 'raft');
    expect(reopened.storedAppliedIndex()).toBe(7);
    expect(untext(await db2.get('row/1') as Uint8Array)).toBe('applied row');
    await db2.close();
  });

  it('drives a RaftNode across a restart: committed entries come back after the applied index', async () => {
    const { db, dir } = openDb();
    const storage = await LevelStorage.open(db, 'raft', bootstrapSnapshot(makeConfig([1])));
    const node = new RaftNode({ id: 1, storage, random: new SeededRandom(1) });
    node.campaign();
    node.propose(text('a'));
    node.propose(text('b'));
    const applied: string[] = [];
    while (node.hasReady()) {
      const rd = node.ready();
      await storage.persist(rd);
      for (const e of rd.committedEntries) if (e.data.length > 0) applied.push(untext(e.data));
      node.advance(rd);
    }
    expect(applied).toEqual(['a', 'b']);
    // The state machine made only index 2 ('a') durable before the crash; 'b' must come back.
    await db.batch([storage.appliedIndexOp(2)]);
    await db.close();

    const { db: db2 } = openDb(dir);
    const reopened = await LevelStorage.open(db2, 'raft');
    const restarted = new RaftNode({ id: 1, storage: reopened, random: new SeededRandom(2), applied: reopened.storedAppliedIndex() });
    expect(restarted.status()).toMatchObject({ term: 1, commit: 3, applied: 2 });
    const rd = restarted.ready();
    expect(rd.committedEntries.map((e) => untext(e.data))).toEqual(['b']);
    restarted.advance(rd);
    await db2.close();
  });
});

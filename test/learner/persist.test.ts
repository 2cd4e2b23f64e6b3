// Segmented persistence: only segments whose blocks changed are rewritten (appends touch the tail, an
// update touches the segment holding the old version), and a reload equals the state that was saved.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types } from '../../oltp/types.ts';
import { readLogRange } from '../../cdc/log.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { Learner } from '../../olap/learner/learner.ts';
import { loadLearner, saveLearner, SEGMENT_BLOCKS, type PersistCache } from '../../olap/learner/persist.ts';
import { BLOCK_ROWS } from '../../olap/learner/block.ts';
import { canon } from './workload.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('learner persistence', () => {
  it('rewrites only changed segments and reloads what it saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-learner-persist-'));
    dirs.push(dir);
    const store = await RowStore.open(join(dir, 'db'), { gcIntervalMs: 0 });
    const learner = new Learner();
    const feed = async (): Promise<void> => {
      while (learner.appliedIndex < store.stats.appliedIndex) learner.applyEntries(await readLogRange(store, learner.appliedIndex + 1, store.stats.appliedIndex));
    };
    let txn = store.begin();
    const t = await txn.createTable({ name: 'p', columns: [{ name: 'id', type: Types.integer, notNull: true }, { name: 's', type: Types.text, notNull: false }], primaryKey: [0] });
    await txn.commit();
    const segmentRows = SEGMENT_BLOCKS * BLOCK_ROWS;
    const insert = async (from: number, to: number): Promise<void> => {
      txn = store.begin();
      for (let id = from; id < to; id++) await txn.insert(t, [id, `s${id % 7}`]);
      await txn.commit();
    };
    await insert(0, segmentRows * 2 + 100); // two full segments and a short third
    await feed();
    learner.compact();
    const cache: PersistCache = new Map();
    const ldir = join(dir, 'learner');
    expect(saveLearner(ldir, learner, cache).filesWritten).toBe(3);
    await insert(segmentRows * 2 + 100, segmentRows * 2 + 200); // appends: only the tail segment changes
    await feed();
    learner.compact();
    expect(saveLearner(ldir, learner, cache).filesWritten).toBe(1);
    txn = store.begin();
    await txn.update(t, [5], [5, 'changed']); // ends a version in segment 0, appends to the tail
    await txn.commit();
    await feed();
    learner.compact();
    expect(saveLearner(ldir, learner, cache).filesWritten).toBe(2);
    expect(saveLearner(ldir, learner, cache).filesWritten).toBe(0);

    const restored = new Learner();
    restored.restore(loadLearner(ldir, new Map())!);
    const rows = (l: Learner): string[] => canon(l.scan('p', l.appliedTs).flatMap(batchToRows));
    expect(restored.appliedIndex).toBe(learner.appliedIndex);
    expect(rows(restored)).toEqual(rows(learner));
    expect(rows(restored)).toContain(JSON.stringify([5, 'changed']));
    expect(rows(restored)).toHaveLength(segmentRows * 2 + 200);
    // the restored learner keeps applying the log where the files end
    await insert(100_000, 100_010);
    while (restored.appliedIndex < store.stats.appliedIndex) restored.applyEntries(await readLogRange(store, restored.appliedIndex + 1, store.stats.appliedIndex));
    expect(restored.scan('p', restored.appliedTs).flatMap(batchToRows)).toHaveLength(segmentRows * 2 + 210);
    await store.close();
  });
});

// The helper thread on its own: blocks shared once (numbers, decimals, dictionary and plain strings, NULLs),
// morsels claimed from the shared counter, visibility from the shared end mirror (refreshed after an update
// ends a version), and blocks dropped when the learner lets go of them.
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { batchToRows } from '../../olap/exec/batch.ts';
import type { AggregateNode, ScanNode } from '../../olap/exec/spec.ts';
import { BlockBuilder, type Block } from '../../olap/learner/block.ts';
import { Helper } from '../../olap/parallel/helper.ts';
import { HelperThread } from '../../olap/parallel/helper-client.ts';
import { newMorselCounter } from '../../olap/parallel/morsel.ts';
import type { HelperDone } from '../../olap/parallel/protocol.ts';
import { shareVector } from '../../olap/parallel/shared-columns.ts';
import type { SqlType, Value } from '../../oltp/types.ts';

const TYPES: SqlType[] = [{ id: 'integer' }, { id: 'varchar' }, { id: 'varchar' }, { id: 'decimal', precision: 12, scale: 2 }];
const BLOCKS = 5;
const ROWS = 100;

/** Row r of block b: a key, a dictionary-friendly string, a unique string, a decimal with NULLs. */
function rowOf(b: number, r: number): Value[] {
  const a = b * ROWS + r;
  return [a, `g${a % 3}`, `u${a}·é`, a % 7 === 0 ? null : BigInt(a * 125)];
}

function blocks(): Block[] {
  return Array.from({ length: BLOCKS }, (_, b) => {
    const builder = new BlockBuilder(TYPES);
    // begin 10 for all; rows with r % 10 = 9 ended at 20 (invisible at ts 30)
    for (let r = 0; r < ROWS; r++) builder.appendRow(rowOf(b, r), Uint8Array.of(b, r), 10, r % 10 === 9 ? 20 : Infinity);
    return builder.finish();
  });
}

const scan: ScanNode = { kind: 'scan', table: 't', columns: TYPES.map((type, i) => ({ name: `c${i}`, type })) };
const col = (index: number) => ({ kind: 'col' as const, index, type: TYPES[index]! });
const plan: AggregateNode = {
  kind: 'aggregate', input: scan, groupBy: [col(1)],
  aggregates: [{ fn: 'count_star', distinct: false, type: { id: 'bigint' } }, { fn: 'sum', arg: col(3), distinct: false, type: { id: 'decimal', scale: 2 } }, { fn: 'max', arg: col(2), distinct: false, type: { id: 'varchar' } }],
  names: ['g', 'n', 's', 'm'],
};

/** The same aggregate computed directly over the rows of `which` blocks visible at ts. */
function expected(which: readonly number[], ended: (b: number, r: number) => boolean): string[] {
  const groups = new Map<string, { n: number; s: bigint | null; m: string }>();
  for (const b of which) for (let r = 0; r < ROWS; r++) {
    if (ended(b, r)) continue;
    const [, g, u, d] = rowOf(b, r) as [number, string, string, bigint | null];
    const cur = groups.get(g) ?? { n: 0, s: null, m: '' };
    cur.n++;
    if (d !== null) cur.s = (cur.s ?? 0n) + d;
    if (u > cur.m) cur.m = u;
    groups.set(g, cur);
  }
  return [...groups].map(([g, v]) => JSON.stringify([g, v.n, v.s === null ? null : String(v.s), v.m])).sort();
}

const text = (done: HelperDone): string[] => done.batches.flatMap(batchToRows).map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();

function runMsg(ids: Int32Array, counter: Int32Array, ts: number) {
  return { kind: 'run' as const, plan, params: [], ts, scans: [{ index: 1, blocks: ids, columns: [0, 1, 2, 3], types: TYPES, split: true, delta: [] }], counter, morselBlocks: 2, analyze: false };
}

describe('helper thread', () => {
  it('reads only the morsels it claims, rows visible at ts', async () => {
    const bs = blocks();
    let answered: (m: HelperDone) => void = () => undefined;
    const answer = (): Promise<HelperDone> => new Promise((resolve) => (answered = resolve));
    const helper = new Helper((m) => answered(m));
    helper.handle({
      kind: 'blocks', drop: [],
      add: bs.map((b, i) => ({ id: i + 1, rows: b.rows, begin: b.begin, end: b.end })),
      columns: bs.flatMap((b, i) => [0, 1, 2, 3].map((c) => ({ id: i + 1, column: c, data: shareVector(b.columns[c]!).posted }))),
    });
    const counter = newMorselCounter();
    // another thread already claimed morsel 0 (blocks 0 and 1): this one gets morsels 1 and 2
    Atomics.store(counter, 0, 1);
    let got = answer();
    helper.handle({ ...runMsg(Int32Array.from([1, 2, 3, 4, 5]), counter, 30), id: 7 });
    let done = await got;
    expect(done.error).toBeUndefined();
    expect(done.blocksScanned).toBe(3);
    expect(text(done)).toEqual(expected([2, 3, 4], (_, r) => r % 10 === 9));
    // at ts 15 the ended versions are still visible
    got = answer();
    helper.handle({ ...runMsg(Int32Array.from([1, 2]), newMorselCounter(), 15), id: 8 });
    done = await got;
    expect(text(done)).toEqual(expected([0, 1], () => false));
    helper.handle({ kind: 'blocks', add: [], columns: [], drop: [1, 2] });
    expect(helper.size).toBe(BLOCKS - 2);
  });

  const thread = new HelperThread(new Worker(new URL('../../olap/parallel/helper-boot.mjs', import.meta.url)));
  afterAll(async () => {
    await thread.close();
  });

  it('through a real thread: shared once, end mirrors refreshed after an update', async () => {
    const bs = blocks();
    const ids = thread.share(bs, [0, 1, 2, 3]);
    // the block now holds its columns on shared memory (no second copy on the learner)
    expect(bs[0]!.columns[0]!.kind === 'number' && bs[0]!.columns[0]!.data.buffer instanceof SharedArrayBuffer).toBe(true);
    const first = await thread.run(runMsg(ids, newMorselCounter(), 30));
    expect(text(first)).toEqual(expected([0, 1, 2, 3, 4], (_, r) => r % 10 === 9));
    // an update ends row 0 of block 3 at ts 25 (as table.ts does: in place, endChanges counted)
    bs[3]!.end[0] = 25;
    bs[3]!.endChanges++;
    const again = thread.share(bs, [0, 1, 2, 3]);
    expect([...again]).toEqual([...ids]);
    const second = await thread.run(runMsg(again, newMorselCounter(), 30));
    expect(text(second)).toEqual(expected([0, 1, 2, 3, 4], (b, r) => r % 10 === 9 || (b === 3 && r === 0)));
  });
});

// blockBytes (the learner's memory estimate in its status) is cached per block; ADD COLUMN, the one change
// to a built block's vectors, must still show up in it.

import { describe, expect, it } from 'vitest';
import { BlockBuilder, blockBytes, vectorBytes } from '../../olap/learner/block.ts';
import { Types } from '../../oltp/types.ts';

describe('blockBytes', () => {
  it('counts every vector, and a column added after the first call', () => {
    const b = new BlockBuilder([Types.integer, Types.text]);
    for (let i = 0; i < 100; i++) b.appendRow([i, `row number ${i}`], new Uint8Array([i]), 1, Infinity);
    const block = b.finish();
    const first = blockBytes(block);
    expect(first).toBeGreaterThan(100 * 8 + 100 * 16);
    expect(blockBytes(block)).toBe(first);
    const added = { kind: 'number' as const, data: new Float64Array(100), valid: undefined };
    block.columns.push(added);
    expect(blockBytes(block)).toBe(first + vectorBytes(added));
  });
});

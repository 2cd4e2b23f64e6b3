// allVisibleAt (olap/learner/block.ts), the check that lets a scan hand out a stable block without testing its
// rows one by one: it must say "all visible" exactly when every row has begin <= ts < end, also after ends are
// lowered in place (an update or delete of a stable version counts itself in endChanges).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allVisibleAt, BlockBuilder, TS_LIVE, type Block } from '../../olap/learner/block.ts';
import { Types } from '../../oltp/types.ts';

function block(begins: number[], ends: number[]): Block {
  const b = new BlockBuilder([Types.integer]);
  begins.forEach((begin, i) => b.appendRow([i], Uint8Array.of(i), begin, ends[i]!));
  return b.finish();
}

function everyRowVisible(b: Block, ts: number): boolean {
  for (let i = 0; i < b.rows; i++) if (!(b.begin[i]! <= ts && ts < b.end[i]!)) return false;
  return true;
}

describe('allVisibleAt', () => {
  it('equals the row-by-row check, before and after in-place end changes', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined })), { minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 60 })), { maxLength: 5 }),
      fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 6 }),
      (rows, updates, reads) => {
        const b = block(rows.map(([begin]) => begin), rows.map(([begin, end]) => (end === undefined ? TS_LIVE : Math.max(begin + 1, end))));
        for (const ts of reads) expect(allVisibleAt(b, ts)).toBe(everyRowVisible(b, ts));
        for (const [row, endTs] of updates) {
          b.end[row % b.rows] = endTs;
          b.endChanges++;
          for (const ts of reads) expect(allVisibleAt(b, ts)).toBe(everyRowVisible(b, ts));
        }
      },
    ), { numRuns: 300 });
  });

  it('a block of live versions is wholly visible from its newest begin on', () => {
    const b = block([5, 9, 7], [TS_LIVE, TS_LIVE, TS_LIVE]);
    expect(allVisibleAt(b, 8)).toBe(false);
    expect(allVisibleAt(b, 9)).toBe(true);
    b.end[1] = 12;
    b.endChanges++;
    expect(allVisibleAt(b, 11)).toBe(true);
    expect(allVisibleAt(b, 12)).toBe(false);
  });
});

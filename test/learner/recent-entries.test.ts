// The feeder's window of committed entries (olap/learner/recent-entries.ts) against a simple model: it
// returns exactly the bytes of the newest contiguous entries it was given, within its bounds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RECENT_BYTES_MAX, RECENT_ENTRIES_MAX, RecentEntries } from '../../olap/learner/recent-entries.ts';

const entry = (index: number, bytes = 8): Uint8Array => new Uint8Array(bytes).fill(index & 0xff);

describe('RecentEntries', () => {
  it('holds the newest contiguous entries, never a wrong one, within its entry bound', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ size: fc.integer({ min: 0, max: 700 }), gap: fc.boolean(), sent: fc.integer({ min: 0, max: 900 }) }), { maxLength: 30 }), (steps) => {
        const recent = new RecentEntries();
        const given = new Map<number, Uint8Array>();
        let last = 0;
        let sent = 0;
        let lastAdded = 0; // newest index of the last non-empty group
        let runStart = 1; // first index of the current contiguous run of groups
        for (const step of steps) {
          if (step.gap) last += 5; // a snapshot install: the next group does not follow
          const group = Array.from({ length: step.size }, (_, i) => entry(last + 1 + i));
          group.forEach((e, i) => given.set(last + 1 + i, e));
          if (group.length > 0) {
            if (last + 1 !== lastAdded + 1) runStart = last + 1;
            lastAdded = last + group.length;
          }
          last += step.size;
          recent.add(last, group);
          sent = Math.min(last, sent + step.sent);
          recent.dropThrough(sent);
          expect(recent.size).toBeLessThanOrEqual(RECENT_ENTRIES_MAX);
          // everything it holds is the right entry, newer than what was sent, in the current run
          const wrong: number[] = [];
          for (let i = Math.max(1, last - RECENT_ENTRIES_MAX - 50); i <= last + 2; i++) {
            const got = recent.get(i);
            if (got !== undefined && (got !== given.get(i) || i <= sent || i < runStart)) wrong.push(i);
          }
          expect(wrong).toEqual([]);
          // and it holds the newest unsent entries of the run, up to its bound
          const expectHeld = Math.max(0, Math.min(RECENT_ENTRIES_MAX, lastAdded - Math.max(sent, runStart - 1)));
          expect(recent.size).toBe(expectHeld);
          if (expectHeld > 0) expect(recent.get(lastAdded)).toBe(given.get(lastAdded));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps at most RECENT_BYTES_MAX bytes: large entries push out older ones', () => {
    const recent = new RecentEntries();
    const big = 1 << 20;
    for (let i = 1; i <= 10; i++) recent.add(i, [entry(i, big)]);
    expect(recent.size).toBe(Math.floor(RECENT_BYTES_MAX / big));
    expect(recent.get(10)?.byteLength).toBe(big);
    expect(recent.get(10 - recent.size)).toBeUndefined();
  });
});

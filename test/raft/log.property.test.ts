// Property test: RaftLog (stable storage + unstable tail + compaction) against a plain array of entries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../oltp/raft/config.ts';
import { RaftLog } from '../../oltp/raft/log.ts';
import { bootstrapSnapshot, MemoryStorage } from '../../oltp/raft/storage.ts';
import type { Entry } from '../../oltp/raft/types.ts';

type Op =
  | { kind: 'append'; back: number; count: number; termBump: number }
  | { kind: 'persist' }
  | { kind: 'commit'; back: number }
  | { kind: 'compact'; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), back: fc.nat(6), count: fc.integer({ min: 1, max: 4 }), termBump: fc.nat(2) }),
  fc.record({ kind: fc.constant('persist' as const) }),
  fc.record({ kind: fc.constant('commit' as const), back: fc.nat(4) }),
  fc.record({ kind: fc.constant('compact' as const), back: fc.nat(3) }),
);

function check(log: RaftLog, model: Entry[], snapshotIndex: number): void {
  expect(log.lastIndex()).toBe(model.length);
  expect(log.firstIndex()).toBe(snapshotIndex + 1);
  for (let i = 0; i <= model.length + 1; i++) {
    const expected = i < snapshotIndex || i > model.length ? undefined : i === 0 ? 0 : model[i - 1]!.term;
    expect(log.term(i)).toBe(expected);
  }
  expect(log.entries(snapshotIndex + 1, model.length + 1)).toEqual(model.slice(snapshotIndex));
  // Fast backtracking agrees with a brute-force scan of the model.
  const last = model.length;
  for (const term of [0, 1, 3, 6]) {
    let j = last;
    while (j > snapshotIndex && model[j - 1]!.term > term) j--;
    const expectedTerm = j === 0 ? 0 : j <= snapshotIndex ? log.term(j) : model[j - 1]!.term;
    const found = log.findConflictByTerm(last, term);
    if (j === snapshotIndex && snapshotIndex > 0 && (log.term(j) ?? 0) > term) {
      // Stopped at the compaction boundary: the hint is the boundary itself.
      expect(found.index).toBe(j - 1);
    } else {
      expect(found).toEqual({ index: j, term: expectedTerm });
    }
  }
}

describe('RaftLog against an array model', () => {
  it('append with truncation, persist, commit and compaction keep terms and entries equal to the model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const storage = new MemoryStorage(bootstrapSnapshot(makeConfig([1])));
        const log = new RaftLog(storage, 0);
        const model: Entry[] = [];
        let snapshotIndex = 0;
        for (const op of ops) {
          if (op.kind === 'append') {
            const at = Math.max(log.committed + 1, model.length + 1 - op.back);
            const prevTerm = at === 1 ? 0 : model[at - 2]?.term ?? 0;
            const term = prevTerm + op.termBump;
            const entries: Entry[] = Array.from({ length: op.count }, (_, i) => ({ index: at + i, term: Math.max(term, 1), type: 'normal', data: new Uint8Array([at + i, term]) }));
            log.append(entries);
            model.length = at - 1;
            model.push(...entries);
          } else if (op.kind === 'persist') {
            const unstable = [...log.unstableEntries()];
            storage.append(unstable);
            const last = unstable.at(-1);
            if (last !== undefined) log.stableTo(last.index, last.term);
          } else if (op.kind === 'commit') {
            log.commitTo(Math.max(log.committed, model.length - op.back));
          } else {
            // An application snapshots only what it applied, and it applies an entry only after persisting it
            // (the Ready contract): compact at most through the committed entries that left the unstable tail.
            // Storage may still hold an older entry at an index the unstable tail is about to overwrite.
            const firstUnstable = log.unstableEntries()[0]?.index ?? storage.lastIndex() + 1;
            const index = Math.min(log.committed, firstUnstable - 1) - op.back;
            if (index > snapshotIndex) {
              storage.createSnapshot({ meta: { index, term: storage.term(index)!, config: makeConfig([1]) }, data: new Uint8Array(0) });
              snapshotIndex = index;
            }
          }
          check(log, model, snapshotIndex);
        }
      }),
      { numRuns: Number(process.env.RAFT_LOG_RUNS ?? 300) },
    );
  });
});

// Issue 5's differential under the full Raft simulator: every node's state machine is the columnar learner,
// fed a real row-store commit log one entry at a time through reordering, duplication, drops, partitions,
// leader changes, membership changes, log compaction with InstallSnapshot, and crashes that drop the learner's
// memory (restart from its own last save or a snapshot image, then catch up). After every restore, and at the
// end on every node, full scans at the applied timestamp and at random older ones equal the row store.
// Deterministic by seed; DUET_SIM_SEED=123 replays one; DUET_LEARNER_SIM_SEEDS=N runs more (by hand:
// test/learner/sim-run-many.ts).
import { describe, expect, it } from 'vitest';
import { referenceFor, runLearnerSim } from './sim-run.ts';

const single = process.env.DUET_SIM_SEED;
const seedCount = Number(process.env.DUET_LEARNER_SIM_SEEDS ?? 5);
const TIMEOUT_MS = 120_000;

describe('columnar learner under the Raft simulator', () => {
  if (single !== undefined) {
    it(`replays seed ${single}`, async () => {
      const seed = Number(single);
      console.log(JSON.stringify(runLearnerSim(seed, await referenceFor(seed))));
    }, TIMEOUT_MS);
    return;
  }

  it('is deterministic: one seed gives one history', async () => {
    // short chaos (the drain still commits the whole log): the point is equality, and CI time
    const ref = await referenceFor(4);
    expect(runLearnerSim(4, ref, 1000, 1000)).toEqual(runLearnerSim(4, ref, 1000, 1000));
  }, TIMEOUT_MS);

  it(`seeds 1..${seedCount}: scans equal the row store after every restore and at the end`, async () => {
    const totals = { restoresFromDir: 0, restoresFromImage: 0, debrisLeft: 0, snapshots: 0, crashes: 0, leaderTerms: 0, retries: 0, committedUnderFaults: 0, tablesCompared: 0 };
    for (let seed = 1; seed <= seedCount; seed++) {
      const r = runLearnerSim(seed, await referenceFor(seed));
      totals.restoresFromDir += r.learner.restoresFromDir;
      totals.restoresFromImage += r.learner.restoresFromImage;
      totals.debrisLeft += r.learner.debrisLeft;
      totals.snapshots += r.learner.snapshots;
      totals.committedUnderFaults += r.committedUnderFaults;
      totals.crashes += r.crashes;
      totals.leaderTerms += r.leaderTerms;
      totals.retries += r.retries;
      totals.tablesCompared += r.learner.tablesCompared;
    }
    // The faults the test claims happened: restarts from a save and from an image, re-proposals, elections.
    for (const [name, value] of Object.entries(totals)) expect(value, name).toBeGreaterThan(0);
  }, TIMEOUT_MS);
});

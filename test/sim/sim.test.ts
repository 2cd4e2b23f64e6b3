// Runs the deterministic simulator over many seeds (CI: 1,000; DUET_SIM_SEEDS overrides) or replays one
// failing seed: DUET_SIM_SEED=123 npx vitest run test/sim
import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation.ts';

const single = process.env.DUET_SIM_SEED;
const seedCount = Number(process.env.DUET_SIM_SEEDS ?? 1000);
const batchSize = 250;

describe('raft simulator', () => {
  if (single !== undefined) {
    it(`replays seed ${single}`, () => {
      const result = new Simulation({ seed: Number(single) }).run();
      console.log(JSON.stringify(result));
    });
    return;
  }

  it('is deterministic: one seed gives one history', () => {
    const a = new Simulation({ seed: 42 }).run();
    const b = new Simulation({ seed: 42 }).run();
    expect(b).toEqual(a);
    const c = new Simulation({ seed: 43 }).run();
    expect(c).not.toEqual(a);
  });

  it('exercises the faults it claims to (crashes, elections, snapshots, membership, reads, transfers)', () => {
    const totals = { crashes: 0, leaderTerms: 0, snapshots: 0, confChanges: 0, reads: 0, commits: 0, transfers: 0 };
    for (let seed = 1; seed <= 50; seed++) {
      const r = new Simulation({ seed }).run();
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += r[key];
    }
    for (const value of Object.values(totals)) expect(value).toBeGreaterThan(20);
  });

  for (let from = 1; from <= seedCount; from += batchSize) {
    const to = Math.min(seedCount, from + batchSize - 1);
    it(`seeds ${from}..${to}: safety at every step, liveness after healing`, () => {
      // Every failure message carries its seed and the command that replays it.
      for (let seed = from; seed <= to; seed++) new Simulation({ seed }).run();
    });
  }
});

// One run of the Raft simulator (test/sim) with the columnar learner as every node's state machine, fed a
// real commit log one entry at a time; shared by sim-learner.test.ts (CI) and sim-run-many.ts (by hand).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation, type SimResult } from '../sim/simulation.ts';
import { SequentialClient } from '../sim/log-client.ts';
import { LearnerMachine, newLearnerSimStats, type LearnerSimStats } from './sim-machine.ts';
import { commitLogIndex, referenceLog, type ReferenceLog } from './sim-reference.ts';

/**
 * Distinct workloads (reference logs) the seeds cycle through: generating one takes a real row store, so CI
 * uses 4; DUET_SIM_WORKLOADS=N (sim-run-many.ts --workloads N) uses more, and a replay needs the same N.
 */
export function referenceLogCount(): number {
  return Number(process.env.DUET_SIM_WORKLOADS ?? 4);
}
const WORKLOAD_STEPS = 120;

export interface LearnerSimResult extends SimResult {
  readonly logEntries: number;
  readonly proposals: number;
  readonly retries: number;
  /** Log entries committed while faults were on (the rest commit while draining). */
  readonly committedUnderFaults: number;
  readonly learner: LearnerSimStats;
}

const references = new Map<number, Promise<ReferenceLog>>();

/** The reference log a simulation seed uses (cached per process). */
export function referenceFor(seed: number): Promise<ReferenceLog> {
  const workloadSeed = 1 + (seed % referenceLogCount());
  let ref = references.get(workloadSeed);
  if (ref === undefined) {
    ref = referenceLog(workloadSeed, WORKLOAD_STEPS);
    references.set(workloadSeed, ref);
  }
  return ref;
}

/** Learner directories live in memory where possible: saves fsync, and the disk is shared. */
function scratchDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'duet-sim-learner-'));
}

/**
 * Runs seed `seed` and checks at the end that every node's learner equals the row store at its applied
 * timestamp (and at random older ones); restores were checked as they happened. Throws with the seed.
 * Faults last chaosUnits, and on until the whole log committed (up to chaosUnitsMax): with 3,000 units only about
 * a third of a 120-step log commits under faults (seeds 1..8), with 12,000 about two thirds; the rest commits
 * while draining.
 */
export function runLearnerSim(seed: number, ref: ReferenceLog, chaosUnits = 3000, chaosUnitsMax = 12_000): LearnerSimResult {
  const dir = scratchDir();
  const stats = newLearnerSimStats();
  const client = new SequentialClient(ref.entries, commitLogIndex);
  const workloads = referenceLogCount() === 4 ? '' : `DUET_SIM_WORKLOADS=${referenceLogCount()} `;
  const replay = `${workloads}DUET_SIM_SEED=${seed} npx vitest run test/learner/sim-learner.test.ts`;
  try {
    const sim = new Simulation({
      seed,
      chaosUnits,
      chaosUnitsMax,
      // without faults an entry commits in a few message delays (up to 30 units each): room for the rest
      drainUnitsMax: 3000 + 100 * ref.entries.length,
      client,
      replay,
      machine: (id, random) => new LearnerMachine({ name: `node ${id}`, dir: join(dir, `node-${id}`), ref, random, saveRate: 0.05, checkRate: 0.02, deltaRowsMax: 120, samplesPerCheck: 3, stats }),
    });
    const result = sim.run();
    let caughtUp = 0;
    for (const machine of sim.machines().values()) {
      const m = machine as LearnerMachine;
      try {
        m.check('at the end');
      } catch (error) {
        throw new Error(`simulation seed ${seed}: ${(error as Error).message}\nreplay: ${replay}`, { cause: error });
      }
      if (m.learner.appliedIndex === ref.entries.length) caughtUp++;
    }
    // The drain waited for every member; members are at least a quorum of the voters.
    if (caughtUp < 2) throw new Error(`simulation seed ${seed}: only ${caughtUp} learners applied the whole log (${ref.entries.length})\nreplay: ${replay}`);
    return { ...result, logEntries: ref.entries.length, proposals: client.proposals, retries: client.retries, committedUnderFaults: client.committedAtUnits.filter((u) => u < result.faultUnits).length, learner: stats };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

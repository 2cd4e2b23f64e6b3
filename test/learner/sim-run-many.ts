// Runs the learner under the Raft simulator over many seeds with a progress line and lists failing seeds.
// Usage: npx tsx test/learner/sim-run-many.ts --seeds 1000 [--from 1] [--chaos-units 3000] [--workloads 4]
import { argValue } from '../sim/args.ts';
import { referenceFor, runLearnerSim } from './sim-run.ts';

async function main(): Promise<void> {
  const seeds = argValue('seeds', 100);
  const from = argValue('from', 1);
  const chaosUnits = argValue('chaos-units', 3000);
  // Seeds cycle through this many generated workloads (sim-run.ts reads it from the environment).
  process.env.DUET_SIM_WORKLOADS = String(argValue('workloads', 4));
  const progressEveryMs = 10_000;
  const failures: number[] = [];
  const totals = { restoresFromDir: 0, restoresFromImage: 0, snapshots: 0, crashes: 0, tablesCompared: 0 };
  const startMs = performance.now();
  let lastReportMs = startMs;
  for (let i = 0; i < seeds; i++) {
    const seed = from + i;
    try {
      const r = runLearnerSim(seed, await referenceFor(seed), chaosUnits);
      totals.restoresFromDir += r.learner.restoresFromDir;
      totals.restoresFromImage += r.learner.restoresFromImage;
      totals.snapshots += r.learner.snapshots;
      totals.crashes += r.crashes;
      totals.tablesCompared += r.learner.tablesCompared;
    } catch (error) {
      failures.push(seed);
      console.log(`FAIL ${(error instanceof Error ? error.message : String(error)).split('\n').slice(0, 2).join(' | ')}`);
    }
    const nowMs = performance.now();
    if (nowMs - lastReportMs >= progressEveryMs || i === seeds - 1) {
      lastReportMs = nowMs;
      const done = i + 1;
      const rate = done / ((nowMs - startMs) / 1000);
      console.log(`${done}/${seeds} seeds, ${rate.toFixed(2)} seeds/s, ETA ${Math.round((seeds - done) / rate)} s, ${failures.length} failed`);
    }
  }
  const elapsedS = ((performance.now() - startMs) / 1000).toFixed(1);
  console.log(`done: ${seeds} seeds from ${from} (chaos ${chaosUnits} units) in ${elapsedS} s, ${failures.length} failed${failures.length > 0 ? `: ${failures.join(', ')}` : ''}`);
  console.log(`totals: ${JSON.stringify(totals)}`);
  if (failures.length > 0) {
    console.log(`replay one: DUET_SIM_WORKLOADS=${process.env.DUET_SIM_WORKLOADS} DUET_SIM_SEED=${failures[0]} npx vitest run test/learner/sim-learner.test.ts`);
    process.exitCode = 1;
  }
}

await main();

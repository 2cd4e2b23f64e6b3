// Runs the simulator over many seeds with a progress line (rate, ETA) and lists failing seeds.
// Usage: npx tsx test/sim/run-many.ts --seeds 100000 [--from 1] [--chaos-units 3000]
import { argValue } from './args.ts';
import { Simulation } from './simulation.ts';

const seeds = argValue('seeds', 1000);
const from = argValue('from', 1);
const chaosUnits = argValue('chaos-units', 3000);
const progressEveryMs = 5000;

const failures: { seed: number; message: string }[] = [];
const startMs = performance.now();
let lastReportMs = startMs;
for (let i = 0; i < seeds; i++) {
  const seed = from + i;
  try {
    new Simulation({ seed, chaosUnits }).run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push({ seed, message });
    console.log(`FAIL ${message.split('\n')[0]}`);
  }
  const nowMs = performance.now();
  if (nowMs - lastReportMs >= progressEveryMs || i === seeds - 1) {
    lastReportMs = nowMs;
    const done = i + 1;
    const rate = done / ((nowMs - startMs) / 1000);
    const etaS = Math.round((seeds - done) / rate);
    console.log(`${done}/${seeds} seeds, ${rate.toFixed(0)} seeds/s, ETA ${etaS} s, ${failures.length} failed`);
  }
}
const elapsedS = ((performance.now() - startMs) / 1000).toFixed(1);
console.log(`done: ${seeds} seeds from ${from} (chaos ${chaosUnits} units) in ${elapsedS} s, ${failures.length} failed${failures.length > 0 ? `: ${failures.map((f) => f.seed).join(', ')}` : ''}`);
if (failures.length > 0) {
  console.log(`replay one: DUET_SIM_SEED=${failures[0]!.seed} npx vitest run test/sim`);
  process.exitCode = 1;
}

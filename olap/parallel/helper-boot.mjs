// Worker-thread entry of the learner's helper: registers tsx (as the learner's worker-boot.mjs does), lowers
// this thread's OS priority (its work is analytical: OLTP goes first when cores are scarce), runs helper.ts.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { lowerThreadPriority } = await import('../learner/thread-priority.ts');
lowerThreadPriority(workerData?.nice ?? 10);
await import('./helper.ts');

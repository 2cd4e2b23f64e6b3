// Worker-thread entry of the learner: registers tsx (execArgv ['--import', 'tsx'] is not honoured for
// workers on Node 20, and vitest does not load .ts for plain workers), lowers this thread's OS priority
// (log application is background work: under CPU contention the commit path goes first, the learner lags),
// then runs worker.ts.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { lowerThreadPriority, LEARNER_NICE } = await import('./thread-priority.ts');
lowerThreadPriority(workerData?.threadNice ?? LEARNER_NICE);
await import('./worker.ts');

// Worker-thread entry of the learner: registers tsx (execArgv ['--import', 'tsx'] is not honoured for
// workers on Node 20, and vitest does not load .ts for plain workers), then runs worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

// Worker-thread entry: registers tsx (the worker may start under vitest, which does not load .ts for
// plain workers), then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

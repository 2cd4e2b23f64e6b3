// Writer-thread entry: encodes and writes Parquet segments and the manifest for the learner (persist.ts
// executeSave), so ZSTD encoding and fsyncs never stall the learner's log application.
import { parentPort } from 'node:worker_threads';
import { executeSave, type SavePlan } from './persist.ts';
import { lowerThreadPriority, WRITER_NICE } from './thread-priority.ts';

// Parquet encoding is bulk background work that must yield to the commit path.
lowerThreadPriority(WRITER_NICE);

const port = parentPort;
if (port) {
  port.on('message', (plan: SavePlan) => {
    try {
      port.postMessage({ ok: true, done: executeSave(plan) });
    } catch (e) {
      port.postMessage({ ok: false, message: (e as Error).message });
    }
  });
}

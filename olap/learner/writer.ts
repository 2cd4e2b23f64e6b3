// Writer-thread entry: encodes and writes Parquet segments and the manifest for the learner (persist.ts
// executeSave), so ZSTD encoding and fsyncs never stall the learner's log application.
import { parentPort } from 'node:worker_threads';
import { executeSave, type SavePlan } from './persist.ts';

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

// Writer-thread entry: encodes and writes Parquet segments and the manifest for the learner (persist.ts
// executeSave), so ZSTD encoding and fsyncs never stall the learner's log application.
import { parentPort } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { executeSave, type SavePlan } from './persist.ts';

/** Niceness of this thread: Parquet encoding is bulk background work that must yield to the commit path. */
const WRITER_NICE = 10;

// On Linux a thread is a task with its own nice value (/proc/thread-self names it); elsewhere this is skipped
// and saves run at normal priority.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), WRITER_NICE);
} catch {
  // not Linux, or not permitted: nothing to lower
}

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

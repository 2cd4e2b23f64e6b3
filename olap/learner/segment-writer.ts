// Where a learner's saves run: inline (in-process learner, tests) or on a writer thread (the embedded
// learner), one save at a time. The plan's blocks are copied when posted, so the learner may keep
// applying (and lowering end timestamps) while the writer encodes.
import { Worker } from 'node:worker_threads';
import { executeSave, type SaveDone, type SavePlan } from './persist.ts';

export interface SegmentWriter {
  save(plan: SavePlan, done: (result: SaveDone | Error) => void): void;
  close(): Promise<void>;
}

export function inlineWriter(): SegmentWriter {
  return {
    save(plan, done) {
      let result: SaveDone | Error;
      try {
        result = executeSave(plan);
      } catch (e) {
        result = e as Error;
      }
      done(result);
    },
    close: async () => undefined,
  };
}

export function threadWriter(): SegmentWriter {
  const worker = new Worker(new URL('./writer-boot.mjs', import.meta.url));
  worker.unref();
  let pending: ((result: SaveDone | Error) => void) | undefined;
  worker.on('message', (m: { ok: true; done: SaveDone } | { ok: false; message: string }) => {
    const done = pending;
    pending = undefined;
    done?.(m.ok ? m.done : new Error(m.message));
  });
  worker.on('error', (e) => {
    const done = pending;
    pending = undefined;
    done?.(e);
  });
  return {
    save(plan, done) {
      pending = done;
      worker.postMessage(plan);
    },
    close: async () => void (await worker.terminate()),
  };
}

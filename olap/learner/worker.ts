// Worker-thread entry of the embedded columnar learner: serves the message interface on parentPort.
// Started by client.ts with `execArgv: ['--import', 'tsx']` (this file is TypeScript).
import { parentPort, workerData } from 'node:worker_threads';
import { LearnerHost, type LearnerHostOptions } from './host.ts';
import { helperThread } from '../parallel/helper-client.ts';
import type { ToLearner } from './messages.ts';

/** How long after the learner starts its helper thread boots. */
const HELPER_START_DELAY_MS = 2000;

const port = parentPort;
if (port) {
  // result chunks (Arrow IPC) are handed over by transfer
  const host = new LearnerHost(workerData as LearnerHostOptions, (msg, transfer) => port.postMessage(msg, transfer));
  // The leader side terminates this thread after the 'closed' reply (sent once the last save is durable).
  port.on('message', (msg: ToLearner) => host.handle(msg));
  // The helper thread that shares large scans (olap/parallel) starts with the learner, a little later: its
  // boot (~0.6 s of CPU) would compete with loading the learner, and a short session never needs it (the
  // first large aggregate starts it anyway). It ends with this thread.
  setTimeout(() => helperThread(), HELPER_START_DELAY_MS).unref();
}

// Worker-thread entry of the embedded columnar learner: serves the message interface on parentPort.
// Started by client.ts with `execArgv: ['--import', 'tsx']` (this file is TypeScript).
import { parentPort, workerData } from 'node:worker_threads';
import { LearnerHost, type LearnerHostOptions } from './host.ts';
import type { ToLearner } from './messages.ts';

const port = parentPort;
if (port) {
  // result chunks (Arrow IPC) are handed over by transfer
  const host = new LearnerHost(workerData as LearnerHostOptions, (msg, transfer) => port.postMessage(msg, transfer));
  // The leader side terminates this thread after the 'closed' reply (sent once the last save is durable).
  port.on('message', (msg: ToLearner) => host.handle(msg));
}

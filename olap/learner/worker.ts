// Worker-thread entry of the embedded columnar learner: serves the message interface on parentPort.
// Started by client.ts with `execArgv: ['--import', 'tsx']` (this file is TypeScript).
import { parentPort, workerData } from 'node:worker_threads';
import { LearnerHost, type LearnerHostOptions } from './host.ts';
import type { ToLearner } from './messages.ts';

const port = parentPort;
if (port) {
  const host = new LearnerHost(workerData as LearnerHostOptions, (msg) => port.postMessage(msg));
  // The leader side terminates this thread after the 'closed' reply (sent once the last save is durable).
  port.on('message', (msg: ToLearner) => host.handle(msg));
}

// Worker side of the isolated runner: runs scripts as the parent sends them (one at a time, each on a
// fresh engine; optionally resuming after a killed record) and posts every event to the parent, which
// alone decides when a record has taken too long. Reused across scripts to pay the start-up once.

import { parentPort } from 'node:worker_threads';
import { loadScript, DBMS } from './suite.ts';
import type { EngineConfig, SltEngine } from './engine.ts';
import { runScript } from './runscript.ts';
import type { WorkerEvent, WorkerTask } from './isolated.ts';

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const post = (event: WorkerEvent) => port.postMessage(event);

async function runTask(task: WorkerTask): Promise<void> {
  const { openEngine } = (await import(task.engineModule)) as { openEngine: (config?: EngineConfig) => Promise<SltEngine> };
  const engine = await (task.config === undefined ? openEngine() : openEngine(task.config));
  try {
    for (const sql of task.setupSql) await engine.query(sql);
    const result = await runScript(loadScript(task.file), engine, {
      dbms: DBMS,
      // The parent enforces the real limit (it can kill a synchronous loop); this one only stops async stalls.
      recordTimeoutMs: task.recordTimeoutMs * 2,
      ...(task.resumeAfterLine === undefined ? {} : { resumeAfterLine: task.resumeAfterLine }),
      onRecord: () => post({ kind: 'record' }),
      onStart: (line) => post({ kind: 'start', line }),
      onOutcome: (outcome) => post({ kind: 'outcome', outcome }),
    });
    post({ kind: 'done', skipped: result.skipped, haltedAtLine: result.haltedAtLine, paths: engine.paths?.() });
  } finally {
    await engine.close();
  }
}

// The parent sends the next task only after 'done', so tasks never overlap.
port.on('message', (task: WorkerTask) => {
  runTask(task).catch((e: unknown) => post({ kind: 'failed', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
});

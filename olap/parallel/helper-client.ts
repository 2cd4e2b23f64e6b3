// The learner side of the helper thread: starts it (one per learner thread, at first use or with the
// learner), posts each stable block's shared buffers once, keeps the end mirrors current, drops blocks the
// learner let go of, and runs partial plans there.
import { Worker } from 'node:worker_threads';
import type { Block } from '../learner/block.ts';
import type { HelperDone, ToHelper } from './protocol.ts';
import { shareVector } from './shared-columns.ts';

/** Niceness of the helper thread: analytical work, below OLTP (and below the learner's log application). */
export const HELPER_NICE = 10;

interface BlockShare {
  readonly id: number;
  readonly end: Float64Array;
  endChanges: number;
  readonly columns: Set<number>;
}

type BlocksMsg = Extract<ToHelper, { kind: 'blocks' }>;

export class HelperThread {
  private readonly shares = new WeakMap<Block, BlockShare>();
  private readonly gone = new FinalizationRegistry<number>((id) => this.dropped(id));
  private readonly pending = new Map<number, (done: HelperDone) => void>();
  private pendingDrops: number[] = [];
  private nextBlockId = 1;
  private nextRunId = 1;
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: HelperDone) => {
      const resolve = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      resolve?.(m);
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      for (const [id, resolve] of this.pending) resolve({ kind: 'done', id, batches: [], blocksScanned: 0, error: { message: `the helper thread stopped: ${e.message}` } });
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /** False once the thread failed: reads then run on the learner thread alone. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /**
   * Makes `blocks` (with table columns `columns`) readable on the helper: new blocks and columns are posted
   * once, end mirrors refreshed where an update lowered an end since. Returns the blocks' ids, in order.
   */
  share(blocks: readonly Block[], columns: readonly number[]): Int32Array {
    const msg: { add: BlocksMsg['add'][number][]; columns: BlocksMsg['columns'][number][] } = { add: [], columns: [] };
    const ids = new Int32Array(blocks.length);
    blocks.forEach((b, i) => {
      let s = this.shares.get(b);
      if (s === undefined) {
        s = { id: this.nextBlockId++, end: sharedFloat64(b.end), endChanges: b.endChanges, columns: new Set() };
        this.shares.set(b, s);
        this.gone.register(b, s.id);
        msg.add.push({ id: s.id, rows: b.rows, begin: sharedFloat64(b.begin), end: s.end });
      } else if (s.endChanges !== b.endChanges) {
        // only ever lowered from live to a commit ts above every read in progress: refreshing in place while
        // the helper reads cannot change what any running read sees
        s.end.set(b.end);
        s.endChanges = b.endChanges;
      }
      for (const c of columns) {
        if (s.columns.has(c)) continue;
        const { vector, posted } = shareVector(b.columns[c]!);
        // the block keeps the shared copy (equal values), so the memory is not held twice
        b.columns[c] = vector;
        s.columns.add(c);
        msg.columns.push({ id: s.id, column: c, data: posted });
      }
      ids[i] = s.id;
    });
    if (msg.add.length > 0 || msg.columns.length > 0 || this.pendingDrops.length > 0) this.post({ kind: 'blocks', ...msg, drop: this.takeDrops() });
    return ids;
  }

  /** Runs a partial plan on the helper; never rejects (an error comes back in `error`). */
  run(msg: Omit<Extract<ToHelper, { kind: 'run' }>, 'id'>): Promise<HelperDone> {
    const id = this.nextRunId++;
    if (this.failure) return Promise.resolve({ kind: 'done', id, batches: [], blocksScanned: 0, error: { message: `the helper thread stopped: ${this.failure.message}` } });
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      // a run in progress keeps the process alive (the thread is unref'd while idle)
      this.worker.ref();
      this.post({ ...msg, id });
    });
  }

  private dropped(id: number): void {
    this.pendingDrops.push(id);
    // batched: a compaction lets go of many blocks at once
    if (this.pendingDrops.length === 1) setTimeout(() => this.pendingDrops.length > 0 && this.post({ kind: 'blocks', add: [], columns: [], drop: this.takeDrops() }), 100).unref();
  }

  private takeDrops(): number[] {
    const drops = this.pendingDrops;
    this.pendingDrops = [];
    return drops;
  }

  private post(msg: ToHelper): void {
    if (this.failure === undefined) this.worker.postMessage(msg);
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function sharedFloat64(a: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

let threadHelper: HelperThread | undefined;

/** This thread's helper, started at the first call (the learner's worker starts it with the learner). */
export function helperThread(): HelperThread | undefined {
  if (threadHelper !== undefined && !threadHelper.usable) return undefined;
  threadHelper ??= new HelperThread(new Worker(new URL('./helper-boot.mjs', import.meta.url), { workerData: { nice: HELPER_NICE } }));
  return threadHelper;
}

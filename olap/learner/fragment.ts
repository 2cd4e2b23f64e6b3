// A column-path plan fragment run where the learner lives: the executor reads the learner's blocks by
// reference (no batch crosses a thread for a scan) and the result goes back as Arrow IPC chunks, the next
// one produced only when the leader side asks for it. Cancelled by a message (between batches).
import type { Value } from '../../oltp/types.ts';
import { DuetError } from '../../oltp/errors.ts';
import { execute, outputColumns } from '../exec/execute.ts';
import type { Batch, OperatorStats, PlanNode, ScanNode } from '../exec/spec.ts';
import { helperThread } from '../parallel/helper-client.ts';
import { PARALLEL_MIN_BLOCKS_DEFAULT } from '../parallel/settings.ts';
import { planTwoPhase, type ParallelCounters } from '../parallel/two-phase.ts';
import type { FromLearner, ToLearner } from './messages.ts';
import { batchToArrow, encodeIpc, resultSchema } from './result-arrow.ts';
import type { ColumnTable, ScanCounters, ScanRequest } from './table.ts';
import type { RecordBatch, Schema } from 'apache-arrow';

/** Result batches per chunk message: bounds what one message carries (the next waits for 'fragmentMore'). */
export const FRAGMENT_CHUNK_BATCHES = 16;
/** Scan batches between yields to the thread's event loop, so cancels and log entries get in. */
const YIELD_EVERY_BATCHES = 8;

export interface FragmentEnv {
  /** Opens one scan at ts: columns resolved by name, the filter's conjuncts as zone predicates. */
  openScan(node: ScanNode, ts: number, counters: ScanCounters): Iterator<Batch>;
  /** The learner table a scan reads and its resolved request (olap/parallel shares its blocks by morsels). */
  scanTable?(node: ScanNode): { table: ColumnTable | undefined; request: ScanRequest };
  pin(ts: number): void;
  unpin(ts: number): void;
  send(msg: FromLearner, transfer?: ArrayBuffer[]): void;
}

type FragmentMsg = Extract<ToLearner, { kind: 'fragment' }>;

/** Plan nodes in preorder (the order both sides number them in for stats). */
export function preorder(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node);
  switch (node.kind) {
    case 'scan': case 'values': break;
    case 'hashJoin': case 'nestedLoopJoin': case 'setOp':
      preorder(node.left, out);
      preorder(node.right, out);
      break;
    default: preorder(node.input, out);
  }
  return out;
}

export class Fragment {
  private readonly abort = new AbortController();
  private readonly stats: Map<PlanNode, OperatorStats> | undefined;
  private readonly counters = new Map<ScanNode, ParallelCounters>();
  /** Aggregates run in two phases on two threads (olap/parallel), by the stand-in scan that replaced each. */
  private readonly standIns = new Map<PlanNode, ScanNode>();
  private readonly it: AsyncIterator<Batch>;
  private readonly schema: Schema;
  private busy = false;
  private finished = false;

  constructor(private readonly msg: FragmentMsg, private readonly env: FragmentEnv, private readonly onEnd: () => void) {
    this.stats = msg.analyze ? new Map() : undefined;
    const names = msg.names;
    this.schema = resultSchema(outputColumns(msg.plan).map((c, i) => ({ name: names?.[i] ?? c.name, type: c.type })));
    const twoPhase = env.scanTable ? planTwoPhase(msg.plan, msg.parallelMinBlocks ?? PARALLEL_MIN_BLOCKS_DEFAULT, {
      ts: msg.ts, params: msg.params as Value[], signal: this.abort.signal, stats: this.stats,
      ...(msg.batchRowsMax !== undefined ? { batchRowsMax: msg.batchRowsMax } : {}),
      helper: helperThread, scanTable: env.scanTable.bind(env), countersOf: (node) => this.countersOf(node), drain: (it) => this.drain(it), scanWhole: (node) => this.scan(node),
    }) : undefined;
    for (const [standIn, split] of twoPhase?.standIns ?? []) this.standIns.set(split.node, standIn);
    this.it = execute(twoPhase?.plan ?? msg.plan, {
      params: msg.params as Value[],
      scan: (node) => twoPhase?.serve(node) ?? this.scan(node),
      signal: this.abort.signal,
      ...(this.stats ? { stats: this.stats } : {}),
      ...(msg.batchRowsMax !== undefined ? { batchRowsMax: msg.batchRowsMax } : {}),
    })[Symbol.asyncIterator]();
    // pinned once the plan opened (a plan that fails to open pins nothing); unpinned in end()
    env.pin(msg.ts);
  }

  /** Produces and sends the next chunk (the first one right after start). */
  next(): void {
    if (this.busy || this.finished) return;
    this.busy = true;
    void this.chunk().finally(() => (this.busy = false));
  }

  /** Stops the fragment (a cancel or an early stop by the reader); nothing more is sent. */
  cancel(): void {
    this.abort.abort();
    if (!this.busy) void this.end();
  }

  private async chunk(): Promise<void> {
    const out: RecordBatch[] = [];
    let done = false;
    let ipc: Uint8Array;
    try {
      while (out.length < FRAGMENT_CHUNK_BATCHES) {
        const r = await this.it.next();
        if (r.done === true) {
          done = true;
          break;
        }
        if (r.value.length > 0) out.push(batchToArrow(r.value, this.schema));
      }
      ipc = encodeIpc(this.schema, out);
    } catch (e) {
      // a query error (or a bug) ends this fragment only: the learner keeps serving
      await this.end();
      if (!this.abort.signal.aborted) this.env.send({ kind: 'error', id: this.msg.id, ...(e instanceof DuetError ? { code: e.code } : {}), message: (e as Error).message });
      return;
    }
    if (this.abort.signal.aborted) return void (await this.end());
    if (done) await this.end();
    this.env.send({ kind: 'fragmentResult', id: this.msg.id, ipc, done, ...(done ? this.report() : {}) }, [ipc.buffer as ArrayBuffer]);
  }

  private report(): { stats?: (OperatorStats | null)[]; scans: ParallelCounters[] } {
    const nodes = preorder(this.msg.plan);
    const scans = nodes.filter((n): n is ScanNode => n.kind === 'scan').map((s) => this.counters.get(s) ?? { blocksScanned: 0, blocksPruned: 0 });
    // a two-phase aggregate reports what its stand-in scan produced
    const statsOf = (n: PlanNode): OperatorStats | null => this.stats!.get(this.standIns.get(n) ?? n) ?? null;
    return { ...(this.stats ? { stats: nodes.map(statsOf) } : {}), scans };
  }

  private async end(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await this.it.return?.();
    } catch {
      // closing a failed or cancelled stream: its error was already reported (or nobody is listening)
    }
    this.env.unpin(this.msg.ts);
    this.onEnd();
  }

  private countersOf(node: ScanNode): ParallelCounters {
    let counters = this.counters.get(node);
    if (!counters) this.counters.set(node, (counters = { blocksScanned: 0, blocksPruned: 0 }));
    return counters;
  }

  private scan(node: ScanNode): AsyncIterable<Batch> {
    return this.drain(this.env.openScan(node, this.msg.ts, this.countersOf(node)));
  }

  /** A learner scan read with a turn of this thread's event loop every few batches (cancels, log entries). */
  private async *drain(it: Iterator<Batch>): AsyncGenerator<Batch> {
    try {
      for (let n = 1; ; n++) {
        const r = it.next();
        if (r.done === true) return;
        yield r.value;
        if (n % YIELD_EVERY_BATCHES === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      it.return?.(undefined);
    }
  }
}

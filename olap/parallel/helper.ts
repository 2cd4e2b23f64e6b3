// The helper thread: holds the learner's stable blocks it was given (shared typed arrays, strings decoded
// once) and runs partial aggregates over the morsels it claims. Started by helper-client.ts, at low OS
// priority: it only ever takes work the learner thread would otherwise do later.
import { parentPort } from 'node:worker_threads';
import { assert, DuetError } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import { execute } from '../exec/execute.ts';
import type { Batch, OperatorStats, PlanNode, ScanNode, Vector } from '../exec/spec.ts';
import { preorder } from '../learner/fragment.ts';
import { abandoned, claimed, visibleRows } from './morsel.ts';
import type { HelperDone, HelperScan, ToHelper } from './protocol.ts';
import { columnVector } from './shared-columns.ts';

interface HeldBlock { readonly rows: number; readonly begin: Float64Array; readonly end: Float64Array; readonly columns: (Vector | undefined)[] }

type RunMsg = Extract<ToHelper, { kind: 'run' }>;

/** Blocks between turns of this thread's event loop, so block updates and other runs get in. */
const YIELD_EVERY_BLOCKS = 8;

export class Helper {
  private readonly blocks = new Map<number, HeldBlock>();

  constructor(private readonly send: (msg: HelperDone) => void) {}

  handle(msg: ToHelper): void {
    if (msg.kind === 'blocks') return this.update(msg);
    void this.run(msg);
  }

  /** Blocks held (tests: drops arrive). */
  get size(): number {
    return this.blocks.size;
  }

  private update(msg: Extract<ToHelper, { kind: 'blocks' }>): void {
    for (const id of msg.drop) this.blocks.delete(id);
    for (const b of msg.add) this.blocks.set(b.id, { rows: b.rows, begin: b.begin, end: b.end, columns: [] });
    for (const c of msg.columns) {
      const b = this.blocks.get(c.id);
      assert(b !== undefined, `helper: column of unknown block ${c.id}`);
      b.columns[c.column] = columnVector(c.data);
    }
  }

  private async run(msg: RunMsg): Promise<void> {
    const stats = msg.analyze ? new Map<PlanNode, OperatorStats>() : undefined;
    const nodes = preorder(msg.plan);
    const specs = new Map<PlanNode, HelperScan>();
    for (const s of msg.scans) specs.set(nodes[s.index]!, s);
    const read = { blocks: 0 };
    const batches: Batch[] = [];
    try {
      const source = (node: ScanNode): AsyncIterable<Batch> => {
        const spec = specs.get(node);
        assert(spec !== undefined, 'helper: the run names each scan of its plan');
        return this.blocksOf(msg, spec, read);
      };
      const ctx = { params: msg.params as Value[], scan: source, ...(stats ? { stats } : {}), ...(msg.batchRowsMax !== undefined ? { batchRowsMax: msg.batchRowsMax } : {}) };
      for await (const b of execute(msg.plan, ctx)) batches.push(b);
      this.send({ kind: 'done', id: msg.id, batches, blocksScanned: read.blocks, ...(stats ? { stats: nodes.map((n) => stats.get(n) ?? null) } : {}) });
    } catch (e) {
      this.send({ kind: 'done', id: msg.id, batches: [], blocksScanned: read.blocks, error: { ...(e instanceof DuetError ? { code: e.code } : {}), message: (e as Error).message } });
    }
  }

  /** The split scan: the morsels this thread claims; another scan: every block, then the learner's delta rows. */
  private async *blocksOf(msg: RunMsg, scan: HelperScan, read: { blocks: number }): AsyncGenerator<Batch> {
    const ids = [...scan.blocks];
    let n = 0;
    for (const id of scan.split ? claimed(ids, msg.counter, msg.morselBlocks) : ids) {
      // the learner took this share over (it waited too long): nothing more of it is wanted
      if (abandoned(msg.counter)) return;
      const b = this.blocks.get(id);
      assert(b !== undefined, `helper: unknown block ${id}`);
      const columns = scan.columns.map((c) => {
        const v = b.columns[c];
        assert(v !== undefined, `helper: block ${id} lacks column ${c}`);
        return v;
      });
      if (scan.split) read.blocks++;
      const batch = visibleRows(b.rows, b.begin, b.end, msg.ts, columns, [...scan.types]);
      if (batch) yield batch;
      if (++n % YIELD_EVERY_BLOCKS === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    if (!scan.split) yield* scan.delta;
  }
}

const port = parentPort;
if (port) {
  const helper = new Helper((msg) => port.postMessage(msg));
  port.on('message', (msg: ToHelper) => helper.handle(msg));
}

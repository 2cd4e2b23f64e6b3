// The router: per SELECT, the row path or the column path. Rules first (own writes, SERIALIZABLE,
// no learner, a forced engine), then the cheaper of the two estimates (cost.ts).
import type { Txn } from '../../oltp/api.ts';
import type { RowStore } from '../../oltp/rowstore.ts';
import { learnerOf, learnerStarting, type LearnerReplica } from '../../olap/learner/index.ts';
import type { PlanNode } from '../../olap/exec/spec.ts';
import type { Value } from '../../oltp/types.ts';
import type { ScanNode } from '../../olap/exec/spec.ts';
import { rowScanSource } from '../run/scan.ts';
import { estimateCosts, PROBE_CAP_ROWS, scansOf, type RowAccessShape } from './cost.ts';
import { parseChoice, type EngineChoice } from './hint.ts';

export type Path = 'row' | 'column';

export interface RouteDecision {
  readonly path: Path;
  readonly rowCost: number;
  readonly columnCost: number;
  /** Why: 'cost', 'forced', 'own writes', 'serializable', 'no learner', 'no scans'. */
  readonly reason: string;
  readonly replica: LearnerReplica | undefined;
}

export interface RouteInput {
  readonly store: RowStore;
  readonly txn: Txn;
  readonly root: PlanNode;
  /** The hint of the statement, if any; otherwise the session setting `duet.engine`. */
  readonly hint: EngineChoice | undefined;
  readonly setting: string | undefined;
  /** The statement's parameter values (key-range bounds may be parameters). */
  readonly params: readonly Value[];
}



/** Row counts per table from the learner's status, refreshed at most every STATS_TTL_MS. */
const STATS_TTL_MS = 500;
const statsCache = new WeakMap<LearnerReplica, { atMs: number; rows: Map<string, number>; pending?: Promise<void> }>();

async function tableRows(replica: LearnerReplica): Promise<Map<string, number>> {
  let entry = statsCache.get(replica);
  const now = performance.now();
  if (!entry || now - entry.atMs > STATS_TTL_MS) {
    const refreshing = entry?.pending ?? (async () => {
      const status = await replica.status();
      const rows = new Map<string, number>();
      for (const t of status.tables) rows.set(t.name, t.stableRows + t.deltaRows);
      statsCache.set(replica, { atMs: performance.now(), rows });
    })();
    if (entry) entry.pending = refreshing;
    else statsCache.set(replica, (entry = { atMs: -Infinity, rows: new Map(), pending: refreshing }));
    await refreshing;
    entry = statsCache.get(replica)!;
  }
  return entry.rows;
}

/** How long a statement that reads a whole table waits for a learner that is still starting. */
const LEARNER_START_WAIT_MS = 5000;

/**
 * The running learner, or, while it is still starting (it loads its Parquet segments in the background after
 * `Database.open`), the learner once started, for a statement that could take the column path and reads a whole
 * table: without the wait the first analytical statements after an open (a `duet -c` one-shot: all of them) would
 * always scan the row store. Point reads and key ranges are row-path work; they never wait.
 */
async function currentReplica(input: RouteInput, choice: EngineChoice): Promise<LearnerReplica | undefined> {
  const ready = learnerOf(input.store);
  if (ready || choice === 'row' || input.txn.hasWrites || input.txn.isolation === 'serializable') return ready;
  const pending = learnerStarting(input.store);
  const wholeTable = scansOf(input.root).some((s) => {
    const a = s.access as RowAccessShape | undefined;
    return !a || a.full === true;
  });
  if (!pending || !wholeTable) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LEARNER_START_WAIT_MS);
  });
  try {
    return await Promise.race([pending.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function route(input: RouteInput): Promise<RouteDecision> {
  const choice = input.hint ?? (input.setting !== undefined ? parseChoice(input.setting, 'duet.engine') : 'auto');
  const replica = await currentReplica(input, choice);
  const usable = replica !== undefined && replica.failure === undefined;
  const rows = usable ? await tableRows(replica) : new Map<string, number>();
  const ranges = usable ? await probeRanges(input) : undefined;
  const costs = estimateCosts(input.root, (t) => rows.get(t), ranges);
  const decide = (path: Path, reason: string): RouteDecision => ({ path, rowCost: costs.row, columnCost: costs.column, reason, replica: path === 'column' ? replica : undefined });
  // correctness rules: these hold whatever is forced
  if (input.txn.hasWrites) return decide('row', 'own writes');
  if (input.txn.isolation === 'serializable') return decide('row', 'serializable');
  if (!usable) return decide('row', 'no learner');
  if (costs.scans === 0) return decide('row', 'no scans');
  // a table the learner does not hold yet (just created) is read on the row path
  if (scansOf(input.root).some((s) => !rows.has(s.table))) {
    if (choice !== 'column') return decide('row', 'table not on learner');
  }
  if (choice !== 'auto') return decide(choice, 'forced');
  return decide(costs.column < costs.row ? 'column' : 'row', 'cost');
}

/**
 * Rows of each key-range scan, counted on the row store up to PROBE_CAP_ROWS (a range that ends sooner is
 * short: its count is exact; a longer one costs at most PROBE_CAP_ROWS reads, small beside reading it all).
 */
async function probeRanges(input: RouteInput): Promise<Map<ScanNode, number>> {
  const out = new Map<ScanNode, number>();
  const source = rowScanSource(input.txn, input.params);
  for (const scan of scansOf(input.root)) {
    const a = scan.access as RowAccessShape | undefined;
    if (!a || a.full || a.point) continue;
    let n = 0;
    for await (const batch of source(scan)) {
      n += batch.length;
      if (n >= PROBE_CAP_ROWS) break;
    }
    out.set(scan, n);
  }
  return out;
}

/** EXPLAIN's first line, e.g. `path: column (cost 1.2e3; row 4.8e5)`. */
export function describeRoute(d: RouteDecision): string {
  const other = d.path === 'column' ? `row ${num(d.rowCost)}` : `column ${num(d.columnCost)}`;
  const own = d.path === 'column' ? d.columnCost : d.rowCost;
  return `path: ${d.path} (cost ${num(own)}; ${other})${d.reason === 'cost' ? '' : ` [${d.reason}]`}`;
}

function num(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x < 1000 ? String(Math.round(x * 10) / 10) : x.toExponential(1);
}

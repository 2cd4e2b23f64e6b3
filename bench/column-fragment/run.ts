// The column path before and after issue 6's "fragment in the learner": the same TPC-H queries (sf0.01,
// ../shared/data/tpch) run (a) with the executor on the main thread pulling scan batches from the learner
// worker (learnerScanSource, the old column path) and (b) as one fragment run inside the worker that answers
// in Arrow IPC (runRouted, today's column path); plus the row path. Median of --runs (default 5) per query.
// Usage: npx tsx bench/column-fragment/run.ts [--runs N] [--queries 1,6,3]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../query/database.ts';
import { learnerOf, learnerScanSource } from '../../olap/learner/index.ts';
import { collectRows } from '../../olap/exec/execute.ts';
import { pushFiltersIntoScans } from '../../query/route/column.ts';
import { bindQuery } from '../../query/bind/select.ts';
import { Scope } from '../../query/bind/scope.ts';
import { newBindCtx, planQuery } from '../../query/run/context.ts';
import { parseStatement } from '../../query/parse/parse.ts';
import { splitStatements } from '../../query/parse/split.ts';

const DATA = join(import.meta.dirname, '../../../shared/data/tpch');
const TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'];
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const runs = Number(arg('--runs') ?? 5);
const queries = (arg('--queries') ?? '1,3,5,6,9,10,12,14,18').split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'duet-fragment-bench-'));
const db = await Database.open(dir, { learner: true });
await db.query(readFileSync(join(DATA, 'schema.sql'), 'utf8'));
for (const t of TABLES) await db.query(`COPY ${t} FROM '${join(DATA, 'sf0.01', `${t}.tbl`)}' (FORMAT tbl, DELIMITER '|')`);
const replica = learnerOf(db.store)!;
await replica.caughtUp();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  await fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

console.log(`| query | row path ms | column, executor on main thread ms | column, fragment in learner ms |`);
console.log(`|---|---|---|---|`);
const ratios: number[] = [];
for (const n of queries) {
  const name = `q${String(n).padStart(2, '0')}`;
  const sql = readFileSync(join(DATA, 'queries', `${name}.sql`), 'utf8');
  const row = await timeIt(() => db.query(`/*+ engine(row) */ ${sql}`));
  const fragment = await timeIt(() => db.query(`/*+ engine(column) */ ${sql}`));
  const main = await timeIt(async () => {
    const txn = db.store.begin({ isolation: 'read committed' });
    try {
      const stmt = parseStatement(splitStatements(sql)[0]!);
      if (stmt.kind !== 'ast') throw new Error('not a query');
      const ctx = newBindCtx(txn, stmt.text, stmt.offset);
      const bound = bindQuery(ctx, stmt.ast, new Scope(null));
      const planned = planQuery(ctx, bound.plan, bound.cols);
      await collectRows(pushFiltersIntoScans(planned.lowered.root), { params: [], scan: learnerScanSource(replica) });
    } finally {
      txn.rollback();
    }
  });
  ratios.push(main / fragment);
  console.log(`| ${name} | ${row.toFixed(1)} | ${main.toFixed(1)} | ${fragment.toFixed(1)} |`);
}
const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
console.log(`\ngeomean speed-up of the fragment over the main-thread executor: ${geo.toFixed(2)}x (runs=${runs})`);
await db.close();
rmSync(dir, { recursive: true, force: true });

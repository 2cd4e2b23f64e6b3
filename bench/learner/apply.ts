// CPU per log entry of the learner's apply and compaction (its own thread's work), over synthetic commit-log
// entries (no row store, no I/O): single-row inserts in key order, and updates of random existing keys.
// Each figure is the minimum and median over --rounds runs in one process: the minimum is the least disturbed
// by other load on a shared machine, so compare minimums of runs made alternately.
// Run: npx tsx bench/learner/apply.ts [--entries 40000] [--rounds 7] [--compact-rows 2048] [--batch 50]
import { serializeCatalogValue, type StoredTableDef } from '../../oltp/catalog.ts';
import { encodeLogEntry, type LogWrite } from '../../oltp/commitlog.ts';
import { encodeKey } from '../../oltp/keycodec.ts';
import { Types, type Row } from '../../oltp/types.ts';
import { Learner } from '../../olap/learner/learner.ts';
import { arg } from '../args.ts';

const entries = Number(arg('entries', '40000'));
const rounds = Number(arg('rounds', '7'));
const compactRows = Number(arg('compact-rows', '2048'));
/** Entries per apply (`--batch`): 50 is one 5 ms take at about 10,000 commits/s; larger shows what coalescing saves. */
const MESSAGE_ENTRIES = Number(arg('batch', '50'));
const KINDS = ['click', 'view', 'buy', 'refund'];

const def: StoredTableDef = {
  id: 1, name: 'events', primaryKey: [0], hiddenRowId: false, indexes: [], schemaVersion: 1, fills: [null, null, null, null],
  columns: [
    { name: 'id', type: Types.integer, notNull: true }, { name: 'kind', type: Types.varchar(12), notNull: false },
    { name: 'amount', type: Types.decimal(12, 2), notNull: false }, { name: 'note', type: Types.text, notNull: false },
  ],
};

/** The log: entry 1 creates the table; then one row write per entry, keys from `keyOf`. */
function log(keyOf: (i: number) => number, op: 'insert' | 'update'): Buffer[] {
  const out = [encodeLogEntry({ index: 1, commitTs: 1, txnId: 1, writes: [{ kind: 'catalog', name: 't/events', value: serializeCatalogValue({ kind: 'table', def }) }] })];
  for (let i = 0; i < entries; i++) {
    const id = keyOf(i);
    const row: Row = [id, KINDS[i % 4]!, BigInt(i % 100000), `note ${i}`];
    const write: LogWrite = { kind: 'row', op: i < entries / 4 || op === 'insert' ? 'insert' : 'update', tableId: 1, key: encodeKey([id], [Types.integer]), row };
    out.push(encodeLogEntry({ index: i + 2, commitTs: i + 2, txnId: i + 2, writes: [write] }));
  }
  return out;
}

/** Apply and compaction CPU µs per entry for one run over `bytes` (compacting every compactRows versions). */
function run(bytes: readonly Buffer[]): { applyUs: number; compactUs: number } {
  const learner = new Learner({ deltaRowsMax: 1 << 30 });
  let applyUs = 0;
  let compactUs = 0;
  for (let i = 0; i < bytes.length; i += MESSAGE_ENTRIES) {
    const c0 = process.cpuUsage();
    learner.applyEntries(bytes.slice(i, i + MESSAGE_ENTRIES));
    const c1 = process.cpuUsage(c0);
    applyUs += c1.user + c1.system;
    if (learner.deltaRows() >= compactRows) {
      const c2 = process.cpuUsage();
      learner.compact();
      const c3 = process.cpuUsage(c2);
      compactUs += c3.user + c3.system;
    }
  }
  return { applyUs: applyUs / entries, compactUs: compactUs / entries };
}

const workloads: [string, Buffer[]][] = [
  ['inserts in key order', log((i) => i, 'insert')],
  // the first quarter inserts keys 0..n/4 in order, the rest update random ones of them
  ['updates of random keys', log((i) => (i < entries / 4 ? i : Math.floor((((i * 2654435761) >>> 0) / 2 ** 32) * (entries / 4))), 'update')],
];
const stat = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]!.toFixed(2)} median ${s[Math.floor(s.length / 2)]!.toFixed(2)}`;
};
for (const [name, bytes] of workloads) {
  const apply: number[] = [];
  const compact: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = run(bytes);
    apply.push(x.applyUs);
    compact.push(x.compactUs);
  }
  process.stdout.write(`${name}: apply ${stat(apply)} µs/entry; compaction every ${compactRows} versions ${stat(compact)} µs/entry\n`);
}

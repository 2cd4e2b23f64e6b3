// Child process for the crash test: commits transactions as fast as it can from several concurrent
// sessions and prints "ACK <tag>" after each commit resolved (= durable). The parent kills it with SIGKILL.
// Each transaction inserts 3 item rows tagged with its tag and increments its worker's counter row.
import { RowStore } from '../../oltp/rowstore.ts';
import { Types } from '../../oltp/types.ts';

const [dir, firstTagArg, workersArg] = process.argv.slice(2);
const firstTag = Number(firstTagArg);
const workers = Number(workersArg ?? 8);
const store = await RowStore.open(dir!, { gcIntervalMs: 50 });
const setup = store.begin();
if (!setup.getTable('items')) {
  await setup.createTable({ name: 'items', columns: [{ name: 'id', type: Types.integer, notNull: true }, { name: 'tag', type: Types.integer, notNull: true }], primaryKey: [0] });
  await setup.createTable({ name: 'counters', columns: [{ name: 'worker', type: Types.integer, notNull: true }, { name: 'n', type: Types.integer, notNull: true }], primaryKey: [0] });
  await setup.createIndex('items', { name: 'items_tag', columns: [1], unique: false });
}
await setup.commit();
process.stdout.write('READY\n');

let nextTag = firstTag;
async function worker(w: number): Promise<void> {
  const slot = firstTag + w;
  for (;;) {
    const tag = nextTag++;
    const txn = store.begin({ isolation: 'snapshot' });
    const items = txn.getTable('items')!;
    const counters = txn.getTable('counters')!;
    for (let j = 0; j < 3; j++) await txn.insert(items, [tag * 3 + j, tag]);
    const c = await txn.lockForUpdate(counters, [slot]);
    if (c) await txn.update(counters, [slot], [slot, (c[1] as number) + 1]);
    else await txn.insert(counters, [slot, 1]);
    await txn.commit();
    process.stdout.write(`ACK ${tag}\n`);
  }
}
await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));

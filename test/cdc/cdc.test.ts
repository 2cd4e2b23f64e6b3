// CDC: change events in commit order, aborted transactions absent, exactly once per cursor, resume after a
// restart through a named cursor, the "resume point compacted" error, schema events, and `duet changes`.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { RowStore } from '../../oltp/rowstore.ts';
import { Types, type Value } from '../../oltp/types.ts';
import type { NewTable } from '../../oltp/api.ts';
import { storeChanges, RESUME_POINT_COMPACTED, type ChangeEvent } from '../../cdc/index.ts';
import { DuetError } from '../../oltp/errors.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-cdc-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const table: NewTable = {
  name: 't',
  columns: [
    { name: 'id', type: Types.integer, notNull: true },
    { name: 'v', type: Types.text, notNull: false },
  ],
  primaryKey: [0],
};

async function collect(it: AsyncIterable<ChangeEvent>, max = Infinity): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

describe('change events', () => {
  it('decode every committed change in commit order with schema events; rolled-back and failed transactions never appear', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    let txn = store.begin();
    const t = await txn.createTable(table);
    await txn.insert(t, [1, 'a']);
    await txn.insert(t, [2, null]);
    await txn.commit();
    txn = store.begin();
    await txn.insert(t, [3, 'rolled back']);
    txn.rollback();
    txn = store.begin();
    await txn.update(t, [1], [10, 'moved']); // primary-key change
    await txn.delete(t, [2]);
    await txn.commit();
    const dup = store.begin();
    await expect(dup.insert(t, [10, 'dup'])).rejects.toThrow(DuetError);
    dup.rollback();
    txn = store.begin();
    await txn.addColumn('t', { name: 'w', type: Types.bigint, notNull: false }, 7);
    await txn.createIndex('t', { name: 't_v', columns: [1], unique: false });
    await txn.commit();
    txn = store.begin();
    const t2 = txn.getTable('t')!;
    await txn.insert(t2, [4, 'd', null]);
    await txn.update(t2, [10], [10, 'moved', 8]);
    await txn.commit();
    txn = store.begin();
    await txn.dropTable('t');
    await txn.commit();

    const events = await collect(storeChanges(store, { from: 1 }));
    expect(events.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < events.length; i++) expect(events[i]!.commitTs).toBeGreaterThan(events[i - 1]!.commitTs);
    const simple = events.map((e) => ({
      schema: e.schema.map((s) => `${s.kind} ${s.table}`),
      changes: e.changes.map((c) => [c.op, c.table, c.key, c.row]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    }));
    expect(simple).toEqual([
      { schema: ['createTable t'], changes: [['insert', 't', [1], [1, 'a']], ['insert', 't', [2], [2, null]]] },
      { schema: [], changes: [['delete', 't', [1], null], ['delete', 't', [2], null], ['insert', 't', [10], [10, 'moved']]] },
      // ADD COLUMN and CREATE INDEX in one transaction: one event each, both carrying the final definition
      { schema: ['addColumn t', 'createIndex t'], changes: [] },
      { schema: [], changes: [['insert', 't', [4], [4, 'd', null]], ['update', 't', [10], [10, 'moved', 8]]] },
      { schema: ['dropTable t'], changes: [] },
    ]);
    await store.close();
  });

  it('a row written before ADD COLUMN and updated after it carries the fill value; decimals survive', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    let txn = store.begin();
    const t = await txn.createTable({ name: 'm', columns: [{ name: 'id', type: Types.integer, notNull: true }, { name: 'd', type: Types.decimal(20, 2), notNull: false }], primaryKey: [0] });
    await txn.insert(t, [1, 12345678901234567n]);
    await txn.commit();
    txn = store.begin();
    await txn.addColumn('m', { name: 'x', type: Types.integer, notNull: false }, 42);
    await txn.commit();
    txn = store.begin();
    await txn.delete(txn.getTable('m')!, [1]);
    await txn.commit();
    const events = await collect(storeChanges(store, { from: 2 }));
    expect(events.map((e) => e.schema.map((s) => s.kind))).toEqual([['addColumn'], []]);
    expect(events[1]!.changes).toEqual([{ table: 'm', tableId: t.id, op: 'delete', key: [1], row: null }]);
    const first = await collect(storeChanges(store, { from: 1 }), 1);
    expect(first[0]!.changes[0]!.row).toEqual([1, 12345678901234567n]);
    await store.close();
  });
});

describe('cursors', () => {
  it('a following subscriber gets every commit of concurrent writers exactly once, in index order', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0 });
    const setup = store.begin();
    const t = await setup.createTable(table);
    await setup.commit();
    const writers = 8;
    const perWriter = 40;
    const stop = new AbortController();
    const seen: ChangeEvent[] = [];
    const reader = (async () => {
      for await (const e of storeChanges(store, { from: 1, follow: true, signal: stop.signal })) {
        seen.push(e);
        if (seen.length === 1 + writers * perWriter) stop.abort();
      }
    })();
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const txn = store.begin();
        await txn.insert(t, [w * 1000 + i, `w${w}`]);
        await txn.commit();
      }
    }));
    await reader;
    expect(seen.map((e) => e.index)).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    const keys = seen.flatMap((e) => e.changes.map((c) => c.key[0] as number)).sort((a, b) => a - b);
    const expected = Array.from({ length: writers }, (_, w) => Array.from({ length: perWriter }, (_, i) => w * 1000 + i)).flat().sort((a, b) => a - b);
    expect(keys).toEqual(expected);
    await store.close();
  });

  it('a named cursor resumes after a restart exactly where the consumer stopped', async () => {
    const dir = tempDir();
    let store = await RowStore.open(dir, { gcIntervalMs: 0 });
    const setup = store.begin();
    const t = await setup.createTable(table);
    await setup.commit();
    for (let i = 0; i < 20; i++) {
      const txn = store.begin();
      await txn.insert(t, [i, String(i)]);
      await txn.commit();
    }
    const firstPart = await collect(storeChanges(store, { name: 'sub' }), 8);
    await store.close();
    store = await RowStore.open(dir, { gcIntervalMs: 0 });
    const t2 = store.begin().getTable('t')!;
    const txn = store.begin();
    await txn.insert(t2, [100, 'after restart']);
    await txn.commit();
    const rest = await collect(storeChanges(store, { name: 'sub' }));
    const all = [...firstPart, ...rest];
    expect(all.map((e) => e.index)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(rest.at(-1)!.changes[0]!.row).toEqual([100, 'after restart']);
    // resuming in the middle still resolves table names (schema as of the resume point)
    expect(rest[0]!.changes[0]!.table).toBe('t');
    await store.close();
  });

  it('compaction past a resume point raises "resume point compacted"; a registered cursor holds the log up to the retention limit', async () => {
    const store = await RowStore.open(tempDir(), { gcIntervalMs: 0, logRetainEntries: 5 });
    const setup = store.begin();
    const t = await setup.createTable(table);
    await setup.commit();
    // a registered consumer that has read nothing yet holds the log from index 1
    const held = storeChanges(store, { name: 'slow', from: 1 });
    await held.next();
    for (let i = 0; i < 30; i++) {
      const txn = store.begin();
      await txn.insert(t, [i, null]);
      await txn.commit();
    }
    await store.gc.runPass();
    const resumed = await collect(held);
    expect(resumed.map((e) => e.index)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    // the consumer is caught up: the log below its cursor (and the retention window) can go
    await store.gc.runPass();
    let err: unknown;
    try {
      await collect(storeChanges(store, { from: 1 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DuetError);
    expect((err as DuetError).code).toBe(RESUME_POINT_COMPACTED);
    expect((err as DuetError).message).toMatch(/resume point compacted: log entry 1 was removed/);
    const tail = await collect(storeChanges(store, { from: 27 }));
    expect(tail.map((e) => e.index)).toEqual([27, 28, 29, 30, 31]);
    await store.close();
  });
});

describe('public API and CLI', () => {
  it('db.changes() through SQL, and `duet changes --from N --format jsonl`', async () => {
    const dir = tempDir();
    const { Database } = await import('../../query/database.ts');
    const db = await Database.open(dir, { gcIntervalMs: 0, learner: false });
    await db.query('CREATE TABLE items (id integer PRIMARY KEY, price numeric(10,2), name text)');
    await db.query("INSERT INTO items VALUES (1, 9.99, 'pen'), (2, NULL, 'cup')");
    await db.query('UPDATE items SET price = 1.50 WHERE id = 2');
    const events = await collect(db.changes({ from: 2 }));
    const rows = events.flatMap((e) => e.changes.map((c) => [c.op, c.row] as [string, Value[] | null]));
    expect(rows).toEqual([['insert', [1, 999n, 'pen']], ['insert', [2, null, 'cup']], ['update', [2, 150n, 'cup']]]);
    await db.close();
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [join(import.meta.dirname, '../../bin/duet.js'), 'changes', '--db', dir, '--from', '2', '--format', 'jsonl']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number; changes: { op: string; row: unknown[] }[] });
    expect(lines.map((l) => l.index)).toEqual(events.map((e) => e.index));
    expect(lines.flatMap((l) => l.changes.map((c) => c.row))).toEqual([[1, '999', 'pen'], [2, null, 'cup'], [2, '150', 'cup']]);
  });
});

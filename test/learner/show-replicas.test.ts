// SHOW REPLICAS through db.query (and the REPL's \replicas): per-table applied index, lag, delta and stable
// rows, blocks, segments, memory and disk bytes, state, and the last damage found at start.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Database, type QueryResult } from '../../query/database.ts';
import { learnerOf } from '../../olap/learner/index.ts';
import { Client } from '../../cli/client.ts';
import { runMeta } from '../../cli/meta.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-show-replicas-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Rows of SHOW REPLICAS as objects by column name. */
function records(r: QueryResult): Record<string, unknown>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

async function fill(db: Database, table: string, rows: number): Promise<void> {
  await db.query(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name VARCHAR(20), amount DECIMAL(10,2))`);
  for (let i = 0; i < rows; i += 500) {
    const values = Array.from({ length: Math.min(500, rows - i) }, (_, k) => `(${i + k}, 'n${(i + k) % 7}', ${(i + k) / 100})`);
    await db.query(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
  }
}

describe('SHOW REPLICAS', () => {
  it('has no rows without a learner, and the same columns', async () => {
    const db = await Database.open(tempDir(), { learner: false });
    const r = await db.query('SHOW REPLICAS');
    expect(r.rows).toEqual([]);
    expect(r.command).toBe('SHOW');
    expect(r.columns.map((c) => c.name)).toContain('lag_entries');
    await db.close();
  });

  it('lists every table the learner holds with its applied index, lag, rows, blocks, segments and bytes', async () => {
    const db = await Database.open(tempDir(), { learner: { worker: false } });
    const empty = records(await db.query('SHOW REPLICAS'));
    expect(empty).toHaveLength(1);
    expect(empty[0]).toMatchObject({ replica: 'embedded', table_name: null, state: 'running' });

    await fill(db, 'big', 20_000);
    await fill(db, 'small', 30);
    await db.query('UPDATE small SET name = NULL WHERE id < 10');
    const replica = learnerOf(db.store)!;
    await replica.caughtUp();
    const before = records(await db.query('SHOW REPLICAS'));
    expect(before.map((r) => r.table_name)).toEqual(['big', 'small']);
    for (const r of before) {
      expect(r).toMatchObject({ state: 'running', applied_index: db.store.stats.appliedIndex, leader_index: db.store.stats.appliedIndex, lag_entries: 0, lag_ms: 0, rebuilds: 0, last_damage: null });
      expect(r.memory_bytes).toBeGreaterThan(0);
    }
    // every version is either in the delta or in stable blocks: 20,000 inserts; 30 inserts + 10 updates
    const big = before[0]!;
    const small = before[1]!;
    expect(Number(big.delta_rows) + Number(big.stable_rows)).toBe(20_000);
    expect(Number(small.delta_rows) + Number(small.stable_rows)).toBe(40);

    await replica.compact();
    const after = records(await db.query('SHOW REPLICAS'));
    const bigAfter = after.find((r) => r.table_name === 'big')!;
    expect(bigAfter).toMatchObject({ delta_rows: 0, stable_rows: 20_000 });
    expect(bigAfter.stable_blocks).toBe(Math.ceil(20_000 / 2048));
    expect(bigAfter.stable_segments).toBe(Math.ceil(Number(bigAfter.stable_blocks) / 8));
    expect(bigAfter.disk_bytes).toBeGreaterThan(0); // saved to <db>/learner by the compaction

    // the REPL command prints the same status as a table
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
    const client = new Client(db.session(), 'csv', { stdout: sink, stderr: sink }, 'line');
    expect(await runMeta('\\replicas', client)).toBe('ok');
    expect(out.split('\n')[0]).toContain('table_name');
    expect(out).toMatch(/embedded,big,running/);
    await db.close();
  });

  it('reports lag while the learner is behind, and none once it caught up', async () => {
    // one entry per apply message: the learner is made slow on purpose
    const db = await Database.open(tempDir(), { learner: { worker: false, applyEntriesMax: 1 } });
    await db.query('CREATE TABLE q (k INTEGER PRIMARY KEY)');
    const replica = learnerOf(db.store)!;
    await replica.caughtUp();
    let maxLag = 0;
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 10; i++) {
        await db.query(`INSERT INTO q VALUES (${w * 100 + i})`);
        const [row] = records(await db.query('SHOW REPLICAS'));
        maxLag = Math.max(maxLag, Number(row!.lag_entries));
        expect(Number(row!.lag_entries)).toBe(Number(row!.leader_index) - Number(row!.applied_index));
      }
    }));
    expect(maxLag).toBeGreaterThan(0);
    await replica.caughtUp();
    const [row] = records(await db.query('SHOW REPLICAS'));
    expect(row).toMatchObject({ lag_entries: 0, lag_ms: 0, delta_rows: 80 });
    await db.close();
  });

  it('names the damaged file it found at start and shows the rebuild', async () => {
    const dir = tempDir();
    let db = await Database.open(dir, { learner: { worker: false } });
    await fill(db, 'big', 5000);
    await learnerOf(db.store)!.caughtUp();
    await learnerOf(db.store)!.compact();
    const saved = records(await db.query('SHOW REPLICAS'))[0]!;
    expect(saved.disk_bytes).toBeGreaterThan(0);
    await db.close();
    const learnerDir = join(dir, 'learner');
    const segment = readdirSync(learnerDir).find((f) => f.endsWith('.parquet'))!;
    const bytes = readFileSync(join(learnerDir, segment));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(join(learnerDir, segment), bytes);
    db = await Database.open(dir, { learner: { worker: false } });
    await learnerOf(db.store)!.caughtUp();
    const [row] = records(await db.query('SHOW REPLICAS'));
    expect(row).toMatchObject({ table_name: 'big', state: 'running', rebuilds: 1, lag_entries: 0 });
    expect(String(row!.last_damage)).toContain(segment);
    expect(Number(row!.delta_rows) + Number(row!.stable_rows)).toBe(5000);
    await db.close();
  });
});

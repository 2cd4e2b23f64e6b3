// Crash safety: a real child process commits transactions and is killed with SIGKILL at random moments;
// after every kill the store must reopen cleanly with every acknowledged commit and no partial one.
// Also: damaged files in the data directory give a clear XX001 error naming the file.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RowStore } from '../../oltp/rowstore.ts';
import type { Row } from '../../oltp/types.ts';
import { createKv, openStore, rejectsWith, removeTempDirs, scanAll, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

const KILLS = 10;
const writer = join(import.meta.dirname, 'crash-writer.ts');

/** Runs the writer until it acknowledged something, waits a random moment, kills it; returns the acknowledged tags. */
function runAndKill(dir: string, firstTag: number, killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(firstTag), '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ACK ')) acked.push(Number(line.slice(4)));
        if (!armed && line.startsWith('ACK ')) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash recovery', () => {
  it(`keeps every acknowledged commit and no partial one across ${KILLS} SIGKILLs`, async () => {
    const dir = tempDir();
    const allAcked = new Set<number>();
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < KILLS; round++) {
      const acked = await runAndKill(dir, (round + 1) * 1_000_000, Math.floor(random() * 120));
      for (const t of acked) allAcked.add(t);
      const store = await RowStore.open(dir, { gcIntervalMs: 0 });
      const txn = store.begin();
      const items = await scanAll(txn, 'items');
      const counters = await scanAll(txn, 'counters');
      const perTag = new Map<number, number>();
      for (const r of items) perTag.set(r[1] as number, (perTag.get(r[1] as number) ?? 0) + 1);
      for (const [tag, n] of perTag) expect(n, `transaction ${tag} is partial`).toBe(3);
      for (const tag of allAcked) expect(perTag.has(tag), `acknowledged transaction ${tag} is missing (round ${round})`).toBe(true);
      expect(counters.reduce((s, r: Row) => s + (r[1] as number), 0)).toBe(perTag.size);
      // the index agrees with the table after recovery
      const t = txn.getTable('items')!;
      let viaIndex = 0;
      for await (const b of txn.indexScan(t, t.indexes[0]!)) viaIndex += b.length;
      expect(viaIndex).toBe(items.length);
      txn.rollback();
      await store.close();
    }
    expect(allAcked.size).toBeGreaterThan(KILLS);
  }, 120_000);
});

describe('damaged data files', () => {
  async function damagedDir(): Promise<string> {
    const dir = tempDir();
    const store = await openStore(dir);
    await createKv(store, 't', Array.from({ length: 3000 }, (_, i) => [i, i]));
    await store.close();
    // reopening converts the write-ahead log into a table file
    await (await openStore(dir)).close();
    return dir;
  }
  const files = (dir: string, re: RegExp): string[] => readdirSync(dir).filter((f) => re.test(f) && statSync(join(dir, f)).size > 0);

  it('a truncated table file gives XX001 naming the file', async () => {
    const dir = await damagedDir();
    const [ldb] = files(dir, /\.ldb$/);
    truncateSync(join(dir, ldb!), 100);
    const err = await rejectsWith(openAndScan(dir), 'XX001');
    expect(err.message).toContain(ldb!);
  });

  it('a truncated CURRENT file gives XX001 naming it', async () => {
    const dir = await damagedDir();
    truncateSync(join(dir, 'CURRENT'), 3);
    const err = await rejectsWith(RowStore.open(dir), 'XX001');
    expect(err.message).toContain('CURRENT');
  });

  it('a truncated MANIFEST gives XX001 naming it', async () => {
    const dir = await damagedDir();
    const [manifest] = files(dir, /^MANIFEST-/);
    truncateSync(join(dir, manifest!), 10);
    const err = await rejectsWith(RowStore.open(dir), 'XX001');
    expect(err.message).toContain(manifest!);
  });

  it('flipped bytes inside a table file give XX001 naming the file', async () => {
    const dir = await damagedDir();
    const [ldb] = files(dir, /\.ldb$/);
    const bytes = readFileSync(join(dir, ldb!));
    for (let i = 200; i < bytes.length - 200; i += 997) bytes[i] = bytes[i]! ^ 0x5a;
    writeFileSync(join(dir, ldb!), bytes);
    const err = await rejectsWith(openAndScan(dir), 'XX001');
    expect(err.message).toContain(ldb!);
  });
});

describe('damaged row versions', () => {
  it('a stored row whose bytes changed (damage LevelDB would not report) gives XX001 on get and scan', async () => {
    const store = await openStore();
    await createKv(store, 't', [[1, 100], [2, 200]]);
    const [key, value] = (await store.db.iterator({ gte: Buffer.from([0x03]), lt: Buffer.from([0x04]), limit: 1 }).all())[0]!;
    const damaged = Buffer.from(value);
    damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 0x01; // 100 becomes 101
    await store.db.put(key, damaged);
    const txn = store.begin();
    const t = txn.getTable('t')!;
    expect(() => txn.get(t, [1])).toThrow(/fails its checksum/);
    await rejectsWith(scanAll(txn, 't'), 'XX001');
    expect(txn.get(t, [2])).toEqual([2, 200]);
    txn.rollback();
    await store.close();
  });
});

describe('damaged write-ahead log', () => {
  it('a flipped byte in the middle of the write-ahead log gives XX001 naming it (LevelDB alone would drop the commits)', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    for (let i = 0; i < 50; i++) await createKv(store, `t${i}`, [[i, i]]);
    await store.close();
    const [wal] = readdirSync(dir).filter((f) => /\.log$/.test(f) && statSync(join(dir, f)).size > 0);
    const bytes = readFileSync(join(dir, wal!));
    bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0xff;
    writeFileSync(join(dir, wal!), bytes);
    const err = await rejectsWith(RowStore.open(dir), 'XX001');
    expect(err.message).toContain(wal!);
  });
});

async function openAndScan(dir: string): Promise<void> {
  const store = await RowStore.open(dir, { gcIntervalMs: 0 });
  try {
    const txn = store.begin();
    await scanAll(txn, 't');
    txn.rollback();
  } finally {
    await store.close();
  }
}

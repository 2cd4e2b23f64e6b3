// Large INSERT/UPDATE/DELETE give the event loop turns while they run (query/run/dml.ts), so a Raft
// leader's tick timer and heartbeats keep running; results and atomicity are unchanged. Deterministic:
// `dmlTurns.everyRows` makes a turn every n rows whatever the machine's speed.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database, Session } from '../../query/database.ts';
import { dmlTurns } from '../../query/run/dml.ts';
import { DuetError } from '../../oltp/errors.ts';
import { openTempDb } from './helpers.ts';

const ROWS = 1500;
const EVERY_ROWS = 50;

let db: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await openTempDb());
});
afterAll(async () => cleanup());
beforeEach(async () => {
  dmlTurns.everyRows = EVERY_ROWS;
  await db.query('DROP TABLE IF EXISTS t');
  await db.query('CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20), v DECIMAL(10,2))');
});
afterEach(() => {
  dmlTurns.everyRows = 0;
});

function valuesSql(from: number, n: number, last?: string): string {
  const rows = Array.from({ length: n }, (_, i) => `(${from + i}, 'n${from + i}', ${from + i}.25)`);
  if (last !== undefined) rows.push(last);
  return `INSERT INTO t VALUES ${rows.join(', ')}`;
}

/**
 * Runs `sql` in an open transaction of `session` (so the commit's I/O is not part of it) while a
 * setImmediate ticker and a 0 ms timer run; counts the ticks that happened before the statement ended.
 */
async function withTicker(session: Session, sql: string, onTick?: (n: number) => void): Promise<{ ticks: number; timerFired: boolean; error?: unknown }> {
  let ticks = 0;
  let running = true;
  let timerFired = false;
  const tick = (): void => {
    if (!running) return;
    ticks++;
    onTick?.(ticks);
    setImmediate(tick);
  };
  setImmediate(tick);
  // the replicator's tick is a timer (setInterval), which runs in another phase than setImmediate
  const timer = setTimeout(() => { timerFired = running; }, 0);
  let error: unknown;
  try {
    await session.query(sql);
  } catch (e) {
    error = e;
  } finally {
    running = false;
    clearTimeout(timer);
  }
  return { ticks, timerFired, ...(error === undefined ? {} : { error }) };
}

async function count(): Promise<number> {
  return (await db.query('SELECT count(*) AS n FROM t')).rows[0]![0] as number;
}

describe('long DML statements give the event loop turns', () => {
  it('a large INSERT ... VALUES lets timers and immediates run and inserts every row', async () => {
    const s = db.session();
    await s.query('BEGIN');
    const run = await withTicker(s, valuesSql(0, ROWS));
    await s.query('COMMIT');
    await s.close();
    expect(run.error).toBeUndefined();
    // binding, row values and writes each take ROWS / EVERY_ROWS turns
    expect(run.ticks).toBeGreaterThanOrEqual(ROWS / EVERY_ROWS);
    expect(run.timerFired).toBe(true);
    const r = await db.query('SELECT count(*), sum(id), min(name), max(v) FROM t');
    expect(r.rows[0]).toEqual([ROWS, (ROWS * (ROWS - 1)) / 2, 'n0', `${ROWS - 1}.25`]);
  });

  it('a failing last row leaves nothing of a large INSERT, and readers never see its rows', async () => {
    const seen: Promise<number>[] = [];
    const s = db.session();
    await s.query('BEGIN');
    const run = await withTicker(s, valuesSql(0, ROWS, "(7, 'duplicate', 1)"), (n) => {
      if (n === 3) seen.push(count()); // another session reads while the statement runs
    });
    expect(run.error).toBeInstanceOf(DuetError);
    expect((run.error as DuetError).code).toBe('23505');
    expect(run.ticks).toBeGreaterThanOrEqual(ROWS / EVERY_ROWS);
    await s.query('ROLLBACK');
    await s.close();
    expect(await Promise.all(seen)).toEqual([0]);
    expect(await count()).toBe(0);
  });

  it('a large UPDATE and DELETE let the ticker run and change exactly their rows', async () => {
    await db.query(valuesSql(0, ROWS));
    const s = db.session();
    await s.query('BEGIN');
    const up = await withTicker(s, 'UPDATE t SET v = v + 1, name = \'u\' WHERE id >= 100');
    expect(up.error).toBeUndefined();
    expect(up.ticks).toBeGreaterThanOrEqual((ROWS - 100) / EVERY_ROWS);
    const del = await withTicker(s, 'DELETE FROM t WHERE id % 3 = 0');
    expect(del.error).toBeUndefined();
    expect(del.ticks).toBeGreaterThanOrEqual(ROWS / 3 / EVERY_ROWS);
    await s.query('COMMIT');
    await s.close();
    const left = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 3 !== 0);
    const r = await db.query('SELECT count(*), sum(v), count(*) FILTER (WHERE name = \'u\') FROM t');
    const sumV = left.reduce((acc, i) => acc + i + 0.25 + (i >= 100 ? 1 : 0), 0);
    expect(r.rows[0]).toEqual([left.length, sumV.toFixed(2), left.filter((i) => i >= 100).length]);
  });

  it('a cancel during a large INSERT stops it with 57014 and leaves nothing', async () => {
    const s = db.session();
    const run = await withTicker(s, valuesSql(0, ROWS), (n) => {
      if (n === 2) s.cancel();
    });
    await s.close();
    expect((run.error as DuetError | undefined)?.code).toBe('57014');
    expect(await count()).toBe(0);
  });
});

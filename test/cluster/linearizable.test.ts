// Linearizability of a register (one row) through a real 3-process cluster while nodes are SIGKILLed,
// restarted and isolated (a TCP proxy per directed link): histories checked with checkRegisterHistory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRegisterHistory } from '../linearizability/checker.ts';
import type { RegisterInput } from '../linearizability/history.ts';
import { HistoryRecorder } from '../linearizability/recorder.ts';
import { sleep, TestCluster } from './helpers.ts';

const CLIENTS = 4;
const WORKLOAD_MS = 18_000;
const OP_TIMEOUT_MS = 4_000;
/** Refusals that certainly happened before anything was proposed (or whose proposal was overwritten). */
const DID_NOT_HAPPEN = new Set(['25006', '40001', '40P01']);

type Outcome =
  | { kind: 'ok'; value?: number | string | null }
  | { kind: 'casFailed' }
  | { kind: 'refused'; hint?: string }
  | { kind: 'unknown' }
  | { kind: 'rowMissing' };

async function runOp(client: pg.Client, input: RegisterInput): Promise<Outcome> {
  // Reads are plain SELECTs on any node (a node passes a ReadIndex barrier first). Writes and cas always write
  // the row, so they commit through Raft on the leader: an UPDATE that matched nothing would commit locally as
  // read-only (see oltp/replication/README.md). The cas keeps the old value in `prev` to report its outcome.
  const sql =
    input.kind === 'read' ? { text: 'SELECT v FROM reg WHERE id = 1', values: [] as unknown[] }
    : input.kind === 'write' ? { text: 'UPDATE reg SET v = $1 WHERE id = 1 RETURNING v', values: [input.value] }
    : { text: 'UPDATE reg SET prev = v, v = CASE WHEN v = $1 THEN $2 ELSE v END WHERE id = 1 RETURNING prev', values: [input.expected, input.next] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), OP_TIMEOUT_MS)));
  try {
    const r = await Promise.race([client.query(sql.text, sql.values), timeout]);
    if (r === 'timeout') return { kind: 'unknown' };
    // The row exists before the workload starts: a linearizable read must always find it.
    if (input.kind === 'read') return { kind: 'ok', value: r.rowCount === 1 ? (r.rows[0] as { v: number | null }).v : 'row missing' };
    // An UPDATE finding no row: a restarted follower that has not replayed the insert yet (writes pass no
    // barrier; nothing was written or proposed).
    if (r.rowCount !== 1) return { kind: 'rowMissing' };
    if (input.kind === 'write') return { kind: 'ok' };
    return (r.rows[0] as { prev: number | null }).prev === input.expected ? { kind: 'ok' } : { kind: 'casFailed' };
  } catch (e) {
    const err = e as { code?: string; hint?: string };
    if (err.code !== undefined && DID_NOT_HAPPEN.has(err.code)) return { kind: 'refused', ...(err.hint === undefined ? {} : { hint: err.hint }) };
    return { kind: 'unknown' }; // 08007, a dropped connection, anything else: the outcome is not known
  } finally {
    clearTimeout(timer);
  }
}

function randomInput(): RegisterInput {
  const r = Math.random();
  const value = (): number => Math.floor(Math.random() * 5);
  if (r < 0.4) return { kind: 'read' };
  if (r < 0.7) return { kind: 'write', value: value() };
  return { kind: 'cas', expected: value(), next: value() };
}

/** One client: reads from a random node, writes to the leader (following hints); records every operation. */
async function clientLoop(cluster: TestCluster, recorder: HistoryRecorder, clientId: number, untilMs: number, stats: Record<string, number>): Promise<void> {
  let writeTarget = cluster.ids[clientId % cluster.ids.length]!;
  const next = (id: number): number => cluster.ids[(cluster.ids.indexOf(id) + 1) % cluster.ids.length]!;
  const conns = new Map<number, pg.Client>();
  const drop = (id: number): void => {
    void conns.get(id)?.end().catch(() => undefined);
    conns.delete(id);
  };
  while (Date.now() < untilMs) {
    const input = randomInput();
    const target = input.kind === 'read' ? cluster.ids[Math.floor(Math.random() * cluster.ids.length)]! : writeTarget;
    let client = conns.get(target);
    if (client === undefined) {
      try {
        client = await cluster.connect(target);
        conns.set(target, client);
      } catch {
        if (input.kind !== 'read') writeTarget = next(writeTarget);
        await sleep(50);
        continue;
      }
    }
    const id = recorder.invoke(clientId, input);
    const outcome = await runOp(client, input);
    stats[outcome.kind] = (stats[outcome.kind] ?? 0) + 1;
    if (outcome.kind === 'ok') recorder.ok(id, input.kind === 'read' ? (outcome.value ?? null) : undefined);
    else if (outcome.kind === 'casFailed') recorder.casFailed(id);
    else if (outcome.kind === 'refused' || outcome.kind === 'rowMissing') {
      recorder.didNotHappen(id);
      if (input.kind === 'read') {
        await sleep(50);
        continue;
      }
      const hint = outcome.kind === 'refused' ? outcome.hint : undefined;
      const hinted = hint?.startsWith('connect to the leader at ') ? cluster.idOfSqlAddress(hint.slice(24)) : undefined;
      writeTarget = hinted ?? next(writeTarget);
      if (hinted === undefined) await sleep(50);
    } else {
      recorder.info(id);
      drop(target);
    }
  }
  for (const id of [...conns.keys()]) drop(id);
}

/** Faults, one at a time: SIGKILL + restart (leader or random node), or isolating a node for a while. */
async function nemesis(cluster: TestCluster, untilMs: number, log: string[]): Promise<void> {
  let round = 0;
  while (Date.now() < untilMs - 3_000) {
    await sleep(1_500);
    const victim = cluster.ids[Math.floor(Math.random() * cluster.ids.length)]!;
    if (round++ % 2 === 0) {
      log.push(`kill ${victim}`);
      await cluster.kill(victim, 'SIGKILL');
      await sleep(500);
      await cluster.startNode(victim);
      log.push(`restarted ${victim}`);
    } else {
      log.push(`isolate ${victim}`);
      cluster.isolate(victim, true);
      await sleep(2_000);
      cluster.isolate(victim, false);
      log.push(`heal ${victim}`);
    }
  }
}

describe('register linearizability on a real cluster under faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-linear-'));
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('read / write / cas from concurrent clients stays linearizable; acknowledged writes survive', async () => {
    cluster = await TestCluster.start({ dir, proxies: true });
    await cluster.atLeader('CREATE TABLE reg (id INT PRIMARY KEY, v INT, prev INT)');
    await cluster.atLeader('INSERT INTO reg VALUES (1, 0, NULL)');
    const start = Date.now();
    const recorder = new HistoryRecorder(() => Date.now() - start);
    // The row starts at 0; recorded as a completed write so the model starts from the same value.
    recorder.ok(recorder.invoke(99, { kind: 'write', value: 0 }));
    const until = Date.now() + WORKLOAD_MS;
    const stats: Record<string, number> = {};
    const faults: string[] = [];
    await Promise.all([nemesis(cluster, until, faults), ...Array.from({ length: CLIENTS }, (_, c) => clientLoop(cluster!, recorder, c, until, stats))]);

    // Heal everything, then a final read through the leader: it must agree with every acknowledged write.
    for (const id of cluster.ids) cluster.isolate(id, false);
    for (const id of cluster.ids) if (!cluster.isRunning(id)) await cluster.startNode(id);
    const finalId = recorder.invoke(100, { kind: 'read' });
    const { result } = await cluster.atLeader('SELECT v FROM reg WHERE id = 1');
    expect(result.rowCount, 'the register row must survive').toBe(1);
    recorder.ok(finalId, (result.rows[0] as { v: number }).v);

    const ops = recorder.operations();
    const verdict = checkRegisterHistory(ops, { timeoutMs: 20_000 });
    const summary = `ops ${ops.length}, outcomes ${JSON.stringify(stats)}, faults: ${faults.join(', ')}`;
    console.log(summary);
    if (verdict.linearizable !== true) console.log(verdict);
    expect(verdict.linearizable, summary).toBe(true);
    expect(stats.ok ?? 0, summary).toBeGreaterThan(20); // the cluster made progress through the faults (low bar: CI machines are loaded)
  }, 150_000);
});

// InstallSnapshot benchmark: a 3-node cluster on loopback holds N rows; a follower is SIGKILLed, the leader
// compacts past it, and the follower restarts: how long the image takes to stream and install, and from
// restart to the follower answering the same row count. Compaction time is read from the nodes' logs.
// Run: npx tsx bench/raft/snapshot.ts [--rows 50000] [--payload-bytes 100]   (prints a markdown table)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, TestCluster } from '../../test/cluster/helpers.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const rows = arg('rows', 50_000);
const payloadBytes = arg('payload-bytes', 100);
/** Rows per INSERT: a much longer statement blocks a node's event loop long enough (parsing) to cost elections. */
const ROWS_PER_STATEMENT = 100;
const log = (m: string): void => void process.stderr.write(`[snapshot bench] ${m}\n`);

async function countOn(cluster: TestCluster, id: number): Promise<number> {
  const c = await cluster.connect(id);
  try {
    return Number((await c.query('SELECT count(*) AS n FROM big')).rows[0].n);
  } finally {
    await c.end();
  }
}

/** One statement at the leader; an unknown outcome (08007, a leader change under load) or its retry's 23505 is fine. */
async function write(cluster: TestCluster, sql: string): Promise<void> {
  try {
    await cluster.atLeader(sql, [], 60_000);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '08007' && code !== '23505') throw e;
    log(`${code} (${(e as Error).message}): carrying on`);
  }
}

function logOf(cluster: TestCluster, id: number): string {
  return (cluster.logs.get(id) ?? []).join('');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-snapshot-'));
  const cluster = await TestCluster.start({ dir, extraArgs: ['--compact-entries', '200', '--retain-entries', '50'] });
  try {
    await cluster.atLeader('CREATE TABLE big (id INT PRIMARY KEY, payload TEXT)');
    const payload = 'x'.repeat(payloadBytes);
    const loadStart = performance.now();
    for (let from = 0; from < rows; from += ROWS_PER_STATEMENT) {
      const n = Math.min(ROWS_PER_STATEMENT, rows - from);
      const values = Array.from({ length: n }, (_, i) => `(${from + i}, '${payload}')`).join(',');
      await write(cluster, `INSERT INTO big VALUES ${values}`);
    }
    log(`loaded ${rows} rows in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
    const { id: leader } = await cluster.atLeader('UPDATE big SET payload = payload WHERE id = -1');
    const follower = cluster.ids.find((i) => i !== leader)!;
    await cluster.kill(follower);
    for (let i = 0; i < 600; i++) await write(cluster, `INSERT INTO big VALUES (${rows + i}, '${payload}')`);
    const expected = await countOn(cluster, cluster.leaderHint);
    const restartAt = performance.now();
    await cluster.startNode(follower);
    const answeringMs = performance.now() - restartAt;
    while ((await countOn(cluster, follower).catch(() => -1)) !== expected) await sleep(50);
    const caughtUpMs = performance.now() - restartAt;
    // The leader may have changed meanwhile: look at every node's log.
    const all = cluster.ids.map((id) => logOf(cluster, id)).join('');
    const sent = new RegExp(`sent a snapshot at Raft index (\\d+) to node ${follower}: (\\d+) keys, (\\d+) bytes in (\\d+) ms`).exec(all);
    const installed = /installed a snapshot at Raft index \d+: row-store index \d+, (\d+) bytes in (\d+) ms/.exec(logOf(cluster, follower));
    const compactions = [...all.matchAll(/compacted the Raft log through index \d+ \((\d+) entries, (\d+) ms\)/g)];
    if (sent === null || installed === null) log(`no snapshot found in the logs:\n${all}`);
    const compactMs = compactions.map((m) => Number(m[2]));
    const mib = (b: string | undefined): string => (Number(b) / 1024 / 1024).toFixed(1);
    console.log(`| rows | image | keys | stream (leader) | install (follower) | restart → SQL answers | restart → caught up | compactions (max ms) | load avg |`);
    console.log(`|---|---|---|---|---|---|---|---|---|`);
    console.log(
      `| ${rows} | ${mib(sent?.[3])} MiB | ${sent?.[2]} | ${sent?.[4]} ms | ${installed?.[2]} ms | ${answeringMs.toFixed(0)} ms | ${caughtUpMs.toFixed(0)} ms | ${compactions.length} (${Math.max(0, ...compactMs)}) | ${loadavg()[0]!.toFixed(1)} |`,
    );
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

// A real cluster for tests: `node bin/duet.js node ...` child processes on loopback, optionally behind a
// fault-injecting TCP proxy per directed link, plus a SQL client that follows "connect to the leader" hints.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    servers.push(s);
    ports.push((s.address() as { port: number }).port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Forwards one directed link (from -> to); `blocked` cuts it (open connections and new ones). */
export class LinkProxy {
  blocked = false;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(port: number, targetPort: number): Promise<LinkProxy> {
    const server = createServer();
    const proxy = new LinkProxy(server);
    server.on('connection', (client) => {
      if (proxy.blocked) return void client.destroy();
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          proxy.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  setBlocked(blocked: boolean): void {
    this.blocked = blocked;
    if (blocked) for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export interface ClusterOptions {
  readonly dir: string;
  readonly size?: number;
  /** Put a LinkProxy on every directed link (so nodes can be isolated). */
  readonly proxies?: boolean;
  readonly tickMs?: number;
  /** More `duet node` options for every node (e.g. compaction thresholds). */
  readonly extraArgs?: readonly string[];
  /** More options for the founding nodes only, not for nodes added later with addNode. */
  readonly founderArgs?: readonly string[];
}

const BIN = join(import.meta.dirname, '../../bin/duet.js');

export class TestCluster {
  readonly ids: number[];
  readonly sqlPorts = new Map<number, number>();
  private readonly raftPorts = new Map<number, number>();
  private readonly proxies = new Map<string, LinkProxy>();
  private readonly proxyPorts = new Map<string, number>();
  private readonly procs = new Map<number, ChildProcess>();
  readonly logs = new Map<number, string[]>();
  private lastLeader = 1;
  private readonly nodeArgs = new Map<number, readonly string[]>();

  private constructor(private readonly options: ClusterOptions) {
    this.ids = Array.from({ length: options.size ?? 3 }, (_, i) => i + 1);
  }

  static async start(options: ClusterOptions): Promise<TestCluster> {
    const c = new TestCluster(options);
    const n = c.ids.length;
    const ports = await freePorts(2 * n + (options.proxies ? n * (n - 1) : 0));
    c.ids.forEach((id, i) => {
      c.raftPorts.set(id, ports[i]!);
      c.sqlPorts.set(id, ports[n + i]!);
    });
    if (options.proxies) {
      let k = 2 * n;
      for (const from of c.ids) {
        for (const to of c.ids) {
          if (from === to) continue;
          const port = ports[k++]!;
          c.proxyPorts.set(`${from}>${to}`, port);
          c.proxies.set(`${from}>${to}`, await LinkProxy.start(port, c.raftPorts.get(to)!));
        }
      }
    }
    await Promise.all(c.ids.map((id) => c.startNode(id)));
    return c;
  }

  /** Starts (or restarts) node `id` and waits until its SQL port answers. */
  async startNode(id: number): Promise<void> {
    // A second process for a running id would fail, and its handle would orphan the first one.
    if (this.isRunning(id)) throw new Error(`node ${id} is already running`);
    const peers = this.ids
      .map((p) => `${p}=127.0.0.1:${p === id || !this.options.proxies ? this.raftPorts.get(p) : (this.proxyPorts.get(`${id}>${p}`) ?? this.raftPorts.get(p))}`)
      .join(',');
    const args = [BIN, 'node', '--id', String(id), '--db', join(this.options.dir, `n${id}`), '--listen', `127.0.0.1:${this.raftPorts.get(id)}`,
      '--sql', `127.0.0.1:${this.sqlPorts.get(id)}`, '--peers', peers, '--tick-ms', String(this.options.tickMs ?? 50), ...(this.options.extraArgs ?? []), ...(this.nodeArgs.get(id) ?? (this.options.founderArgs ?? []))];
    // Voters run without a columnar learner (CPU on a shared 2-core box); a learner member (--learner) exists for one.
    if (!args.includes('--learner')) args.push('--no-learner');
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = this.logs.get(id) ?? [];
    this.logs.set(id, log);
    const keep = (b: Buffer): void => {
      log.push(b.toString());
      if (log.length > 200) log.shift();
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    this.procs.set(id, proc);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`node ${id} exited (${proc.exitCode}): ${log.join('')}`);
      try {
        const client = await this.connect(id);
        await client.end();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`node ${id} did not start: ${log.join('')}`);
        await sleep(100);
      }
    }
  }

  /**
   * Starts one more node (the next id) with `duet node --join` (or `joinArgs`): the others learn its address
   * from its hello; its links are direct (no proxy). Returns its id once its SQL port answers.
   */
  async addNode(joinArgs: readonly string[] = ['--join']): Promise<number> {
    const id = Math.max(...this.ids) + 1;
    const [raftPort, sqlPort] = await freePorts(2);
    this.raftPorts.set(id, raftPort!);
    this.sqlPorts.set(id, sqlPort!);
    this.nodeArgs.set(id, joinArgs);
    this.ids.push(id);
    await this.startNode(id);
    return id;
  }

  /** The node's data directory (Raft log in raft/, rows in rows/). */
  dataDir(id: number): string {
    return join(this.options.dir, `n${id}`);
  }

  /** The id of the node that answered the last statement run through atLeader. */
  get leaderHint(): number {
    return this.lastLeader;
  }

  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.procs.get(id);
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  }

  /** The node's process id while it runs (benchmarks read its CPU time from /proc). */
  pidOf(id: number): number | undefined {
    return this.isRunning(id) ? this.procs.get(id)!.pid : undefined;
  }

  isRunning(id: number): boolean {
    const proc = this.procs.get(id);
    return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  }

  /** Cuts (or restores) every link to and from `id`. */
  isolate(id: number, isolated: boolean): void {
    for (const [key, proxy] of this.proxies) {
      const [from, to] = key.split('>').map(Number);
      if (from === id || to === id) proxy.setBlocked(isolated);
    }
  }

  async connect(id: number): Promise<pg.Client> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.sqlPorts.get(id)!, user: 'duet', database: 'duet', connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  idOfSqlAddress(address: string): number | undefined {
    const port = Number(address.split(':')[1]);
    for (const [id, p] of this.sqlPorts) if (p === port) return id;
    return undefined;
  }

  /**
   * Runs one statement at the leader: follows 25006 hints, retries refusals that certainly did not commit
   * (25006, 40001) until `timeoutMs`. Returns the result and the node that answered.
   */
  async atLeader(sql: string, params: unknown[] = [], timeoutMs = 20_000): Promise<{ result: pg.QueryResult; id: number }> {
    const deadline = Date.now() + timeoutMs;
    // Start at the last known leader: a lagging follower may fail a statement before its commit reaches the hook.
    let id = this.isRunning(this.lastLeader) ? this.lastLeader : (this.ids.find((i) => this.isRunning(i)) ?? 1);
    for (;;) {
      let client: pg.Client | undefined;
      let connected = false;
      try {
        client = await this.connect(id);
        connected = true;
        const result = await client.query(sql, params);
        this.lastLeader = id;
        return { result, id };
      } catch (e) {
        const err = e as { code?: string; hint?: string };
        if (Date.now() > deadline) throw e;
        const hinted = err.code === '25006' && err.hint?.startsWith('connect to the leader at ') ? this.idOfSqlAddress(err.hint.slice('connect to the leader at '.length)) : undefined;
        if (hinted !== undefined && hinted !== id && this.isRunning(hinted)) id = hinted;
        // 42P01: a lagging follower that has not applied the table yet (the statement did nothing).
        else if (err.code === '25006' || err.code === '40001' || err.code === '42P01' || !connected) {
          const running = this.ids.filter((i) => this.isRunning(i));
          id = running[(running.indexOf(id) + 1) % running.length] ?? id;
          await sleep(100);
        } else throw e;
      } finally {
        await client?.end().catch(() => undefined);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.kill(id, 'SIGKILL')));
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

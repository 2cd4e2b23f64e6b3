// `duet node`: one cluster member. Opens the Raft log (DIR/raft) and the row store (DIR/rows), joins its
// peers over TCP, and serves SQL over the PostgreSQL wire protocol until SIGINT/SIGTERM.

import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { DuetError } from '../errors.ts';
import { bootstrapSnapshot, LevelStorage, makeConfig, type NodeId } from '../raft/index.ts';
import { Replicator } from './replicator.ts';
import { TcpTransport, type JoinRequest } from './transport.ts';

export const NODE_USAGE = `usage: duet node --id N --db DIR --listen HOST:PORT --sql HOST:PORT --peers 1=HOST:PORT,2=HOST:PORT,...
  --id N              this member's id (a positive integer, one of --peers)
  --db DIR            data directory (Raft log in DIR/raft, rows in DIR/rows)
  --listen HOST:PORT  where peers reach this node (Raft messages)
  --sql HOST:PORT     where clients connect (PostgreSQL wire protocol)
  --peers LIST        every voter's id=HOST:PORT (Raft addresses), this node included
  --tick-ms N         Raft tick (default 50); --election-ticks N (default 10: elections after 0.5-1 s)
  --compact-entries N compact the Raft log once N applied entries sit beyond the retained tail (default 10000)
  --retain-entries N  applied entries kept after a compaction for followers close behind (default 1000)
  --snapshot-chunk-bytes N  row-store image bytes per InstallSnapshot chunk (default 262144)
  --join              join a running cluster as a learner (first start only): --peers names the members to ask,
                      the leader adds this node and sends it a snapshot; it serves reads, refuses writes
  --join-voter        --join, then become a voter once caught up
  --replaces N        --join-voter, then remove member N (replacing a node that lost its data or its machine)
  --learner           --join as a columnar learner member that is never promoted: it receives the log (or a
                      snapshot) from whoever leads, never votes, and serves analytical SQL from its columnar
                      replica (reads wait for the leader's commit index; --stale-reads skips that)
  --stale-reads       serve reads from the local applied snapshot without asking the leader (faster, may be stale)
  --no-learner        do not start the columnar learner (every query reads the row store)
  --learner-at HOST:PORT  feed and read a columnar learner process (duet learner) instead of a local one
  --serve-reads HOST:PORT   with --learner: serve the other members' column-path reads from this member's learner
  --read-learner HOST:PORT  send this node's column-path reads to a learner member's --serve-reads address
                          (instead of a local columnar learner; reconnects when the member restarts)
  --learner-apply-ms N    least time between apply messages to the columnar learner while commits stream in
                          (default 5; longer puts more commits in each learner wake-up; a consistent read never waits for it)`;

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface NodeArgs {
  id: NodeId;
  dir: string;
  listen: Address;
  sql: Address;
  peers: Map<NodeId, Address>;
  tickMs: number;
  electionTicks: number;
  staleReads: boolean;
  compactEntries?: number;
  retainEntries?: number;
  snapshotChunkBytes?: number;
  join?: boolean;
  joinVoter?: boolean;
  replaces?: number;
  /** --learner: join as a learner member that is never promoted, with its columnar learner (duet node --learner). */
  learnerMember?: boolean;
  /** --no-learner: no embedded columnar learner on this member. */
  noLearner?: boolean;
  /** --learner-at: the columnar learner is a separate process (`duet learner`) at this address. */
  learnerAt?: string;
  /** --serve-reads: where a learner member serves other nodes' column-path reads (olap/learner/relay.ts). */
  serveReads?: Address;
  /** --read-learner: the learner member's --serve-reads address this node reads through (no local learner). */
  readLearner?: string;
  /** --learner-apply-ms: the columnar learner's feeder coalescing interval (LearnerReplicaOptions.applyIntervalMs). */
  learnerApplyMs?: number;
}

export function parseAddress(text: string, flag: string): Address {
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new DuetError('22023', `${flag} takes HOST:PORT, not "${text}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new DuetError('22023', `${flag} takes a positive integer, not "${text}"`);
  return n;
}

function nonNegative(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new DuetError('22023', `${flag} takes a non-negative integer, not "${text}"`);
  return n;
}

/**
 * The SQL address peers pass on in "connect to the leader at ..." hints: a wildcard listen address
 * (0.0.0.0, ::) is no address a client can use, so the host peers reach this node at stands in for it.
 */
export function advertisedSql(sql: Address, listen: Address): string {
  const wildcard = sql.host === '0.0.0.0' || sql.host === '::' || sql.host === '[::]';
  return `${wildcard ? listen.host : sql.host}:${sql.port}`;
}

export function parseNodeArgs(argv: readonly string[]): NodeArgs | 'help' {
  const got = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--stale-reads' || flag === '--no-learner' || flag === '--join' || flag === '--join-voter' || flag === '--learner') {
      got.set(flag, '');
      continue;
    }
    const value = argv[++i];
    if (!['--id', '--db', '--listen', '--sql', '--peers', '--tick-ms', '--election-ticks', '--compact-entries', '--retain-entries', '--snapshot-chunk-bytes', '--replaces', '--learner-at', '--learner-apply-ms', '--serve-reads', '--read-learner'].includes(flag)) throw new DuetError('22023', `unknown option ${flag}`);
    if (value === undefined) throw new DuetError('22023', `${flag} needs a value`);
    got.set(flag, value);
  }
  for (const required of ['--id', '--db', '--listen', '--sql', '--peers']) {
    if (!got.has(required)) throw new DuetError('22023', `${required} is required`);
  }
  const peers = new Map<NodeId, Address>();
  for (const part of got.get('--peers')!.split(',')) {
    const [id, address] = part.split('=');
    if (id === undefined || address === undefined) throw new DuetError('22023', `--peers takes id=HOST:PORT items, not "${part}"`);
    peers.set(positive(id, '--peers'), parseAddress(address, '--peers'));
  }
  if (got.has('--learner')) {
    // A learner member exists for its columnar replica and never becomes a voter.
    const clash = ['--no-learner', '--learner-at', '--join-voter', '--replaces', '--read-learner'].find((f) => got.has(f));
    if (clash !== undefined) throw new DuetError('22023', `--learner cannot be combined with ${clash}`);
  } else if (got.has('--serve-reads')) throw new DuetError('22023', '--serve-reads needs --learner (only a learner member serves reads)');
  if (got.has('--read-learner') && got.has('--learner-at')) throw new DuetError('22023', '--read-learner cannot be combined with --learner-at');
  const id = positive(got.get('--id')!, '--id');
  const listen = parseAddress(got.get('--listen')!, '--listen');
  if (!peers.has(id)) peers.set(id, listen);
  return {
    id,
    dir: got.get('--db')!,
    listen,
    sql: parseAddress(got.get('--sql')!, '--sql'),
    peers,
    tickMs: positive(got.get('--tick-ms') ?? '50', '--tick-ms'),
    electionTicks: positive(got.get('--election-ticks') ?? '10', '--election-ticks'),
    staleReads: got.has('--stale-reads'),
    compactEntries: positive(got.get('--compact-entries') ?? '10000', '--compact-entries'),
    retainEntries: nonNegative(got.get('--retain-entries') ?? '1000', '--retain-entries'),
    snapshotChunkBytes: positive(got.get('--snapshot-chunk-bytes') ?? String(256 * 1024), '--snapshot-chunk-bytes'),
    noLearner: got.has('--no-learner'),
    ...(got.has('--learner-at') ? { learnerAt: got.get('--learner-at')! } : {}),
    ...(got.has('--serve-reads') ? { serveReads: parseAddress(got.get('--serve-reads')!, '--serve-reads') } : {}),
    ...(got.has('--read-learner') && parseAddress(got.get('--read-learner')!, '--read-learner') ? { readLearner: got.get('--read-learner')! } : {}),
    ...(got.has('--learner-apply-ms') ? { learnerApplyMs: nonNegative(got.get('--learner-apply-ms')!, '--learner-apply-ms') } : {}),
    join: got.has('--join') || got.has('--join-voter') || got.has('--replaces') || got.has('--learner'),
    learnerMember: got.has('--learner'),
    joinVoter: got.has('--join-voter') || got.has('--replaces'),
    ...(got.has('--replaces') ? { replaces: positive(got.get('--replaces')!, '--replaces') } : {}),
  };
}

/** A running member; `stop()` closes the SQL server, the transport and both databases. */
export interface RunningNode {
  readonly replicator: Replicator;
  readonly sqlPort: number;
  stop(): Promise<void>;
}

export async function startNode(args: NodeArgs): Promise<RunningNode> {
  await mkdir(args.dir, { recursive: true });
  const raftDb = new ClassicLevel<string, Uint8Array>(join(args.dir, 'raft'), { valueEncoding: 'view' });
  await raftDb.open();
  // A founding member starts with every peer as a voter; a joining one with no configuration at all (it never
  // campaigns) until the leader's log, which adds it, reaches it. Either is used only when nothing is stored yet.
  const founding = args.join === true ? makeConfig([]) : makeConfig([...args.peers.keys()]);
  const storage = await LevelStorage.open(raftDb, 'raft', bootstrapSnapshot(founding));
  let transport: TcpTransport | undefined;
  const replicator = new Replicator({
    id: args.id,
    storage,
    send: (messages) => transport?.send(messages),
    sqlAddressOf: (id) => transport?.sqlAddresses.get(id),
    tickMs: args.tickMs,
    electionTicks: args.electionTicks,
    sendSnapshotFrame: (f) => transport?.sendSnapshotFrame(f) ?? false,
    ...(args.join === true ? { join: { request: { voter: args.joinVoter === true, replaces: args.replaces }, send: (r: JoinRequest) => transport?.sendJoin(r) } } : {}),
    ...(args.compactEntries !== undefined ? { compactEntries: args.compactEntries } : {}),
    ...(args.retainEntries !== undefined ? { retainEntries: args.retainEntries } : {}),
    ...(args.snapshotChunkBytes !== undefined ? { snapshotChunkBytes: args.snapshotChunkBytes } : {}),
  });
  const { Database } = await import('../../query/database.ts');
  const { databaseEngine } = await import('../../server/database-engine.ts');
  const { PgServer } = await import('../../server/server.ts');
  const learner = { ...(args.learnerAt !== undefined ? { remote: args.learnerAt } : {}), ...(args.learnerApplyMs !== undefined ? { applyIntervalMs: args.learnerApplyMs } : {}) };
  const noLocalLearner = args.noLearner === true || args.readLearner !== undefined;
  const db = await Database.open(join(args.dir, 'rows'), { replicate: (entries) => replicator.replicate(entries), ...(noLocalLearner ? { learner: false } : Object.keys(learner).length > 0 ? { learner } : {}) });
  transport = await TcpTransport.listen({
    id: args.id,
    listen: args.listen,
    sqlAddress: advertisedSql(args.sql, args.listen),
    peers: args.peers,
    onMessage: (m) => replicator.receive(m),
    onSnapshotFrame: (f) => replicator.receiveSnapshotFrame(f),
    onJoin: (id, request) => replicator.receiveJoin(id, request),
  });
  replicator.start(db.store);
  // SHOW REPLICAS on every member lists the group's learner members (the columnar learners of duet node --learner).
  const { reportMemberReplicas } = await import('../../olap/learner/index.ts');
  reportMemberReplicas(db.store, () =>
    replicator.learnerMembers().map((m) => ({ replica: `raft learner ${m.id}${m.sql !== undefined ? ` at ${m.sql}` : ''}`, state: m.state, appliedIndex: m.match, leaderIndex: m.commit })),
  );
  // Column-path reads through a learner member: served by the member, used by the others.
  const { readThroughMember, serveRelay } = await import('../../olap/learner/relay.ts');
  const { learnerOf } = await import('../../olap/learner/index.ts');
  let relay: { close(): Promise<void> } | undefined;
  if (args.serveReads !== undefined) {
    await db.startLearner();
    relay = await serveRelay(learnerOf(db.store)!, args.serveReads.host, args.serveReads.port);
  }
  const stopReading = args.readLearner !== undefined ? readThroughMember(db.store, args.readLearner, (line) => console.error(`duet node ${args.id}: ${line}`)) : undefined;
  const { clusterEngine } = await import('./linearizable-engine.ts');
  const engine = clusterEngine(databaseEngine(db), replicator, args.staleReads);
  const server = await PgServer.listen({ engine, host: args.sql.host, port: args.sql.port });
  return {
    replicator,
    sqlPort: server.port,
    async stop() {
      await server.close();
      await relay?.close();
      await stopReading?.();
      await replicator.stop();
      await transport?.close();
      await db.close();
      await raftDb.close();
    },
  };
}

export async function nodeMain(argv: readonly string[]): Promise<number> {
  let args: NodeArgs | 'help';
  try {
    args = parseNodeArgs(argv);
  } catch (e) {
    console.error(`duet node: ${(e as Error).message}\n${NODE_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(NODE_USAGE);
    return 0;
  }
  const node = await startNode(args);
  const role = args.learnerMember === true ? ' (columnar learner member)' : '';
  console.error(`duet node ${args.id}${role}: raft on ${args.listen.host}:${args.listen.port}, SQL on ${args.sql.host}:${node.sqlPort}, data in ${args.dir}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await node.stop();
  return 0;
}

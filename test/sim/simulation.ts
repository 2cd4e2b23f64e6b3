// Deterministic cluster simulator (in the spirit of TigerBeetle's VOPR): one seed fixes every fault rate and
// event. Runs the real Raft core; checks safety after every step, then liveness after healing.

import { makeConfig } from '../../oltp/raft/config.ts';
import { RaftNode, type Ready } from '../../oltp/raft/node.ts';
import { SeededRandom } from '../../oltp/raft/rand.ts';
import { bootstrapSnapshot, MemoryStorage } from '../../oltp/raft/storage.ts';
import type { ConfChange, Message, NodeId } from '../../oltp/raft/types.ts';
import { Checker } from './checker.ts';
import type { SimClient } from './log-client.ts';
import { HashChainMachine, type SimMachine } from './state-machine.ts';

export interface SimOptions {
  readonly seed: number;
  /** Simulated time units of faults (a node ticks every TICK_UNITS units). */
  readonly chaosUnits?: number;
  /** Bound for liveness after healing: a leader and a new commit within this many units. */
  readonly healUnitsMax?: number;
  /** Print every event and delivered message from this unit on (for replaying a failure). */
  readonly verboseFromUnit?: number;
  /**
   * Builds a node's state machine at every (re)start; its state then comes from restore() with the stored
   * snapshot, as after a crash. Default: the hash chain. The random source is drawn from the seed.
   */
  readonly machine?: (id: NodeId, random: SeededRandom) => SimMachine;
  /**
   * Replaces the random proposals: asked every unit what to propose to the current leader, told every
   * applied entry. The run then also drains: after healing it goes on until the client is finished and every
   * member applied the leader's commit index.
   */
  readonly client?: SimClient;
  /** With a client, faults go on past chaosUnits until it finished, up to this many units. */
  readonly chaosUnitsMax?: number;
  /** Bound for the drain after healing (with a client). Default: healUnitsMax. */
  readonly drainUnitsMax?: number;
  /** The command that replays a failing seed (printed with the failure). */
  readonly replay?: string;
}

export interface SimResult {
  readonly seed: number;
  readonly voters: number;
  readonly unitsRun: number;
  /** Units of faults (chaosUnits, or more while a client had not finished). */
  readonly faultUnits: number;
  readonly commits: number;
  readonly leaderTerms: number;
  readonly crashes: number;
  readonly confChanges: number;
  readonly snapshots: number;
  readonly reads: number;
  readonly transfers: number;
  readonly healUnits: number;
  /** Units after healing until the client finished and every member caught up (0 without a client). */
  readonly drainUnits: number;
}

const TICK_UNITS = 10;
const ELECTION_TICKS = 10;
const TRACE_MAX = 60;

interface SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  up: boolean;
  node: RaftNode | undefined;
  machine: SimMachine;
  restartAt: number;
  tickPhase: number;
  role: string;
}

/** Fault rates drawn from the seed, so different seeds explore different weather. */
interface Weather {
  dropRate: number;
  duplicateRate: number;
  delayUnitsMax: number;
  crashRate: number;
  partitionRate: number;
  proposeRate: number;
  confChangeRate: number;
  snapshotRate: number;
  readRate: number;
  /** Crashing the leader in particular forces elections among diverged logs (Figure 8 territory). */
  leaderCrashRate: number;
  downUnitsMax: number;
  transferRate: number;
  entriesPerMessageMax: number;
}

export class Simulation {
  private readonly rng: SeededRandom;
  private readonly weather: Weather;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly checker = new Checker();
  private readonly inbox = new Map<number, Message[]>();
  private readonly trace: string[] = [];
  /** Node -> partition group; messages cross groups only when the groups are equal. */
  private groupOf = new Map<NodeId, number>();
  private now = 0;
  private proposals = 0;
  private pendingReads = new Map<string, number>();
  private readonly stats = { commits: 0, leaderTerms: 0, crashes: 0, confChanges: 0, snapshots: 0, reads: 0, transfers: 0 };
  private faultsOn = true;
  readonly voterCount: number;

  constructor(private readonly options: SimOptions) {
    this.rng = new SeededRandom(options.seed);
    this.voterCount = this.rng.nextInt(2) === 0 ? 3 : 5;
    // One seed in four is stormy: leaders crash often and come back fast, so logs diverge over many short
    // terms (the ground of the Figure 8 scenario).
    const stormy = this.rng.nextInt(4) === 0;
    this.weather = {
      dropRate: this.rng.nextFloat() * 0.25,
      duplicateRate: this.rng.nextFloat() * 0.1,
      delayUnitsMax: 1 + this.rng.nextInt(3 * TICK_UNITS),
      crashRate: this.rng.nextFloat() * 0.002,
      partitionRate: this.rng.nextFloat() * 0.005,
      proposeRate: 0.02 + this.rng.nextFloat() * 0.1,
      confChangeRate: this.rng.nextFloat() * 0.01,
      snapshotRate: this.rng.nextFloat() * 0.01,
      readRate: this.rng.nextFloat() * 0.05,
      leaderCrashRate: this.rng.nextFloat() * (stormy ? 0.03 : 0.004),
      downUnitsMax: (stormy ? 6 : 60) * TICK_UNITS,
      transferRate: this.rng.nextFloat() * 0.003,
      entriesPerMessageMax: [1, 2, 8][this.rng.nextInt(3)]!,
    };
    const voters = Array.from({ length: this.voterCount }, (_, i) => i + 1);
    const spares = [this.voterCount + 1, this.voterCount + 2];
    for (const id of voters) this.addNode(id, new MemoryStorage(bootstrapSnapshot(makeConfig(voters))));
    // Spare nodes start empty (no configuration): they join only through membership changes.
    for (const id of spares) this.addNode(id, new MemoryStorage());
  }

  run(): SimResult {
    const chaosUnits = this.options.chaosUnits ?? 3000;
    const healUnitsMax = this.options.healUnitsMax ?? 300 * TICK_UNITS;
    try {
      const client = this.options.client;
      const chaosUnitsMax = Math.max(chaosUnits, this.options.chaosUnitsMax ?? 0);
      const chaosGoesOn = (): boolean => this.now < chaosUnits || (client !== undefined && !client.finished() && this.now < chaosUnitsMax);
      for (; chaosGoesOn(); this.now++) this.stepUnit();
      const faultUnits = this.now;
      const healUnits = this.heal(healUnitsMax);
      const drainUnits = this.drain(this.options.drainUnitsMax ?? healUnitsMax);
      return { seed: this.options.seed, voters: this.voterCount, unitsRun: this.now, faultUnits, healUnits, drainUnits, ...this.stats };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const replay = this.options.replay ?? `DUET_SIM_SEED=${this.options.seed} npx vitest run test/sim`;
      throw new Error(`simulation seed ${this.options.seed} failed at unit ${this.now}: ${message}\nreplay: ${replay}\nlast events:\n  ${this.trace.join('\n  ')}`, { cause: error });
    }
  }

  // ---- one unit of simulated time -----------------------------------------------------------------

  private stepUnit(): void {
    const due = this.inbox.get(this.now);
    if (due !== undefined) {
      this.inbox.delete(this.now);
      for (const m of due) this.deliver(m);
    }
    for (const n of this.nodes.values()) {
      if (!n.up) {
        if (n.restartAt <= this.now) this.restart(n);
        continue;
      }
      if ((this.now + n.tickPhase) % TICK_UNITS === 0) {
        n.node!.tick();
        this.process(n);
      }
    }
    if (this.faultsOn) this.injectFaults();
    this.clientActions();
    this.checkLeaders();
  }

  private injectFaults(): void {
    const w = this.weather;
    for (const n of this.nodes.values()) {
      if (n.up && this.rng.nextFloat() < w.crashRate) this.crash(n, 5 + this.rng.nextInt(w.downUnitsMax));
      else if (n.up && n.role === 'leader' && this.rng.nextFloat() < w.leaderCrashRate) this.crash(n, 5 + this.rng.nextInt(w.downUnitsMax));
    }
    if (this.rng.nextFloat() < w.partitionRate) {
      if (this.groupOf.size > 0 && this.rng.nextInt(2) === 0) {
        this.groupOf = new Map();
        this.note('partition healed');
      } else {
        // Half the time cut the leader off alone: the stale-leader case for reads and check-quorum.
        const leader = [...this.nodes.values()].find((n) => n.up && n.role === 'leader');
        const isolateLeader = leader !== undefined && this.rng.nextInt(2) === 0;
        const groups = new Map<NodeId, number>();
        for (const id of this.nodes.keys()) groups.set(id, isolateLeader ? Number(id === leader.id) : this.rng.nextInt(2));
        this.groupOf = groups;
        this.note(`partition ${[...groups].map(([id, g]) => `${id}:${g}`).join(' ')}`);
      }
    }
  }

  /** The state machine of every node, by id (a crashed node's is replaced at its restart). */
  machines(): Map<NodeId, SimMachine> {
    return new Map([...this.nodes].map(([id, n]) => [id, n.machine]));
  }

  private clientActions(): void {
    const w = this.weather;
    if (this.options.client !== undefined) this.driveClient(this.options.client);
    else if (this.rng.nextFloat() < w.proposeRate) {
      const n = this.pickUpNode();
      if (n === undefined) return;
      const result = n.node!.propose(new TextEncoder().encode(`p${++this.proposals}`));
      if (result.ok) this.note(`node ${n.id} accepted proposal p${this.proposals} at ${result.index}`);
      this.process(n);
    }
    if (this.rng.nextFloat() < w.readRate) {
      const n = this.pickUpNode();
      if (n === undefined) return;
      const ctx = `r${this.now}`;
      if (n.node!.readIndex(ctx)) this.pendingReads.set(`${n.id}/${ctx}`, this.checker.committedMax);
      this.process(n);
    }
    if (this.rng.nextFloat() < w.snapshotRate) {
      const n = this.pickUpNode();
      if (n === undefined) return;
      this.takeSnapshot(n);
    }
    if (this.rng.nextFloat() < w.transferRate) {
      const leader = [...this.nodes.values()].find((n) => n.up && n.role === 'leader');
      const voters = leader?.node!.status().config.voters ?? [];
      const target = voters[this.rng.nextInt(voters.length)];
      if (leader !== undefined && target !== undefined && leader.node!.transferLeader(target)) {
        this.stats.transfers += 1;
        this.note(`node ${leader.id} transfers leadership to ${target}`);
        this.process(leader);
      }
    }
    if (this.rng.nextFloat() < w.confChangeRate) {
      const leader = [...this.nodes.values()].find((n) => n.up && n.role === 'leader');
      if (leader !== undefined) this.proposeConfChange(leader);
    }
  }

  private driveClient(client: SimClient): void {
    const leader = [...this.nodes.values()].find((n) => n.up && n.role === 'leader');
    if (leader === undefined) return;
    const term = leader.node!.status().term;
    const data = client.next(this.now, `${leader.id}/${term}`);
    if (data === undefined) return;
    const result = leader.node!.propose(data);
    if (result.ok) this.note(`node ${leader.id} accepted ${client.describe(data)} at ${result.index}`);
    this.process(leader);
  }

  /** A random running node (a node can crash in the middle of any client action). */
  private pickUpNode(): SimNode | undefined {
    const up = [...this.nodes.values()].filter((n) => n.up);
    return up[this.rng.nextInt(up.length)];
  }

  // ---- nodes ---------------------------------------------------------------------------------------

  private addNode(id: NodeId, storage: MemoryStorage): void {
    const n: SimNode = { id, storage, up: true, node: undefined, machine: this.newMachine(id), restartAt: 0, tickPhase: this.rng.nextInt(TICK_UNITS), role: 'follower' };
    this.nodes.set(id, n);
    this.start(n);
  }

  /** (Re)starts a node from what it persisted; the state machine restarts from the stored snapshot. */
  private start(n: SimNode): void {
    const snapshot = n.storage.snapshot();
    n.machine = this.newMachine(n.id);
    n.machine.restore(snapshot.data, snapshot.meta.index);
    n.node = new RaftNode({
      id: n.id,
      storage: n.storage,
      random: new SeededRandom(this.rng.nextUint32()),
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: 2,
      applied: snapshot.meta.index,
      entriesPerMessageMax: this.weather.entriesPerMessageMax,
      inflightMessagesMax: 16,
    });
    n.up = true;
    n.role = 'follower';
  }

  private newMachine(id: NodeId): SimMachine {
    const factory = this.options.machine;
    return factory === undefined ? new HashChainMachine() : factory(id, new SeededRandom(this.rng.nextUint32()));
  }

  private crash(n: SimNode, downUnits: number): void {
    n.up = false;
    n.node = undefined;
    n.restartAt = this.now + downUnits;
    this.stats.crashes += 1;
    this.note(`node ${n.id} crashed until ${n.restartAt}`);
  }

  private restart(n: SimNode): void {
    this.start(n);
    this.note(`node ${n.id} restarted (term ${n.node!.status().term}, last ${n.node!.status().lastIndex})`);
  }

  /** Runs the Ready loop: persist, (maybe crash), send, apply, advance. */
  private process(n: SimNode): void {
    for (let rounds = 0; n.up && n.node!.hasReady(); rounds++) {
      if (rounds > 100) throw new Error(`node ${n.id} produced Ready forever`);
      const node = n.node!;
      const rd = node.ready();
      this.persist(n, rd);
      // A crash between persisting and sending loses the messages, never what was persisted.
      if (this.faultsOn && this.rng.nextFloat() < this.weather.crashRate / 4) {
        this.crash(n, 5 + this.rng.nextInt(this.weather.downUnitsMax));
        return;
      }
      for (const m of rd.messages) this.send(m);
      this.apply(n, rd);
      node.advance(rd);
      if (rd.softState !== undefined) n.role = rd.softState.role;
      if (rd.softState?.role === 'leader') {
        this.checker.checkLeader(n.id, node.status().term);
        this.stats.leaderTerms += 1;
        this.note(`node ${n.id} leads term ${node.status().term}`);
        this.checker.checkNewLeader(n.id, node);
      }
    }
  }

  private persist(n: SimNode, rd: Ready): void {
    if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const entry of rd.entries) this.checker.checkPersisted(n.id, entry, n.storage.term(entry.index - 1));
  }

  private apply(n: SimNode, rd: Ready): void {
    if (rd.snapshot !== undefined) {
      n.machine.restore(rd.snapshot.data, rd.snapshot.meta.index);
      this.note(`node ${n.id} installed snapshot at ${rd.snapshot.meta.index}`);
    }
    for (const entry of rd.committedEntries) {
      n.machine.apply(entry);
      this.options.client?.onApplied(entry);
      this.checker.checkApplied(n.id, entry, n.machine.hash);
      this.stats.commits += 1;
    }
    for (const read of rd.readStates) {
      const key = `${n.id}/${read.ctx}`;
      const committedAtRequest = this.pendingReads.get(key);
      if (committedAtRequest === undefined) continue;
      this.pendingReads.delete(key);
      this.checker.checkRead(n.id, read.ctx, read.index, committedAtRequest);
      this.stats.reads += 1;
    }
  }

  private takeSnapshot(n: SimNode): void {
    const node = n.node!;
    const applied = node.status().applied;
    if (applied <= n.storage.snapshot().meta.index) return;
    n.storage.createSnapshot({ meta: node.snapshotMeta(applied), data: n.machine.snapshot() });
    this.stats.snapshots += 1;
    this.note(`node ${n.id} compacted through ${applied}`);
  }

  private proposeConfChange(leader: SimNode): void {
    const config = leader.node!.status().config;
    const all = [...this.nodes.keys()];
    const outsiders = all.filter((id) => !config.voters.includes(id) && !config.learners.includes(id));
    const options: ConfChange[] = [];
    for (const id of outsiders) options.push({ type: 'addLearner', nodeId: id }, { type: 'addVoter', nodeId: id });
    for (const id of config.learners) options.push({ type: 'promoteLearner', nodeId: id }, { type: 'removeNode', nodeId: id });
    if (config.voters.length > 2) for (const id of config.voters) options.push({ type: 'removeNode', nodeId: id });
    const change = options[this.rng.nextInt(options.length)];
    if (change === undefined) return;
    const result = leader.node!.proposeConfChange(change);
    if (result.ok) {
      this.stats.confChanges += 1;
      this.note(`node ${leader.id} proposed ${change.type} ${change.nodeId} at ${result.index}`);
    }
    this.process(leader);
  }

  // ---- network -------------------------------------------------------------------------------------

  private send(m: Message): void {
    const w = this.weather;
    if (this.faultsOn && this.rng.nextFloat() < w.dropRate) {
      // A transport notices a failed snapshot transfer and tells the leader (the retry path).
      if (m.type === 'snapshot') this.nodes.get(m.from)?.node?.reportSnapshot(m.to, false);
      return;
    }
    const copies = this.faultsOn && this.rng.nextFloat() < w.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      // Independent random delays reorder messages.
      const at = this.now + 1 + this.rng.nextInt(w.delayUnitsMax);
      const bucket = this.inbox.get(at);
      if (bucket === undefined) this.inbox.set(at, [m]);
      else bucket.push(m);
    }
  }

  private deliver(m: Message): void {
    const target = this.nodes.get(m.to);
    if (target === undefined || !target.up) return;
    if ((this.groupOf.get(m.from) ?? 0) !== (this.groupOf.get(m.to) ?? 0)) return;
    if (this.now >= (this.options.verboseFromUnit ?? Infinity)) console.log(`[${this.now}] deliver ${describe(m)}`);
    target.node!.step(m);
    this.process(target);
  }

  // ---- checks and liveness -------------------------------------------------------------------------

  private checkLeaders(): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      const status = n.node!.status();
      if (status.role === 'leader') this.checker.checkLeader(n.id, status.term);
    }
  }

  /** Stops all faults and restarts every node; a leader must emerge and commit a new proposal in time. */
  private heal(healUnitsMax: number): number {
    this.faultsOn = false;
    this.groupOf = new Map();
    for (const n of this.nodes.values()) if (!n.up) n.restartAt = this.now;
    this.note('healed: no more faults');
    const start = this.now;
    let target: { id: NodeId; index: number; term: number } | undefined;
    for (; this.now < start + healUnitsMax; this.now++) {
      this.stepUnit();
      const leader = [...this.nodes.values()].find((n) => n.up && n.node!.status().role === 'leader');
      if (leader === undefined) continue;
      const status = leader.node!.status();
      if (target === undefined || target.term !== status.term || target.id !== leader.id) {
        // With a client the payload format is the client's: propose a no-op (empty) entry instead.
        const payload = this.options.client !== undefined ? new Uint8Array(0) : new TextEncoder().encode(`heal${this.now}`);
        const result = leader.node!.propose(payload);
        if (result.ok) target = { id: leader.id, index: result.index, term: result.term };
        this.process(leader);
        continue;
      }
      // Progress: the proposal committed and a quorum of the leader's voters applied it.
      const voters = status.config.voters;
      const appliedBy = voters.filter((id) => (this.nodes.get(id)?.machine.index ?? 0) >= target!.index).length;
      if (appliedBy > voters.length / 2) return this.now - start;
    }
    throw new Error(`liveness: no leader with a new commit within ${healUnitsMax} units after healing`);
  }

  /** With a client: no faults, until it proposed everything and every member applied the leader's commit. */
  private drain(drainUnitsMax: number): number {
    const client = this.options.client;
    if (client === undefined) return 0;
    const start = this.now;
    for (; this.now < start + drainUnitsMax; this.now++) {
      this.stepUnit();
      if (!client.finished()) continue;
      // The leader of the highest term: a deposed one may not have heard yet.
      const leaders = [...this.nodes.values()].filter((n) => n.up && n.node!.status().role === 'leader');
      const status = leaders.map((n) => n.node!.status()).sort((a, b) => b.term - a.term)[0];
      if (status === undefined) continue;
      const members = [...status.config.voters, ...status.config.learners];
      // A new leader learns the commit index only with its first commit: some node may have applied more.
      let target = status.commit;
      for (const n of this.nodes.values()) target = Math.max(target, n.machine.index);
      if (members.every((id) => (this.nodes.get(id)?.machine.index ?? 0) >= target)) return this.now - start;
    }
    throw new Error(`liveness: the client did not finish (or members did not catch up) within ${drainUnitsMax} units after healing`);
  }

  private note(event: string): void {
    this.trace.push(`[${this.now}] ${event}`);
    if (this.now >= (this.options.verboseFromUnit ?? Infinity)) console.log(`[${this.now}] ${event}`);
    if (this.trace.length > TRACE_MAX) this.trace.shift();
  }
}

function describe(m: Message): string {
  const { from, to, type, term } = m;
  let extra = '';
  if (m.type === 'append') extra = ` prev ${m.prevIndex}/${m.prevTerm} n=${m.entries.length} commit ${m.commit}`;
  else if (m.type === 'appendResp') extra = ` ${m.reject ? 'reject' : 'ok'} ${m.index} hint ${m.hintIndex}/${m.hintTerm}`;
  else if (m.type === 'vote' || m.type === 'preVote') extra = ` last ${m.lastLogIndex}/${m.lastLogTerm}`;
  else if (m.type === 'voteResp' || m.type === 'preVoteResp') extra = m.reject ? ' reject' : ' grant';
  else if (m.type === 'snapshot') extra = ` at ${m.snapshot.meta.index}`;
  return `${from}->${to} ${type} t${term}${extra}`;
}

// Interpreter for scripted Raft scenarios (etcd's datadriven style): each `> command` line is followed by
// the output it produced when the file was recorded; the test reruns the commands and compares.
//
// Commands: cluster voters=1,2,3 [learners=4] [prevote=false] [checkquorum=false]
//           campaign N | propose N TEXT | conf N addVoter|addLearner|promoteLearner|removeNode M
//           read N CTX | transfer N M | tick K [N,M] | isolate N | cut N M | heal | compact N | restart N
//           add N (empty node) | settle (handle Readys, deliver until quiet; prints delivered messages)
//           status [N] | log N | applied N | reads N

import { makeConfig } from '../../oltp/raft/config.ts';
import { MemoryStorage } from '../../oltp/raft/storage.ts';
import type { ConfChange, Message, NodeId } from '../../oltp/raft/types.ts';
import { appliedData, Cluster, logTerms, text } from './harness.ts';

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'append':
      return `${head} prev=${m.prevIndex}/${m.prevTerm} entries=[${m.entries.map((e) => `${e.index}/${e.term}${e.type === 'config' ? 'c' : ''}`).join(' ')}] commit=${m.commit}`;
    case 'appendResp':
      return m.reject ? `${head} reject=${m.index} hint=${m.hintIndex}/${m.hintTerm}` : `${head} index=${m.index}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'reject' : 'grant'}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.ctx === '' ? '' : ` ctx=${m.ctx}`}`;
    case 'heartbeatResp':
      return m.ctx === '' ? head : `${head} ctx=${m.ctx}`;
    case 'snapshot':
      return `${head} snapshot=${m.snapshot.meta.index}/${m.snapshot.meta.term}`;
    case 'readIndex':
      return `${head} ctx=${m.ctx}`;
    case 'readIndexResp':
      return `${head} ctx=${m.ctx} index=${m.index}`;
    case 'timeoutNow':
      return head;
  }
}

export class ScenarioRunner {
  private cluster: Cluster | undefined;
  private cuts: [NodeId, NodeId][] = [];
  private isolated = new Set<NodeId>();

  /** Runs one command and returns its output lines. */
  run(line: string): string[] {
    const [command, ...args] = line.trim().split(/\s+/);
    const num = (i: number): number => {
      const value = Number(args[i]);
      if (!Number.isInteger(value)) throw new Error(`${command}: argument ${i + 1} must be an integer`);
      return value;
    };
    if (command === 'cluster') return this.create(args);
    const c = this.cluster;
    if (c === undefined) throw new Error('start with: cluster voters=...');
    switch (command) {
      case 'campaign':
        c.node(num(0)).campaign();
        return this.settle();
      case 'propose': {
        const result = c.node(num(0)).propose(text(args.slice(1).join(' ')));
        return [result.ok ? `ok index=${result.index}` : `refused ${result.reason} leader=${result.leaderId}`, ...this.settle()];
      }
      case 'conf': {
        const change = { type: args[1], nodeId: num(2) } as ConfChange;
        const result = c.node(num(0)).proposeConfChange(change);
        return [result.ok ? `ok index=${result.index}` : `refused ${result.reason}${result.detail ? `: ${result.detail}` : ''}`, ...this.settle()];
      }
      case 'read':
        return [c.node(num(0)).readIndex(args[1] ?? '') ? 'accepted' : 'dropped', ...this.settle()];
      case 'transfer':
        return [c.node(num(0)).transferLeader(num(1)) ? 'accepted' : 'refused', ...this.settle()];
      case 'tick': {
        const ids = args[1]?.split(',').map(Number);
        const out: string[] = [];
        for (let i = 0; i < num(0); i++) {
          for (const id of ids ?? [...c.members.keys()]) c.node(id).tick();
          out.push(...this.settle());
        }
        return out;
      }
      case 'isolate':
        this.isolated.add(num(0));
        return [];
      case 'cut':
        this.cuts.push([num(0), num(1)]);
        return [];
      case 'heal':
        this.isolated.clear();
        this.cuts = [];
        return [];
      case 'compact':
        return [`compacted through ${c.compact(num(0))}`];
      case 'restart':
        c.restart(num(0));
        return [this.statusLine(num(0))];
      case 'add':
        c.add(num(0), new MemoryStorage());
        return [];
      case 'settle':
        return this.settle();
      case 'status':
        return args.length > 0 ? [this.statusLine(num(0))] : [...c.members.keys()].map((id) => this.statusLine(id));
      case 'log':
        return [`terms ${logTerms(c.get(num(0))).join(' ')} (first index ${c.node(num(0)).raft.log.firstIndex()})`];
      case 'applied':
        return [`applied ${appliedData(c.get(num(0))).join(' ')}`];
      case 'reads':
        return c.get(num(0)).readStates.map((r) => `read ${r.ctx} at ${r.index}`);
      default:
        throw new Error(`unknown command ${command}`);
    }
  }

  private create(args: string[]): string[] {
    const opts = new Map(args.map((a) => a.split('=') as [string, string]));
    const ids = (key: string): NodeId[] => (opts.get(key) ?? '').split(',').filter((s) => s !== '').map(Number);
    this.cluster = new Cluster(ids('voters'), { preVote: opts.get('prevote') !== 'false', checkQuorum: opts.get('checkquorum') !== 'false' }, ids('learners'));
    this.cluster.filter = (m) =>
      !this.isolated.has(m.from) && !this.isolated.has(m.to) && !this.cuts.some(([a, b]) => (m.from === a && m.to === b) || (m.from === b && m.to === a));
    return [`config ${JSON.stringify(makeConfig(ids('voters'), ids('learners')))}`];
  }

  private settle(): string[] {
    const c = this.cluster!;
    const start = c.delivered.length;
    c.settle();
    return c.delivered.slice(start).map(describeMessage);
  }

  private statusLine(id: NodeId): string {
    const s = this.cluster!.node(id).status();
    return `${id}: ${s.role} term=${s.term} vote=${s.vote} leader=${s.leaderId} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} voters=${s.config.voters.join(',')}${s.config.learners.length > 0 ? ` learners=${s.config.learners.join(',')}` : ''}`;
  }
}

/** Runs a scenario file's commands; returns the file as it should read with the actual outputs. */
export function runScenario(source: string): string {
  const runner = new ScenarioRunner();
  const out: string[] = [];
  for (const line of source.split('\n')) {
    if (line.startsWith('> ')) {
      out.push(line);
      for (const produced of runner.run(line.slice(2))) out.push(`  ${produced}`);
    } else if (line.startsWith('#') || line.trim() === '') {
      out.push(line);
    }
    // Any other line is recorded output: dropped here and regenerated.
  }
  return out.join('\n');
}

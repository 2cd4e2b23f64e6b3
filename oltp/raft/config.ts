// Cluster configurations: one-server-at-a-time changes, quorum arithmetic and the config entry encoding.

import type { Config, ConfChange, NodeId } from './types.ts';

export const EMPTY_CONFIG: Config = Object.freeze({ voters: [], learners: [] });

export function makeConfig(voters: readonly NodeId[], learners: readonly NodeId[] = []): Config {
  return Object.freeze({ voters: [...voters].sort((a, b) => a - b), learners: [...learners].sort((a, b) => a - b) });
}

export function isMember(config: Config, id: NodeId): boolean {
  return config.voters.includes(id) || config.learners.includes(id);
}

/**
 * The configuration after `change`, or a reason it is not allowed. Each allowed change alters the voter
 * set by at most one server, so any majority of the old set overlaps any majority of the new one.
 */
export function changeConfig(config: Config, change: ConfChange): Config | string {
  const id = change.nodeId;
  if (!Number.isInteger(id) || id <= 0) return `node id ${id} must be a positive integer`;
  const voter = config.voters.includes(id);
  const learner = config.learners.includes(id);
  switch (change.type) {
    case 'addVoter':
      if (voter) return `node ${id} is already a voter`;
      if (learner) return `node ${id} is a learner: promote it instead`;
      return makeConfig([...config.voters, id], config.learners);
    case 'addLearner':
      if (voter || learner) return `node ${id} is already a member`;
      return makeConfig(config.voters, [...config.learners, id]);
    case 'promoteLearner':
      if (!learner) return `node ${id} is not a learner`;
      return makeConfig([...config.voters, id], config.learners.filter((n) => n !== id));
    case 'removeNode':
      if (!voter && !learner) return `node ${id} is not a member`;
      if (voter && config.voters.length === 1) return 'cannot remove the last voter';
      return makeConfig(config.voters.filter((n) => n !== id), config.learners.filter((n) => n !== id));
  }
}

/** The largest index that a majority of voters hold, given each voter's match index. */
export function quorumIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  const value = matches[Math.floor(voters.length / 2)];
  return value ?? 0;
}

export function isQuorum(voters: readonly NodeId[], count: number): boolean {
  return count > voters.length / 2;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfig(config: Config): Uint8Array {
  return encoder.encode(JSON.stringify({ v: config.voters, l: config.learners }));
}

export function decodeConfig(data: Uint8Array): Config {
  const raw = JSON.parse(decoder.decode(data)) as { v: NodeId[]; l: NodeId[] };
  return makeConfig(raw.v, raw.l);
}

// Values that cross the Raft core's boundary: log entries, hard state, snapshots, configurations and messages.
// Plain data only (no classes) so that storage and transports can encode them without help from the core.

export type NodeId = number;
/** NodeId 0 means "nobody" (no vote cast, no known leader). */
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'config';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** For 'normal': the application's command (empty for the leader's no-op). For 'config': encodeConfig(). */
  readonly data: Uint8Array;
}

/** The cluster membership: voters elect and count for commit; learners only receive the log. */
export interface Config {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** State that must be on stable storage before any message produced together with it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers, and that entry's term. */
  readonly index: number;
  readonly term: number;
  /** The configuration in effect at `index`. */
  readonly config: Config;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The application's state machine image at meta.index (opaque to Raft). */
  readonly data: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the application may want to observe (who leads, what we are). */
export interface SoftState {
  readonly leaderId: NodeId;
  readonly role: Role;
}

/** A linearizable read is safe once the state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly ctx: string;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteRequest extends MessageBase {
  readonly type: 'preVote' | 'vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when the campaign follows a leader transfer: voters skip their leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: 'preVoteResp' | 'voteResp';
  readonly reject: boolean;
}

export interface AppendRequest extends MessageBase {
  readonly type: 'append';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends MessageBase {
  readonly type: 'appendResp';
  readonly reject: boolean;
  /** On success: the follower's last index known to match. On reject: the rejected prevIndex. */
  readonly index: number;
  /** On reject (fast backtracking): the largest index whose term is <= the leader's prevTerm, and its term. */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

export interface Heartbeat extends MessageBase {
  readonly type: 'heartbeat';
  /** min(leader commit, follower match): a follower never commits past what it is known to hold. */
  readonly commit: number;
  /** ReadIndex round this heartbeat confirms leadership for ('' when none). */
  readonly ctx: string;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeatResp';
  readonly ctx: string;
}

export interface InstallSnapshot extends MessageBase {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

export interface TimeoutNow extends MessageBase {
  readonly type: 'timeoutNow';
}

/** A follower forwards a read to the leader, which answers once its leadership is confirmed. */
export interface ReadIndexRequest extends MessageBase {
  readonly type: 'readIndex';
  readonly ctx: string;
}

export interface ReadIndexResponse extends MessageBase {
  readonly type: 'readIndexResp';
  readonly ctx: string;
  readonly index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];

/** One server at a time (Raft dissertation §4.1): every change moves at most one voter. */
export type ConfChange =
  | { readonly type: 'addVoter'; readonly nodeId: NodeId }
  | { readonly type: 'addLearner'; readonly nodeId: NodeId }
  | { readonly type: 'promoteLearner'; readonly nodeId: NodeId }
  | { readonly type: 'removeNode'; readonly nodeId: NodeId };

/** Why a proposal was not accepted; `leaderId` lets a client retry at the leader. */
export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | {
      readonly ok: false;
      readonly reason: 'notLeader' | 'transferring' | 'confChangePending' | 'invalidConfChange' | 'tooManyUncommitted';
      readonly leaderId: NodeId;
      readonly detail?: string;
    };

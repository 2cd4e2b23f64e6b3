// Reads through a learner member: the member (`duet node --learner --serve-reads HOST:PORT`) relays other
// nodes' column-path requests to its own columnar learner, and a voter (`--read-learner HOST:PORT`) keeps a
// feedless LearnerReplica connected to that relay, reconnecting after the member restarts.
// The same socket.ts framing and messages as a learner process, so the voter's side is the ordinary client.
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import type { RowStore } from '../../oltp/rowstore.ts';
import type { LearnerReplica } from './client.ts';
import { learnerOf, startLearner, stopLearner } from './index.ts';
import type { FromLearner, ToLearner } from './messages.ts';
import { onFrames, sendFrame } from './socket.ts';

/** Requests (scans, fragments) one connection may have open at the member; more are refused. */
const RELAYED_OPEN_MAX = 256;

export interface RelayServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `replica` (the member's own learner, fed by its Raft log) to other nodes on `host:port`. */
export async function serveRelay(replica: LearnerReplica, host: string, port: number): Promise<RelayServer> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    relayConnection(replica, socket);
    socket.on('close', () => open.delete(socket));
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of open) s.destroy();
      await done;
    },
  };
}

/** True when `m` is the last reply to its request (the relay channel can be forgotten). */
function finalReply(m: FromLearner): boolean {
  return m.kind === 'status' || m.kind === 'error' || m.kind === 'compacted' || ((m.kind === 'scanned' || m.kind === 'fragmentResult') && m.done);
}

function relayConnection(replica: LearnerReplica, socket: Socket): void {
  // The other node's request ids, mapped to channels on the member's learner (ids are per connection there).
  const channels = new Map<number, { readonly channel: ReturnType<LearnerReplica['openRelay']>; readonly kind: 'scan' | 'fragment' | 'status' }>();
  const forget = (remoteId: number): void => {
    channels.get(remoteId)?.channel.close();
    channels.delete(remoteId);
  };
  onFrames(socket, (raw) => {
    const m = raw as ToLearner;
    switch (m.kind) {
      case 'init':
        return sendFrame(socket, { kind: 'ready', appliedIndex: replica.appliedIndex } satisfies FromLearner);
      case 'close':
        sendFrame(socket, { kind: 'closed' } satisfies FromLearner);
        return void socket.end();
      case 'apply': case 'snapshotBegin': case 'snapshotRows': case 'snapshotEnd':
        // Never sent by a feedless reader: the member's learner is fed only by its own Raft log.
        return sendFrame(socket, { kind: 'error', message: 'a learner member is fed by its Raft log, not by other nodes' } satisfies FromLearner);
      case 'compact':
        return sendFrame(socket, { kind: 'error', id: m.id, message: 'a learner member compacts on its own' } satisfies FromLearner);
      case 'scan': case 'fragment': case 'status': {
        if (channels.size >= RELAYED_OPEN_MAX) {
          return sendFrame(socket, { kind: 'error', id: m.id, code: '53000', message: `more than ${RELAYED_OPEN_MAX} reads open through the learner member` } satisfies FromLearner);
        }
        const remoteId = m.id;
        const channel = replica.openRelay((reply) => {
          if (finalReply(reply)) forget(remoteId);
          if (!socket.destroyed) sendFrame(socket, { ...reply, id: remoteId });
        });
        channels.set(remoteId, { channel, kind: m.kind });
        return channel.post({ ...m, id: channel.id });
      }
      case 'scanMore': case 'fragmentMore': case 'scanEnd': case 'fragmentCancel': {
        const channel = channels.get(m.id)?.channel;
        if (channel === undefined) return; // already finished (a cancel that crossed the last chunk)
        channel.post({ ...m, id: channel.id });
        if (m.kind === 'scanEnd' || m.kind === 'fragmentCancel') forget(m.id);
        return;
      }
    }
  });
  socket.on('close', () => {
    // The reader went away: stop what it left open, so the member's learner releases the pinned blocks.
    for (const [remoteId, { channel, kind }] of channels) {
      if (kind === 'fragment') channel.post({ kind: 'fragmentCancel', id: channel.id });
      else if (kind === 'scan') channel.post({ kind: 'scanEnd', id: channel.id });
      forget(remoteId);
    }
  });
}

/**
 * A voter's side: keeps a feedless learner replica connected to the member's relay at `address` (registered as
 * this store's learner, so the router and SHOW REPLICAS use it); while the member is unreachable there is none
 * and statements take the row path. Retries every `retryMs`. Returns a stop function.
 */
export function readThroughMember(store: RowStore, address: string, log: (line: string) => void, retryMs = 1000): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let connected = false;
  const attempt = async (): Promise<void> => {
    if (stopped) return;
    const current = learnerOf(store);
    if (current !== undefined && current.failure !== undefined) {
      log(`lost the learner member at ${address}: ${current.failure.message}`);
      connected = false;
      await stopLearner(store).catch(() => undefined);
    }
    if (learnerOf(store) === undefined) {
      // A member that accepts but never answers must not stall the retries: give up on the start after a while.
      const started = await startLearner(store, { remote: address, feed: false, signal: AbortSignal.timeout(retryMs * 5) }).then(() => true, () => false);
      if (started && !connected) log(`column-path reads go to the learner member at ${address}`);
      connected = started;
    }
    if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
  };
  void attempt();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await stopLearner(store).catch(() => undefined);
  };
}

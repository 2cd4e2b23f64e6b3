// The learner message interface (messages.ts) over TCP: length-prefixed frames of v8-serialized messages, the
// structured-clone format a worker thread uses, so a learner process serves exactly what the worker serves.
// Server: one leader connection at a time; client: what LearnerReplica posts through when `remote` is set.
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { deserialize, serialize } from 'node:v8';
import { LearnerHost, type LearnerHostOptions } from './host.ts';
import type { FromLearner, ToLearner } from './messages.ts';

/** Largest frame accepted: a bad length prefix (not our peer) closes the connection instead of buffering. */
const FRAME_BYTES_MAX = 512 * 1024 * 1024;

export function sendFrame(socket: Socket, msg: unknown): void {
  const body = serialize(msg);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  socket.write(Buffer.concat([head, body]));
}

/** Calls `fn` with each whole message; chunks are joined only once a frame is complete. */
export function onFrames(socket: Socket, fn: (msg: unknown) => void): void {
  let chunks: Buffer[] = [];
  let have = 0;
  let need = 4; // bytes that must be present before the next step (header, then header + body)
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    have += chunk.length;
    while (have >= need) {
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const len = buf.readUInt32BE(0);
      if (len > FRAME_BYTES_MAX) {
        socket.destroy(new Error(`learner frame of ${len} bytes exceeds ${FRAME_BYTES_MAX}`));
        return;
      }
      if (buf.length < 4 + len) {
        chunks = [buf];
        need = 4 + len;
        return;
      }
      const rest = buf.subarray(4 + len);
      chunks = rest.length > 0 ? [rest] : [];
      have = rest.length;
      need = 4;
      fn(deserialize(buf.subarray(4, 4 + len)));
    }
  });
}

export interface LearnerServer {
  readonly port: number;
  /** Stops listening; the connected leader's learner saves and closes. */
  close(): Promise<void>;
}

/**
 * Serves a columnar learner on `host:port` (port 0: any free one). One leader at a time: a new connection
 * waits until the previous one's learner saved and closed, then loads the same directory. A leader that
 * disconnects without `close` gets the same graceful close (save), so a reconnect replays only the log after it.
 */
export async function serveLearner(options: LearnerHostOptions & { readonly host?: string; readonly port?: number }): Promise<LearnerServer> {
  let previous: Promise<void> = Promise.resolve();
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // a reset by the leader ends the connection like a close
    const before = previous;
    let closed!: () => void;
    previous = new Promise<void>((resolve) => (closed = resolve));
    let host: LearnerHost | undefined;
    let closeSent = false;
    const queued: ToLearner[] = [];
    const handle = (m: ToLearner): void => {
      if (m.kind === 'close') closeSent = true;
      host!.handle(m);
    };
    void before.then(() => {
      host = new LearnerHost(options, (m: FromLearner) => {
        if (m.kind === 'closed') closed();
        if (!socket.destroyed) sendFrame(socket, m);
      });
      for (const m of queued.splice(0)) handle(m);
      if (socket.destroyed && !closeSent) handle({ kind: 'close' });
    });
    onFrames(socket, (m) => (host ? handle(m as ToLearner) : queued.push(m as ToLearner)));
    socket.on('close', () => {
      open.delete(socket);
      if (host && !closeSent) handle({ kind: 'close' });
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: async () => {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of open) s.end();
      await done;
      await previous;
    },
  };
}

/** The leader side of a remote learner: `post` sends, `receive` gets every reply, `onLost` a dropped link. */
export async function connectLearner(address: string, receive: (m: FromLearner) => void, onLost: (e: Error) => void): Promise<{ post: (m: ToLearner) => void; stop: () => Promise<void> }> {
  const colon = address.lastIndexOf(':');
  const socket = connect({ host: colon > 0 ? address.slice(0, colon) : '127.0.0.1', port: Number(address.slice(colon + 1)) });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  let stopping = false;
  onFrames(socket, (m) => receive(m as FromLearner));
  socket.on('error', (e) => stopping || onLost(e));
  socket.on('close', () => stopping || onLost(new Error(`the columnar learner at ${address} closed the connection`)));
  return {
    post: (m) => void (socket.destroyed || sendFrame(socket, m)),
    stop: async () => {
      stopping = true;
      if (socket.destroyed) return;
      const gone = once(socket, 'close');
      socket.end();
      await gone;
    },
  };
}

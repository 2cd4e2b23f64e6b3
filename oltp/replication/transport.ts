// TCP transport between cluster members: one outgoing connection per peer (for sending) that reconnects with
// back-off; incoming connections are only read. Queues are bounded and drop on overflow (Raft tolerates loss).

import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Message, NodeId } from '../raft/index.ts';
import { encodeFrame, FrameDecoder, type SnapshotFrame, type WireMessage } from './codec.ts';

/** What a joining node asks for (`duet node --join`, `--join-voter`, `--replaces N`). */
export interface JoinRequest {
  readonly voter: boolean;
  readonly replaces?: NodeId | undefined;
}

export interface TransportOptions {
  readonly id: NodeId;
  /** Where this node listens for peers, and where it serves SQL (told to peers for leader hints). */
  readonly listen: { readonly host: string; readonly port: number };
  readonly sqlAddress: string;
  readonly peers: ReadonlyMap<NodeId, { readonly host: string; readonly port: number }>;
  readonly onMessage: (m: Message) => void;
  /** Snapshot transfer frames (chunks and their acknowledgements), in arrival order. */
  readonly onSnapshotFrame?: (f: SnapshotFrame) => void;
  /** A node asks to join the cluster (see codec.ts). */
  readonly onJoin?: (id: NodeId, request: JoinRequest) => void;
  /** Messages waiting per peer while it is unreachable; older ones are dropped first. Default 1024. */
  readonly queueMessagesMax?: number;
  readonly backoffMsMin?: number;
  readonly backoffMsMax?: number;
}

class PeerLink {
  private socket: Socket | undefined;
  private connected = false;
  private queue: Buffer[] = [];
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly address: { readonly host: string; readonly port: number },
    private readonly hello: Buffer,
    private readonly queueMax: number,
    private readonly backoffMin: number,
    private readonly backoffMax: number,
  ) {
    this.backoffMs = backoffMin;
    this.dial();
  }

  send(frame: Buffer): void {
    if (this.connected && this.socket !== undefined && this.socket.writableLength < 8 * 1024 * 1024) {
      this.socket.write(frame);
      return;
    }
    if (this.queue.length >= this.queueMax) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(frame);
  }

  /**
   * Sends only over a connected socket with room, else drops: snapshot chunks are not queued while a peer is
   * away (a dead peer would otherwise collect the chunks of every retried transfer); the sender's window times out.
   */
  trySend(frame: Buffer): boolean {
    if (!this.connected || this.socket === undefined || this.socket.writableLength >= 8 * 1024 * 1024) return false;
    this.socket.write(frame);
    return true;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.destroy();
  }

  private dial(): void {
    if (this.closed) return;
    const socket = connect({ host: this.address.host, port: this.address.port });
    socket.setNoDelay(true);
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.backoffMs = this.backoffMin;
      socket.write(this.hello);
      const queued = this.queue;
      this.queue = [];
      for (const f of queued) socket.write(f);
    });
    socket.on('data', () => undefined); // peers never answer on this connection
    socket.on('error', () => undefined); // 'close' follows and schedules the reconnect
    socket.on('close', () => {
      this.connected = false;
      if (this.socket === socket) this.socket = undefined;
      if (this.closed) return;
      this.timer = setTimeout(() => this.dial(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMax, this.backoffMs * 2);
    });
  }
}

export class TcpTransport {
  /** SQL address each peer announced in its hello (for "connect to the leader at ..." hints). */
  readonly sqlAddresses = new Map<NodeId, string>();
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly incoming = new Set<Socket>();
  private readonly hello: Buffer;

  private constructor(
    private readonly options: TransportOptions,
    private readonly server: Server,
  ) {
    this.hello = encodeFrame({ kind: 'hello', id: options.id, sql: options.sqlAddress, raft: `${options.listen.host}:${options.listen.port}` });
    for (const [id, address] of options.peers) {
      if (id !== options.id) this.addPeer(id, address);
    }
    this.sqlAddresses.set(options.id, options.sqlAddress);
  }

  /** Opens a link to a peer learnt at run time (a joining node says where it listens in its hello). */
  private addPeer(id: NodeId, address: { readonly host: string; readonly port: number }): void {
    if (this.links.has(id) || id === this.options.id) return;
    const o = this.options;
    this.links.set(id, new PeerLink(address, this.hello, o.queueMessagesMax ?? 1024, o.backoffMsMin ?? 20, o.backoffMsMax ?? 500));
  }

  static async listen(options: TransportOptions): Promise<TcpTransport> {
    const server = createServer();
    const transport = new TcpTransport(options, server);
    server.on('connection', (socket) => transport.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => resolve());
    });
    return transport;
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) this.links.get(m.to)?.send(encodeFrame({ kind: 'raft', m }));
  }

  /** False when the frame could not go out now (peer away, or its socket has no room): the caller may retry. */
  sendSnapshotFrame(f: SnapshotFrame): boolean {
    return this.links.get(f.to)?.trySend(encodeFrame(f)) ?? false;
  }

  /** Asks every known peer to add this node (only the leader acts on it). */
  sendJoin(request: JoinRequest): void {
    const frame = encodeFrame({ kind: 'join', id: this.options.id, voter: request.voter, ...(request.replaces !== undefined ? { replaces: request.replaces } : {}) });
    for (const l of this.links.values()) l.send(frame);
  }

  get droppedMessages(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.dropped;
    return n;
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.close();
    for (const s of this.incoming) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.incoming.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let messages: WireMessage[];
      try {
        messages = decoder.push(chunk);
      } catch {
        socket.destroy(); // a damaged stream: drop it, the peer reconnects
        return;
      }
      for (const w of messages) {
        if (w.kind === 'hello') {
          this.sqlAddresses.set(w.id, w.sql);
          const raft = w.raft === undefined ? undefined : /^(.+):(\d+)$/.exec(w.raft);
          if (raft) this.addPeer(w.id, { host: raft[1]!, port: Number(raft[2]) });
        } else if (w.kind === 'raft') this.options.onMessage(w.m);
        else if (w.kind === 'join') this.options.onJoin?.(w.id, { voter: w.voter === true, replaces: w.replaces });
        else this.options.onSnapshotFrame?.(w);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.incoming.delete(socket));
  }
}

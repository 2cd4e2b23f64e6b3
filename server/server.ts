// The PostgreSQL-protocol server: a TCP listener that runs one Connection per client, enforces the
// connection limit and routes CancelRequests by backend key.

import { randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { assert } from '../oltp/errors.ts';
import type { WireEngine } from './engine.ts';
import { Connection, type ConnectionHost, type ConnectionLimits } from './pgwire/connection.ts';
import { makeScramSecret, type ScramSecret } from './pgwire/scram.ts';

export interface ServerOptions {
  engine: WireEngine;
  /** Default 127.0.0.1: listening on another interface is an explicit choice. */
  host?: string;
  /** Default 5432; 0 picks a free port (tests). */
  port?: number;
  /** Sessions at once; the next client gets 53300. Default 100. */
  maxConnections?: number;
  /** Default 64 MiB. */
  messageBytesMax?: number;
  /** When set, every client authenticates with SCRAM-SHA-256; otherwise only loopback clients are let in (trust). */
  password?: string;
  startupTimeoutMs?: number;
  logStatement?: (sql: string) => void;
}

const loopback = /^(127\.|::1$|::ffff:127\.)/;

export class PgServer implements ConnectionHost {
  readonly engine: WireEngine;
  readonly limits: ConnectionLimits;
  readonly secret: ScramSecret | undefined;
  readonly maxConnections: number;
  readonly logStatement: ((sql: string) => void) | undefined;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly running = new Set<Promise<void>>();
  private readonly sessions = new Map<number, Connection>();
  private nextProcessId = 1000 + randomInt(1000);

  private constructor(options: ServerOptions) {
    this.engine = options.engine;
    this.maxConnections = options.maxConnections ?? 100;
    assert(this.maxConnections >= 1, 'maxConnections must be at least 1');
    this.limits = {
      messageBytesMax: options.messageBytesMax ?? 64 * 1024 * 1024,
      inputBytesHighWater: 256 * 1024,
      outputBytesBatch: 64 * 1024,
      startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
    };
    this.secret = options.password === undefined ? undefined : makeScramSecret(options.password);
    this.logStatement = options.logStatement;
    this.server = createServer((socket) => this.accept(socket));
  }

  static async listen(options: ServerOptions): Promise<PgServer> {
    const server = new PgServer(options);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(options.port ?? 5432, options.host ?? '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  get port(): number {
    const address = this.server.address();
    assert(address !== null && typeof address === 'object', 'server is not listening');
    return address.port;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Bytes written to client sockets and not yet taken by the kernel: stays small under backpressure. */
  outputBufferedBytes(): number {
    let total = 0;
    for (const socket of this.sockets) total += socket.writableLength;
    return total;
  }

  private accept(socket: Socket): void {
    // Sockets still in startup are bounded too: past twice the session limit, drop at once.
    if (this.sockets.size >= this.maxConnections * 2 + 8) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const conn = new Connection(socket, this, this.nextProcessId++, randomInt(2 ** 31));
    const run = conn.run().finally(() => {
      this.sockets.delete(socket);
      this.running.delete(run);
    });
    this.running.add(run);
  }

  admit(conn: Connection): boolean {
    if (this.sessions.size >= this.maxConnections) return false;
    this.sessions.set(conn.processId, conn);
    return true;
  }

  release(conn: Connection): void {
    this.sessions.delete(conn.processId);
  }

  /** Whether a client at this address may connect without a password. */
  trusts(remoteAddress: string | undefined): boolean {
    return this.secret !== undefined || (remoteAddress !== undefined && loopback.test(remoteAddress));
  }

  cancel(processId: number, secretKey: number): void {
    const conn = this.sessions.get(processId);
    if (conn && conn.secretKey === secretKey) conn.cancel();
  }

  /** Stops accepting, disconnects every client (their transactions roll back) and waits for them. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([...this.running]);
    await closed;
  }
}


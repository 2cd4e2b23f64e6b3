// A byte-level protocol client for tests that node-postgres cannot express: malformed and oversized
// messages, typed binary parameters, row limits, Describe of a statement, transaction status bytes.

import { connect, type Socket } from 'node:net';
import { MessageWriter } from '../../server/pgwire/framing.ts';

export interface BackendMessage {
  type: string;
  body: Buffer;
}

export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  /** Connects and completes startup (trust), returning after the first ReadyForQuery. */
  static async ready(port: number): Promise<RawClient> {
    const c = await RawClient.connect(port);
    c.startup();
    await c.until('Z');
    return c;
  }

  startup(params: Record<string, string> = { user: 'tester', database: 'db' }): void {
    const w = new MessageWriter();
    const body = new MessageWriter();
    body.int32(196608);
    for (const [k, v] of Object.entries(params)) body.cstring(k).cstring(v);
    body.int8(0);
    const b = body.take();
    w.int32(b.length + 4).bytes(b);
    this.send(w.take());
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Builds one message with the writer callback and sends it. */
  message(type: string, fill: (w: MessageWriter) => void = () => undefined): void {
    const w = new MessageWriter().begin(type);
    fill(w);
    this.send(w.end().take());
  }

  query(sql: string): void {
    this.message('Q', (w) => w.cstring(sql));
  }

  /** The next backend message, or undefined when the server closed the connection. */
  async next(timeoutMs = 5000): Promise<BackendMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 5) {
        const length = this.buffered.readInt32BE(1);
        if (this.buffered.length >= length + 1) {
          const type = String.fromCharCode(this.buffered[0]!);
          const body = this.buffered.subarray(5, length + 1);
          this.buffered = this.buffered.subarray(length + 1);
          return { type, body };
        }
      }
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** Messages up to and including the first of type `type`. */
  async until(type: string): Promise<BackendMessage[]> {
    const seen: BackendMessage[] = [];
    for (;;) {
      const m = await this.next();
      if (!m) throw new Error(`connection closed before '${type}'; saw ${seen.map((s) => s.type).join('')}`);
      seen.push(m);
      if (m.type === type) return seen;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The fields of an ErrorResponse/NoticeResponse by their one-letter codes. */
export function reportFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    out[code] = body.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return out;
}

/** The text values of a DataRow (null for SQL NULL). */
export function dataRowTexts(body: Buffer): (string | null)[] {
  const count = body.readInt16BE(0);
  const out: (string | null)[] = [];
  let i = 2;
  for (let c = 0; c < count; c++) {
    const length = body.readInt32BE(i);
    i += 4;
    if (length < 0) out.push(null);
    else {
      out.push(body.toString('utf8', i, i + length));
      i += length;
    }
  }
  return out;
}

export function dataRowBuffers(body: Buffer): (Buffer | null)[] {
  const count = body.readInt16BE(0);
  const out: (Buffer | null)[] = [];
  let i = 2;
  for (let c = 0; c < count; c++) {
    const length = body.readInt32BE(i);
    i += 4;
    if (length < 0) out.push(null);
    else {
      out.push(body.subarray(i, i + length));
      i += length;
    }
  }
  return out;
}

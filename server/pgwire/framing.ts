// Byte-level framing of the PostgreSQL protocol 3.0: splitting the client stream into messages (with a
// size cap), reading fields out of one message body, and building backend messages into one buffer.

import { DuetError } from '../../oltp/errors.ts';

/** SQLSTATE protocol_violation: a malformed message; the connection is closed after reporting it. */
export const protocolViolation = '08P01';

export function protocolError(message: string): DuetError {
  return new DuetError(protocolViolation, message);
}

export interface Frame {
  /** The message type byte (0 for the untyped startup-phase packets). */
  readonly type: number;
  readonly body: Buffer;
}

/**
 * Accumulates socket chunks and cuts complete messages out of them. Chunks are joined only as far as
 * one message needs, so a large message arriving in many chunks costs one copy, not one per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private bufferedBytesCount = 0;

  constructor(private readonly messageBytesMax: number) {}

  get bufferedBytes(): number {
    return this.bufferedBytesCount;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytesCount += chunk.length;
  }

  /** The next startup-phase packet (length-prefixed, no type byte), or undefined until it is complete. */
  nextStartup(): Frame | undefined {
    if (this.bufferedBytesCount < 4) return undefined;
    const length = this.peek(4).readInt32BE(0);
    this.checkLength(length, 8);
    if (this.bufferedBytesCount < length) return undefined;
    const whole = this.take(length);
    return { type: 0, body: whole.subarray(4) };
  }

  /** The next typed message, or undefined until it is complete. */
  nextMessage(): Frame | undefined {
    if (this.bufferedBytesCount < 5) return undefined;
    const header = this.peek(5);
    const type = header[0]!;
    const length = header.readInt32BE(1);
    this.checkLength(length, 4);
    if (this.bufferedBytesCount < length + 1) return undefined;
    const whole = this.take(length + 1);
    return { type, body: whole.subarray(5) };
  }

  private checkLength(length: number, lengthMin: number): void {
    if (length < lengthMin) throw protocolError(`invalid message length ${length}`);
    if (length > this.messageBytesMax) {
      throw protocolError(`message of ${length} bytes exceeds the limit of ${this.messageBytesMax} bytes`);
    }
  }

  private peek(count: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= count) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(count: number): Buffer {
    let first = this.chunks[0]!;
    if (first.length < count) {
      const parts: Buffer[] = [];
      let gathered = 0;
      while (gathered < count) {
        const chunk = this.chunks.shift()!;
        parts.push(chunk);
        gathered += chunk.length;
      }
      first = Buffer.concat(parts, gathered);
      this.chunks.unshift(first);
    }
    const out = first.subarray(0, count);
    if (first.length === count) this.chunks.shift();
    else this.chunks[0] = first.subarray(count);
    this.bufferedBytesCount -= count;
    return out;
  }
}

/** Reads the fields of one message body; any read past the end is a protocol violation. */
export class BodyReader {
  private offset = 0;

  constructor(private readonly body: Buffer) {}

  get remaining(): number {
    return this.body.length - this.offset;
  }

  int16(): number {
    this.need(2);
    const v = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0) throw protocolError('unterminated string in message');
    const s = this.body.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }

  bytes(count: number): Buffer {
    if (count < 0) throw protocolError('negative length in message');
    this.need(count);
    const b = this.body.subarray(this.offset, this.offset + count);
    this.offset += count;
    return b;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  private need(count: number): void {
    if (this.offset + count > this.body.length) throw protocolError('message is shorter than its fields');
  }
}

/** Builds backend messages back to back into one growable buffer, so a batch goes out in one write. */
export class MessageWriter {
  private buf = Buffer.allocUnsafe(8192);
  private length = 0;
  private messageStart = -1;

  get byteLength(): number {
    return this.length;
  }

  begin(type: string): this {
    this.ensure(5);
    this.buf[this.length] = type.charCodeAt(0);
    this.messageStart = this.length + 1;
    this.length += 5;
    return this;
  }

  end(): this {
    this.buf.writeInt32BE(this.length - this.messageStart, this.messageStart);
    this.messageStart = -1;
    return this;
  }

  /** A whole message with no body (e.g. ParseComplete). */
  empty(type: string): this {
    return this.begin(type).end();
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.length);
    this.length += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.length);
    this.length += 4;
    return this;
  }

  cstring(s: string): this {
    const bytes = Buffer.byteLength(s);
    this.ensure(bytes + 1);
    this.buf.write(s, this.length, 'utf8');
    this.length += bytes;
    this.buf[this.length++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** A length-prefixed UTF-8 string (a DataRow field). */
  lengthString(s: string): this {
    const bytes = Buffer.byteLength(s);
    this.ensure(bytes + 4);
    this.buf.writeInt32BE(bytes, this.length);
    this.buf.write(s, this.length + 4, 'utf8');
    this.length += bytes + 4;
    return this;
  }

  /** Hands out everything written so far and starts empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.length));
    this.length = 0;
    return out;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

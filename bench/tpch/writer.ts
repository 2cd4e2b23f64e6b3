// Streams one .tbl file to disk. Lines are copied into a fixed-size byte block as they are made
// (long string concatenations left most of the time to the garbage collector); a full block is
// written, and the caller waits when the OS is behind, so memory stays bounded.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { assert } from '../../oltp/errors.ts';

const blockBytes = 1 << 20;
/** No generated line group (four partsupp rows) comes near this. */
const lineBytesMax = 8192;

const bar = 0x7c;
const newline = 0x0a;
const zero = 0x30;

export class TableWriter {
  private readonly stream: WriteStream;
  private block = Buffer.allocUnsafe(blockBytes);
  private used = 0;

  /** `trailingSeparator`: end each row with `|` before the newline, as dbgen does. */
  constructor(path: string, private readonly trailingSeparator = true) {
    this.stream = createWriteStream(path, { highWaterMark: 4 * blockBytes });
  }

  // Field writers for the hot tables: bytes go straight into the block, with no string per field.

  /** A short ASCII string (names, dates, flags). */
  ascii(text: string): void {
    const block = this.block;
    let at = this.used;
    for (let i = 0; i < text.length; i++) block[at++] = text.charCodeAt(i);
    this.used = at;
  }

  /** A non-negative integer. */
  int(value: number): void {
    if (value < 10) {
      this.block[this.used++] = zero + value;
      return;
    }
    let digits = 1;
    for (let power = 10; power <= value; power *= 10) digits++;
    let at = this.used + digits;
    this.used = at;
    for (let rest = value; rest > 0; rest = Math.floor(rest / 10)) this.block[--at] = zero + (rest % 10);
  }

  /** Integer cents as `-123.45`. */
  money(cents: number): void {
    if (cents < 0) this.block[this.used++] = 0x2d;
    const abs = Math.abs(cents);
    this.int(Math.floor(abs / 100));
    const fraction = abs % 100;
    this.block[this.used++] = 0x2e;
    this.block[this.used++] = zero + Math.floor(fraction / 10);
    this.block[this.used++] = zero + (fraction % 10);
  }

  /** Hundredths as `0.07` (discount, tax: 0 to 10). */
  hundredths(value: number): void {
    this.ascii(value < 10 ? '0.0' : '0.');
    this.int(value);
  }

  /** Bytes `start` to `end` of `source` (comment text from the pool). */
  bytes(source: Uint8Array, start: number, end: number): void {
    // A plain loop: Buffer.copy's fixed cost dominates for slices this short (10-200 bytes).
    const block = this.block;
    let at = this.used;
    for (let i = start; i < end; i++) block[at++] = source[i]!;
    this.used = at;
  }

  /** One ASCII character by code. */
  char(code: number): void {
    this.block[this.used++] = code;
  }

  bar(): void {
    this.block[this.used++] = bar;
  }

  endRow(): void {
    if (this.trailingSeparator) this.block[this.used++] = bar;
    this.block[this.used++] = newline;
  }

  /** Appends text (ASCII); call `flush` between rows once `full` so the block never overflows. */
  put(text: string): void {
    assert(text.length <= lineBytesMax, 'one row group fits in a block');
    this.used += this.block.write(text, this.used, 'latin1');
  }

  get full(): boolean {
    return blockBytes - this.used < lineBytesMax;
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    // The stream keeps the buffer until it is written, so the next rows go into a fresh one.
    const full = this.block.subarray(0, this.used);
    this.block = Buffer.allocUnsafe(blockBytes);
    this.used = 0;
    if (!this.stream.write(full)) await once(this.stream, 'drain');
  }
}

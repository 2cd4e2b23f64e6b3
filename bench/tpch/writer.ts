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

export class TableWriter {
  private readonly stream: WriteStream;
  private block = Buffer.allocUnsafe(blockBytes);
  private used = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 4 * blockBytes });
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

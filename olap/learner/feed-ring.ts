// A single-producer single-consumer ring of committed log entries in a SharedArrayBuffer: the commit thread
// copies each group's encoded entries in (no message, no wake-up per commit), the learner's thread takes them
// at its own pace. Bounded: when the ring is full the producer is told so and the feeder falls back to messages.

/** Header slots (Int32): bytes written / bytes taken (free-running uint32 counters), consumer asleep flag. */
const WRITE = 0;
const READ = 1;
const SLEEPING = 2;
/** BigInt64 slots after the Int32 ones: the learner's applied index, the index a waiter on the leader side wants. */
const APPLIED = 2;
const WANT = 3;
const HEADER_BYTES = 32;
/** A record length that means "the rest of the ring is unused, continue at its start". */
const WRAP = 0xffffffff;

/** Default ring size: ~400 ms of 30,000 single-row commits/s, so a learner pause (a compaction) spills nothing. */
export const FEED_RING_BYTES = 1 << 20;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Atomics.waitAsync (Node 16+; not in the TypeScript lib this project targets). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

export class FeedRing {
  private readonly i32: Int32Array;
  private readonly i64: BigInt64Array;
  private readonly u32: Uint32Array;
  private readonly u8: Uint8Array;
  private readonly mask: number;
  /** Producer side: bytes written but not yet published (publish makes them visible in one store). */
  private writePos: number;

  /** `buffer`: from FeedRing.create (the producer) handed to the consumer's thread, which wraps the same buffer. */
  constructor(readonly buffer: SharedArrayBuffer) {
    const capacity = buffer.byteLength - HEADER_BYTES;
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new Error(`feed ring capacity ${capacity} is not a power of two`);
    this.i32 = new Int32Array(buffer, 0, 4);
    this.i64 = new BigInt64Array(buffer, 0, 4);
    this.u32 = new Uint32Array(buffer, HEADER_BYTES);
    this.u8 = new Uint8Array(buffer, HEADER_BYTES);
    this.mask = capacity - 1;
    this.writePos = Atomics.load(this.i32, WRITE) >>> 0;
  }

  /** A ring of `capacityBytes` (rounded up to a power of two, at least 4 KiB). */
  static create(capacityBytes = FEED_RING_BYTES): FeedRing {
    let capacity = 4096;
    while (capacity < capacityBytes) capacity *= 2;
    return new FeedRing(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  get capacity(): number {
    return this.mask + 1;
  }

  // ---- producer (the commit thread) ----

  /** Copies one entry in (visible after publish); false when it does not fit now (the ring is not changed). */
  tryWrite(bytes: Uint8Array): boolean {
    const need = 4 + pad4(bytes.byteLength);
    const off = this.writePos & this.mask;
    const tail = this.capacity - off;
    const total = need > tail ? tail + need : need;
    const used = (this.writePos - (Atomics.load(this.i32, READ) >>> 0)) >>> 0;
    if (used + total > this.capacity) return false;
    let at = off;
    if (need > tail) {
      this.u32[off >> 2] = WRAP;
      at = 0;
    }
    this.u32[at >> 2] = bytes.byteLength;
    this.u8.set(bytes, at + 4);
    this.writePos = (this.writePos + total) >>> 0;
    return true;
  }

  /** Makes the written entries visible; true when the consumer sleeps waiting for them (call wake()). */
  publish(): boolean {
    Atomics.store(this.i32, WRITE, this.writePos | 0);
    return Atomics.load(this.i32, SLEEPING) === 1;
  }

  /** Wakes a consumer blocked in waitForData. */
  wake(): void {
    Atomics.store(this.i32, SLEEPING, 0);
    Atomics.notify(this.i32, WRITE);
  }

  /** Everything published was taken. */
  get drained(): boolean {
    return Atomics.load(this.i32, READ) === Atomics.load(this.i32, WRITE);
  }

  // ---- consumer (the learner's thread) ----

  get hasData(): boolean {
    return !this.drained;
  }

  /**
   * Takes up to `maxEntries` published entries, oldest first, copied out into one new buffer (the learner keeps
   * references into what it decodes, and the ring's bytes are reused).
   */
  take(maxEntries: number): Buffer[] {
    let r = Atomics.load(this.i32, READ) >>> 0;
    const w = Atomics.load(this.i32, WRITE) >>> 0;
    const spans: number[] = [];
    let bytes = 0;
    while (r !== w && spans.length < 2 * maxEntries) {
      const off = r & this.mask;
      const len = this.u32[off >> 2]!;
      if (len === WRAP) {
        r = (r + this.capacity - off) >>> 0;
        continue;
      }
      spans.push(off + 4, len);
      bytes += len;
      r = (r + 4 + pad4(len)) >>> 0;
    }
    const out = Buffer.allocUnsafeSlow(bytes);
    const entries: Buffer[] = [];
    let at = 0;
    for (let i = 0; i < spans.length; i += 2) {
      const start = spans[i]!;
      const len = spans[i + 1]!;
      out.set(this.u8.subarray(start, start + len), at);
      entries.push(out.subarray(at, at + len));
      at += len;
    }
    Atomics.store(this.i32, READ, r | 0);
    return entries;
  }

  /** Drops everything published (a snapshot replaces the learner's state: older entries are not needed). */
  skipAll(): void {
    Atomics.store(this.i32, READ, Atomics.load(this.i32, WRITE));
  }

  /** Resolves when the producer publishes more (at once when something is already there). */
  waitForData(): Promise<void> {
    Atomics.store(this.i32, SLEEPING, 1);
    const w = Atomics.load(this.i32, WRITE);
    if (w !== Atomics.load(this.i32, READ)) {
      Atomics.store(this.i32, SLEEPING, 0);
      return Promise.resolve();
    }
    const r = waitAsync(this.i32, WRITE, w);
    return r.async ? r.value.then(() => undefined) : Promise.resolve();
  }

  // ---- applied index (consumer writes) and the index a leader-side waiter needs (producer writes) ----

  get appliedIndex(): number {
    return Number(Atomics.load(this.i64, APPLIED));
  }

  set appliedIndex(index: number) {
    Atomics.store(this.i64, APPLIED, BigInt(index));
  }

  get wantIndex(): number {
    return Number(Atomics.load(this.i64, WANT));
  }

  /** Asks the consumer to report (an 'applied' message) once it applied `index`. */
  want(index: number): void {
    if (index > this.wantIndex) Atomics.store(this.i64, WANT, BigInt(index));
  }
}

// The feeder's window of recently committed log entries, as the row store encoded them at commit: the
// feeder sends these instead of reading each entry back from LevelDB on the commit thread. Bounded: the
// window keeps only the newest entries; anything older (a learner that fell behind, a restart) is read back.

/** Entries the window keeps: two full apply batches (client.ts applyEntriesMax 1024) at most. */
export const RECENT_ENTRIES_MAX = 2048;
/** Bytes of entries the window keeps (a bulk load commits entries of hundreds of kilobytes). */
export const RECENT_BYTES_MAX = 4 << 20;

export class RecentEntries {
  private entries: Uint8Array[] = [];
  /** Index of entries[head]; entries before head were handed out or dropped. */
  private firstIndex = 0;
  private head = 0;
  private bytes = 0;

  /**
   * Adds the entries of one applied commit group (`lastIndex` is the newest). A group that does not follow
   * the window (after a snapshot install, or when groups came without their bytes) starts a new window.
   */
  add(lastIndex: number, encoded: readonly Uint8Array[]): void {
    if (encoded.length === 0) return;
    const first = lastIndex - encoded.length + 1;
    if (first !== this.firstIndex + this.entries.length - this.head) this.clear(first);
    for (const e of encoded) {
      this.entries.push(e);
      this.bytes += e.byteLength;
    }
    while (this.size > RECENT_ENTRIES_MAX || (this.bytes > RECENT_BYTES_MAX && this.size > 0)) this.dropOldest();
  }

  /** The encoded entry at `index`, or undefined when the window does not hold it. */
  get(index: number): Uint8Array | undefined {
    const i = index - this.firstIndex;
    return i >= 0 && i < this.size ? this.entries[this.head + i] : undefined;
  }

  /** Forgets entries up to and including `index` (sent to the learner). */
  dropThrough(index: number): void {
    while (this.size > 0 && this.firstIndex <= index) this.dropOldest();
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  private dropOldest(): void {
    this.bytes -= this.entries[this.head]!.byteLength;
    this.head++;
    this.firstIndex++;
    // shift the array only now and then: amortized O(1) per entry
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private clear(first: number): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
    this.firstIndex = first;
  }
}

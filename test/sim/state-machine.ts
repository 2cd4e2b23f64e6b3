// The simulator's replicated state machine: a hash chain over applied entries, so two nodes that applied
// different entries anywhere in the prefix end up with different hashes at the same index.

import type { Entry } from '../../oltp/raft/types.ts';

/**
 * What the simulator needs of a replicated state machine: apply committed entries in order, snapshot and
 * restore, and a chain hash over what it applied (the checker compares it across nodes per index).
 */
export interface SimMachine {
  /** Last Raft index applied. */
  readonly index: number;
  readonly hash: number;
  apply(entry: Entry): void;
  /** An image of the state at `index`, for log compaction and InstallSnapshot. */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot image taken at `index` (empty data: the bootstrap snapshot). */
  restore(data: Uint8Array, index: number): void;
}

export class HashChainMachine implements SimMachine {
  index = 0;
  hash = 0x811c9dc5;
  appliedCount = 0;

  apply(entry: Entry): void {
    if (entry.index !== this.index + 1) throw new Error(`applied ${entry.index} after ${this.index}: gap or repeat`);
    this.hash = mix(mix(this.hash, entry.term), entry.data);
    this.index = entry.index;
    this.appliedCount += 1;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([this.index, this.hash, this.appliedCount]));
  }

  restore(data: Uint8Array, index: number): void {
    if (data.length === 0) {
      // The bootstrap snapshot (index 0) carries no image.
      this.index = index;
      return;
    }
    const [i, h, n] = JSON.parse(new TextDecoder().decode(data)) as [number, number, number];
    if (i !== index) throw new Error(`snapshot image at ${i} labelled ${index}`);
    this.index = i;
    this.hash = h;
    this.appliedCount = n;
  }
}

function mix(hash: number, value: number | Uint8Array): number {
  // FNV-1a over the bytes (or the 32-bit value): cheap and order-sensitive.
  let h = hash;
  if (typeof value === 'number') {
    for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((value >>> s) & 0xff), 0x01000193) >>> 0;
    return h;
  }
  for (const byte of value) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

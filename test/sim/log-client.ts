// A simulator client that proposes a pre-generated list of payloads strictly one after another: the next one
// only once the previous one committed, the same one again when its leader changed or it waited too long.

import type { Entry } from '../../oltp/raft/types.ts';

/** What the simulator asks of a client (SimOptions.client). */
export interface SimClient {
  /** The payload to propose now to the leader `leaderKey` ("id/term"), or undefined for none this unit. */
  next(nowUnits: number, leaderKey: string): Uint8Array | undefined;
  /** Every entry any node applies (so every committed entry at least once). */
  onApplied(entry: Entry): void;
  /** True once every payload committed. */
  finished(): boolean;
  /** A short name of a payload for the trace. */
  describe(data: Uint8Array): string;
}

/**
 * Payloads commit in list order without gaps: payload k + 1 is proposed only after payload k was applied by
 * some node. A retry can commit one payload twice (the first try was slow, not lost): the state machine must
 * skip what it applied already. A payload is recognized by `positionOf` (1-based; undefined: not ours).
 */
export class SequentialClient implements SimClient {
  /** Highest position known committed. */
  committed = 0;
  proposals = 0;
  /** Time (units) by which each position was known committed (index 0: position 1). */
  readonly committedAtUnits: number[] = [];
  private nowUnits = 0;
  retries = 0;
  private pending: { position: number; atUnits: number; leaderKey: string } | undefined;

  constructor(
    private readonly payloads: readonly Uint8Array[],
    private readonly positionOf: (data: Uint8Array) => number | undefined,
    /** Re-propose the same payload to the same leader after this long without a commit. */
    private readonly retryUnits = 100,
  ) {}

  next(nowUnits: number, leaderKey: string): Uint8Array | undefined {
    this.nowUnits = nowUnits;
    if (this.finished()) return undefined;
    const position = this.committed + 1;
    const p = this.pending;
    if (p !== undefined && p.position === position && p.leaderKey === leaderKey && nowUnits - p.atUnits < this.retryUnits) return undefined;
    if (p !== undefined && p.position === position) this.retries += 1;
    this.pending = { position, atUnits: nowUnits, leaderKey };
    this.proposals += 1;
    return this.payloads[position - 1];
  }

  onApplied(entry: Entry): void {
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    const position = this.positionOf(entry.data);
    if (position === undefined) return;
    // Anything else would mean a payload committed before its predecessor: the order this client promises.
    if (position > this.committed + 1) throw new Error(`client: payload ${position} committed before ${this.committed + 1}`);
    if (position === this.committed + 1) this.committedAtUnits.push(this.nowUnits);
    this.committed = Math.max(this.committed, position);
  }

  finished(): boolean {
    return this.committed >= this.payloads.length;
  }

  describe(data: Uint8Array): string {
    return `payload ${this.positionOf(data) ?? '?'}/${this.payloads.length}`;
  }
}

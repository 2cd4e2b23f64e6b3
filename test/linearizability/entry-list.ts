// The call and return events of a history as a doubly linked list in time order (Porcupine's
// "entries"): the search lifts an operation's two nodes out when it linearizes it, and puts them back.

/** Node `2i` is the call of operation i, `2i + 1` its return, `2n` the head; -1 ends the list. */
export const NONE = -1;

export interface TimedEvent {
  call: number;
  /** `Infinity` for an operation that never returned. */
  return: number;
}

export class EntryList {
  readonly head: number;
  readonly next: Int32Array;
  private readonly prev: Int32Array;

  /** Links all nodes in time order; at equal times calls come first (such operations overlap). */
  constructor(times: readonly TimedEvent[]) {
    const n = times.length;
    const nodes = new Int32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) nodes[i] = i;
    const timeOf = (node: number): number => {
      const span = times[node >> 1]!;
      return (node & 1) === 0 ? span.call : span.return;
    };
    // Compared without subtraction: Infinity - Infinity is NaN.
    nodes.sort((a, b) => compareNumbers(timeOf(a), timeOf(b)) || (a & 1) - (b & 1) || a - b);
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1).fill(NONE);
    this.prev = new Int32Array(2 * n + 1).fill(NONE);
    let last = this.head;
    for (const node of nodes) {
      this.next[last] = node;
      this.prev[node] = last;
      last = node;
    }
  }

  get first(): number {
    return this.next[this.head]!;
  }

  /** Removes an operation's call and return. */
  lift(callNode: number): void {
    this.remove(callNode);
    this.remove(callNode + 1);
  }

  /** Undoes the matching `lift`: removed nodes keep their own pointers, so reverse order restores. */
  unlift(callNode: number): void {
    this.restore(callNode + 1);
    this.restore(callNode);
  }

  private remove(node: number): void {
    const { next, prev } = this;
    next[prev[node]!] = next[node]!;
    if (next[node] !== NONE) prev[next[node]!] = prev[node]!;
  }

  private restore(node: number): void {
    const { next, prev } = this;
    next[prev[node]!] = node;
    if (next[node] !== NONE) prev[next[node]!] = node;
  }
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Wing & Gong linearizability search with Lowe's memoization, shaped like Porcupine's (see
// entry-list.ts), plus three sound reductions described in README.md.
import { assert } from '../../oltp/errors.ts';
import { EntryList, NONE, type TimedEvent } from './entry-list.ts';
import { LinearizedSet, Memo } from './memo.ts';
import { REJECTED, type Model } from './model.ts';

export type { TimedEvent } from './entry-list.ts';

export interface SearchOptions {
  /** Give up with `'unknown'` after this long (default 10 s). */
  timeoutMs?: number;
  /** Give up with `'unknown'` once the memo holds this many configurations (bounds memory). */
  cacheEntriesMax?: number;
  /** Clock, injectable for tests (ms). */
  now?: () => number;
}

/** `after[i]` is an operation that must be linearized before operation i, or -1. */
export type OrderHints = Int32Array;

export type SearchResult =
  | { linearizable: true; order: number[]; steps: number }
  | { linearizable: false; longestPrefix: number[]; blockedOp: number; steps: number }
  | { linearizable: 'unknown'; reason: string; longestPrefix: number[]; steps: number };

const clockCheckSteps = 4096;

/** Searches for a linearization of `ops` (answers name operations by index) under `model`. */
export function searchLinearization<S, Op>(
  model: Model<S, Op>,
  ops: readonly Op[],
  times: readonly TimedEvent[],
  options: SearchOptions = {},
  after: OrderHints = new Int32Array(ops.length).fill(NONE),
): SearchResult {
  assert(after.length === ops.length, 'one order hint per operation');
  assert(ops.length === times.length, 'one time span per operation');
  return new Search(model, ops, times, after).run(options);
}

class Search<S, Op> {
  private readonly list: EntryList;
  private readonly set: LinearizedSet;
  private readonly memo = new Memo();
  /** Per operation: never changes the state; never returned; result independent of the state. */
  private readonly observer: Uint8Array;
  private readonly open: Uint8Array;
  private readonly blind: Uint8Array;

  // The stack of placed calls: node, state before, forced (see settle), unseenEffect before.
  private readonly stackNodes: Int32Array;
  private readonly stackStates: S[] = [];
  private readonly stackForced: Uint8Array;
  private readonly stackUnseen: Uint8Array;
  private depth = 0;
  private state: S;
  /** The last placed operation never returned, and nothing has looked at its effect yet. */
  private unseenEffect: 0 | 1 = 0;
  private returnedLeft: number;
  private entry = NONE;
  private steps = 0;
  private best: number[] = [];
  private blockedOp = NONE;

  constructor(
    private readonly model: Model<S, Op>,
    private readonly ops: readonly Op[],
    private readonly times: readonly TimedEvent[],
    private readonly after: OrderHints,
  ) {
    const n = ops.length;
    this.list = new EntryList(times);
    this.set = new LinearizedSet(n);
    this.observer = Uint8Array.from(ops, (op) => (model.observesOnly?.(op) ? 1 : 0));
    this.open = Uint8Array.from(times, (t) => (t.return === Infinity ? 1 : 0));
    this.blind = Uint8Array.from(ops, (op) => (model.overwrites?.(op) ? 1 : 0));
    this.returnedLeft = this.open.reduce((left, isOpen) => left - isOpen, n);
    this.stackNodes = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.stackUnseen = new Uint8Array(n);
    this.state = model.init();
  }

  run(options: SearchOptions): SearchResult {
    const now = options.now ?? (() => performance.now());
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadlineMs = now() + timeoutMs;
    const cacheEntriesMax = options.cacheEntriesMax ?? 5_000_000;
    if (this.settle()) this.entry = this.list.first;
    else if (!this.backtrack()) return this.notLinearizable();
    // Once every returned operation is placed, the open ones can follow in any legal order.
    while (this.returnedLeft > 0) {
      this.steps++;
      if (this.steps % clockCheckSteps === 0 && now() > deadlineMs) return this.unknown(`timed out after ${timeoutMs} ms`);
      if (this.memo.size > cacheEntriesMax) return this.unknown(`memo exceeded ${cacheEntriesMax} configurations`);
      if (!this.advance() && !this.backtrack()) return this.notLinearizable();
    }
    return { linearizable: true, order: this.withOpenTail(), steps: this.steps };
  }

  /** One step of the walk; false when this configuration is dead and the search must back up. */
  private advance(): boolean {
    const entry = this.entry;
    if ((entry & 1) === 0) {
      const nextState = this.stepIfAllowed(entry >> 1);
      if (nextState === REJECTED || !this.push(entry, nextState, false)) {
        this.entry = this.list.next[entry]!;
        return true;
      }
      if (!this.settle()) return false;
      this.entry = this.list.first;
      return true;
    }
    // A return reached before its call was placed. Remember the deepest such dead end (copied
    // only here, not on every push, which would cost O(n^2) on long histories).
    if (this.depth > this.best.length) {
      this.best = this.prefix();
      this.blockedOp = entry >> 1;
    }
    return false;
  }

  /** The state after placing `op` next, or REJECTED (illegal output, hint unmet, or pointless). */
  private stepIfAllowed(op: number): S | typeof REJECTED {
    const predecessor = this.after[op]!;
    if (predecessor !== NONE && !this.set.has(predecessor)) return REJECTED;
    const nextState = this.model.step(this.state, this.ops[op]!);
    if (nextState === REJECTED) return REJECTED;
    // An operation that never returned and would change nothing here can as well go at the very
    // end, after every returned one (nothing has to follow it): trying it here is wasted work.
    if (this.open[op] === 1 && this.model.key(nextState) === this.model.key(this.state)) return REJECTED;
    // Likewise one whose effect would be overwritten at once, unseen, could have gone last.
    if (this.unseenEffect === 1 && this.blind[op] === 1) return REJECTED;
    return nextState;
  }

  /** Places call node `node` next, reaching `nextState`; false if that configuration was seen. */
  private push(node: number, nextState: S, forced: boolean): boolean {
    const op = node >> 1;
    // Open operations are only placed where they change the state (see stepIfAllowed).
    const unseenAfter = this.open[op] === 1 ? 1 : 0;
    this.set.toggle(op);
    // unseenEffect restricts what may follow, so it is part of the memo key.
    if (!this.memo.add(unseenAfter, this.model.key(nextState), this.set)) {
      this.set.toggle(op);
      return false;
    }
    this.returnedLeft -= 1 - this.open[op]!;
    this.stackNodes[this.depth] = node;
    this.stackStates[this.depth] = this.state;
    this.stackForced[this.depth] = forced ? 1 : 0;
    this.stackUnseen[this.depth] = this.unseenEffect;
    this.depth++;
    this.unseenEffect = unseenAfter;
    this.state = nextState;
    this.list.lift(node);
    return true;
  }

  /**
   * An operation that never changes the state (a read, a failed cas) and is legal now can be
   * placed now without loss: any completion that places it later stays legal with it moved here,
   * since everything that returned before its call is already placed. So this configuration is
   * linearizable iff it is with that operation added, and nothing else needs trying here: such
   * pushes are "forced", and backtracking passes over them. False when the configuration is dead
   * (its forced successor was explored before and failed).
   */
  private settle(): boolean {
    const { next, head } = this.list;
    for (let node = next[head]!; node !== NONE && (node & 1) === 0; node = next[node]!) {
      if (this.observer[node >> 1] === 0) continue;
      const nextState = this.stepIfAllowed(node >> 1);
      if (nextState === REJECTED) continue;
      if (!this.push(node, nextState, true)) return false;
      node = head;
    }
    return true;
  }

  /** Undoes pushes up to and including the latest unforced one; false when none is left. */
  private backtrack(): boolean {
    while (this.depth > 0) {
      this.depth--;
      const node = this.stackNodes[this.depth]!;
      this.state = this.stackStates[this.depth]!;
      this.unseenEffect = this.stackUnseen[this.depth] === 1 ? 1 : 0;
      this.set.toggle(node >> 1);
      this.returnedLeft += 1 - this.open[node >> 1]!;
      this.list.unlift(node);
      if (this.stackForced[this.depth] === 0) {
        this.entry = this.list.next[node]!;
        return true;
      }
    }
    return false;
  }

  private prefix(): number[] {
    return Array.from(this.stackNodes.subarray(0, this.depth), (node) => node >> 1);
  }

  /** The placed operations, then the open ones in call order (which keeps the order hints). */
  private withOpenTail(): number[] {
    const placed = this.prefix();
    const isPlaced = new Set(placed);
    const tail = this.ops.map((_, i) => i).filter((i) => !isPlaced.has(i));
    tail.sort((a, b) => this.times[a]!.call - this.times[b]!.call || a - b);
    return placed.concat(tail);
  }

  private notLinearizable(): SearchResult {
    return { linearizable: false, longestPrefix: this.best, blockedOp: this.blockedOp, steps: this.steps };
  }

  private unknown(reason: string): SearchResult {
    if (this.depth > this.best.length) this.best = this.prefix();
    return { linearizable: 'unknown', reason, longestPrefix: this.best, steps: this.steps };
  }
}

// Wing & Gong linearizability search with Lowe's memoization, shaped like Porcupine's: call/return
// entries in a doubly linked list, "lift" an operation out when it is linearized, "unlift" on backtrack.
import { assert } from '../../oltp/errors.ts';
import { REJECTED, type Model } from './model.ts';

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

export interface TimedEvent {
  call: number;
  /** `Infinity` for an operation that never returned. */
  return: number;
}

export type SearchResult =
  | { linearizable: true; order: number[]; steps: number }
  | { linearizable: false; longestPrefix: number[]; blockedOp: number; steps: number }
  | { linearizable: 'unknown'; reason: string; longestPrefix: number[]; steps: number };

const NONE = -1;
const clockCheckSteps = 4096;

/**
 * Searches for a linearization of `ops` (indices into the array) under `model`.
 * Nodes: `2i` is the call of op i, `2i + 1` its return, `2n` the list head.
 */
export function searchLinearization<S, Op>(
  model: Model<S, Op>,
  ops: readonly Op[],
  times: readonly TimedEvent[],
  options: SearchOptions = {},
  after: OrderHints = new Int32Array(ops.length).fill(NONE),
): SearchResult {
  assert(after.length === ops.length, 'one order hint per operation');
  assert(ops.length === times.length, 'one time span per operation');
  const n = ops.length;
  const now = options.now ?? (() => performance.now());
  const deadlineMs = now() + (options.timeoutMs ?? 10_000);
  const cacheEntriesMax = options.cacheEntriesMax ?? 5_000_000;

  const list = buildList(times);
  const { next } = list;
  const head = 2 * n;
  const linearized = new Uint32Array(Math.ceil(n / 32) + 1);
  const zobrist = zobristKeys(n);
  let hash = 0;
  // One memo per value of `unseenEffect`: it changes what may come next, so it is part of the key.
  const caches = [new Map<unknown, Map<number, Uint32Array[]>>(), new Map<unknown, Map<number, Uint32Array[]>>()] as const;
  let cacheEntries = 0;
  const observer = Uint8Array.from(ops, (op) => (model.observesOnly?.(op) ? 1 : 0));
  // Operations that never returned (outcome unknown), and how many returned ones are left to place.
  const open = Uint8Array.from(times, (t) => (t.return === Infinity ? 1 : 0));
  let returnedLeft = open.reduce((left, isOpen) => left - isOpen, n);
  const blind = Uint8Array.from(ops, (op) => (model.overwrites?.(op) ? 1 : 0));
  // The last placed operation is an open one whose effect nothing has looked at yet.
  let unseenEffect = 0;

  // The stack of linearized calls, the state before each, and whether it was forced (see settle).
  const stackNodes = new Int32Array(n);
  const stackStates: S[] = [];
  const stackForced = new Uint8Array(n);
  const stackUnseen = new Uint8Array(n);
  let depth = 0;
  let best: number[] = [];
  let blockedOp = NONE;
  let state = model.init();
  let entry = NONE;
  let steps = 0;

  /** The state after linearizing `op` next, or REJECTED (illegal output, or an order hint unmet). */
  const stepIfAllowed = (op: number): S | typeof REJECTED => {
    const predecessor = after[op]!;
    if (predecessor !== NONE && (linearized[predecessor >>> 5]! & (1 << (predecessor & 31))) === 0) return REJECTED;
    const nextState = model.step(state, ops[op]!);
    // An operation that never returned and would change nothing here can as well go at the very
    // end, after every returned one (nothing has to follow it): trying it here is wasted work.
    if (open[op] === 1 && nextState !== REJECTED && model.key(nextState) === model.key(state)) return REJECTED;
    // Likewise an open operation whose effect is overwritten at once, unseen, could have gone last.
    if (unseenEffect === 1 && blind[op] === 1) return REJECTED;
    return nextState;
  };

  /** Linearizes call node `node` next, reaching `nextState`; false if that configuration was seen. */
  const push = (node: number, nextState: S, forced: boolean): boolean => {
    const op = node >> 1;
    toggle(linearized, op);
    hash ^= zobrist[op]!;
    // Open operations are only placed where they change the state (see stepIfAllowed).
    const unseenAfter = open[op]!;
    if (!remember(unseenAfter === 1 ? caches[1] : caches[0], model.key(nextState), hash, linearized)) {
      toggle(linearized, op);
      hash ^= zobrist[op]!;
      return false;
    }
    cacheEntries++;
    returnedLeft -= 1 - open[op]!;
    stackNodes[depth] = node;
    stackStates[depth] = state;
    stackForced[depth] = forced ? 1 : 0;
    stackUnseen[depth] = unseenEffect;
    unseenEffect = unseenAfter;
    depth++;
    state = nextState;
    list.lift(node);
    return true;
  };

  /**
   * An operation that never changes the state (a read, a failed cas) and is legal now can be
   * linearized now without loss: any completion that places it later stays legal with it moved
   * here, since everything that returned before its call is already linearized. So the current
   * configuration is linearizable iff it is with that operation added, and there is nothing else to
   * try here: such pushes are "forced", and backtracking passes over them. False when the
   * configuration turns out dead (the forced successor was already explored and failed).
   */
  const settle = (): boolean => {
    for (let node = next[head]!; node !== NONE && (node & 1) === 0; node = next[node]!) {
      if (observer[node >> 1] === 0) continue;
      const nextState = stepIfAllowed(node >> 1);
      if (nextState === REJECTED) continue;
      if (!push(node, nextState, true)) return false;
      node = head;
    }
    return true;
  };

  /** Undoes pushes up to and including the latest unforced one; false when none is left. */
  const backtrack = (): boolean => {
    while (depth > 0) {
      depth--;
      const node = stackNodes[depth]!;
      state = stackStates[depth]!;
      unseenEffect = stackUnseen[depth]!;
      toggle(linearized, node >> 1);
      hash ^= zobrist[node >> 1]!;
      returnedLeft += 1 - open[node >> 1]!;
      list.unlift(node);
      if (stackForced[depth] === 0) {
        entry = next[node]!;
        return true;
      }
    }
    return false;
  };

  const prefix = (): number[] => Array.from(stackNodes.subarray(0, depth), (node) => node >> 1);
  /** Once every returned operation is placed, the open ones follow in call order (hints hold). */
  const withOpenTail = (): number[] => {
    const placed = prefix();
    const placedSet = new Set(placed);
    const tail = placed.length === n ? [] : ops.map((_, i) => i).filter((i) => !placedSet.has(i));
    tail.sort((a, b) => times[a]!.call - times[b]!.call || a - b);
    return placed.concat(tail);
  };
  const notLinearizable = (): SearchResult => ({ linearizable: false, longestPrefix: best, blockedOp, steps });

  if (settle()) entry = next[head]!;
  else if (!backtrack()) return notLinearizable();
  while (returnedLeft > 0) {
    steps++;
    if (steps % clockCheckSteps === 0 && now() > deadlineMs) {
      if (depth > best.length) best = prefix();
      return { linearizable: 'unknown', reason: `timed out after ${options.timeoutMs ?? 10_000} ms`, longestPrefix: best, steps };
    }
    if (cacheEntries > cacheEntriesMax) {
      return { linearizable: 'unknown', reason: `memo exceeded ${cacheEntriesMax} configurations`, longestPrefix: best, steps };
    }
    if ((entry & 1) === 0) {
      const nextState = stepIfAllowed(entry >> 1);
      if (nextState === REJECTED || !push(entry, nextState, false)) {
        entry = next[entry]!;
        continue;
      }
      if (settle()) {
        entry = next[head]!;
        continue;
      }
    } else if (depth > best.length) {
      // A return reached before its call was linearized: a dead end. Remember the deepest one
      // (copied only here, not on every push, which would cost O(n^2) on long histories).
      best = prefix();
      blockedOp = entry >> 1;
    }
    if (!backtrack()) return notLinearizable();
  }
  return { linearizable: true, order: withOpenTail(), steps };
}

function toggle(bits: Uint32Array, index: number): void {
  bits[index >>> 5]! ^= 1 << (index & 31);
}

/** Adds (state, linearized set) to the memo; false if it was already there (Lowe's pruning). */
function remember(cache: Map<unknown, Map<number, Uint32Array[]>>, stateKey: unknown, hash: number, bits: Uint32Array): boolean {
  let byHash = cache.get(stateKey);
  if (byHash === undefined) {
    byHash = new Map();
    cache.set(stateKey, byHash);
  }
  const bucket = byHash.get(hash);
  if (bucket === undefined) {
    byHash.set(hash, [bits.slice()]);
    return true;
  }
  for (const seen of bucket) if (sameBits(seen, bits)) return false;
  bucket.push(bits.slice());
  return true;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Fixed pseudo-random 32-bit keys per operation so the set hash updates in O(1) (Zobrist hashing). */
function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    // xorshift32: deterministic, good enough spread for a hash-table key.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x;
  }
  return keys;
}

interface EntryList {
  next: Int32Array;
  lift(callNode: number): void;
  unlift(callNode: number): void;
}

/** Links all call and return nodes in time order; at equal times calls come first (they overlap). */
function buildList(times: readonly TimedEvent[]): EntryList {
  const n = times.length;
  const nodes = new Int32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) nodes[i] = i;
  const timeOf = (node: number): number => {
    const span = times[node >> 1]!;
    return (node & 1) === 0 ? span.call : span.return;
  };
  // Compared without subtraction: Infinity - Infinity is NaN.
  nodes.sort((a, b) => compareNumbers(timeOf(a), timeOf(b)) || (a & 1) - (b & 1) || a - b);
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(NONE);
  const prev = new Int32Array(2 * n + 1).fill(NONE);
  let last = head;
  for (const node of nodes) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }
  const remove = (node: number): void => {
    next[prev[node]!] = next[node]!;
    if (next[node] !== NONE) prev[next[node]!] = prev[node]!;
  };
  const restore = (node: number): void => {
    next[prev[node]!] = node;
    if (next[node] !== NONE) prev[next[node]!] = node;
  };
  return {
    next,
    // The removed nodes keep their own pointers, so restoring in reverse order puts them back exactly.
    lift(callNode) {
      remove(callNode);
      remove(callNode + 1);
    },
    unlift(callNode) {
      restore(callNode + 1);
      restore(callNode);
    },
  };
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Public entry point: is a client history of one register (read / write / cas) linearizable?
// Validates the history, runs the memoized search, and explains a violation in readable lines.
import { assert } from '../../oltp/errors.ts';
import { formatOperation, type Operation } from './history.ts';
import { registerModel } from './model.ts';
import { searchLinearization, type SearchOptions } from './search.ts';

export interface CheckOptions extends SearchOptions {}

export type CheckResult =
  | {
      linearizable: true;
      /** Indices into the history in a legal sequential order. */
      order: number[];
      steps: number;
    }
  | {
      linearizable: false;
      /** The longest sequence of operations (indices) the search could linearize. */
      longestPrefix: number[];
      /** An operation whose return came before the search could place it after that prefix. */
      blockedOp: number;
      /** Human-readable counterexample: the prefix, the stuck operation and the register value. */
      explanation: string;
      steps: number;
    }
  | { linearizable: 'unknown'; reason: string; longestPrefix: number[]; steps: number };

export function checkRegisterHistory(ops: readonly Operation[], options: CheckOptions = {}): CheckResult {
  // An unknown outcome may take effect at any time after its call: it has no end.
  const times = ops.map((op, index) => {
    assert(Number.isFinite(op.call), `operation ${index}: call time must be finite`);
    assert(op.output.status !== 'fail' || op.input.kind === 'cas', `operation ${index}: only cas may fail; leave out operations that did not happen`);
    const end = op.output.status === 'info' ? Infinity : op.return;
    assert(end >= op.call, `operation ${index}: returns before it is called`);
    return { call: op.call, return: end };
  });
  const result = searchLinearization(registerModel, ops, times, options, identicalInfoOrder(ops));
  if (result.linearizable !== false) return result;
  return { ...result, explanation: explain(ops, result.longestPrefix, result.blockedOp) };
}

/**
 * Two `info` operations with the same input are interchangeable, and the one called first can go
 * anywhere the other can (neither ever returns). So some linearization exists iff one exists with
 * them in call order: requiring that order cuts the 2^k subsets of k pending look-alikes to k + 1.
 */
function identicalInfoOrder(ops: readonly Operation[]): Int32Array {
  const after = new Int32Array(ops.length).fill(-1);
  const lastOfKind = new Map<string, number>();
  const byCall = ops.map((_, i) => i).filter((i) => ops[i]!.output.status === 'info');
  byCall.sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);
  for (const i of byCall) {
    const kind = JSON.stringify(ops[i]!.input);
    const previous = lastOfKind.get(kind);
    if (previous !== undefined) after[i] = previous;
    lastOfKind.set(kind, i);
  }
  return after;
}

function explain(ops: readonly Operation[], prefix: readonly number[], blockedOp: number): string {
  let state = registerModel.init();
  const lines = ['not linearizable; the longest legal prefix found:'];
  for (const index of prefix) {
    const after = registerModel.step(state, ops[index]!);
    assert(typeof after !== 'symbol', 'a linearized prefix replays legally');
    state = after;
    lines.push(`  ${formatOperation(ops[index]!, index)}   => ${state === null ? 'nil' : String(state)}`);
  }
  if (blockedOp >= 0) lines.push(`then no order fits before this returns: ${formatOperation(ops[blockedOp]!, blockedOp)}`);
  return lines.join('\n');
}

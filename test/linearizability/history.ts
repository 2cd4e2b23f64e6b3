// Client-observed operations on one register, as recorded by a test client (Jepsen, the Raft
// simulator, a real cluster): the input to the linearizability checker.

/** A register value; `null` is the initial, never-written value (Jepsen's `nil`). */
export type RegisterValue = number | string | null;

export type RegisterInput =
  | { readonly kind: 'read' }
  | { readonly kind: 'write'; readonly value: RegisterValue }
  /** Compare-and-set: sets `next` only if the register holds `expected`. */
  | { readonly kind: 'cas'; readonly expected: RegisterValue; readonly next: RegisterValue };

/**
 * What the client saw.
 * - `ok`: it happened; a read carries the value it returned.
 * - `fail`: only for cas: the compare did not match, so it had no effect (etcd's "compare failed").
 *   An operation that definitely did not happen for another reason should be left out of the history.
 * - `info`: the outcome is unknown (timeout, crash): it may or may not have taken effect, and its
 *   effect may come at any time after its call. Its `return` must be `Infinity`.
 */
export type RegisterOutput =
  | { readonly status: 'ok'; readonly value?: RegisterValue }
  | { readonly status: 'fail' }
  | { readonly status: 'info' };

export interface Operation {
  readonly clientId: number;
  readonly input: RegisterInput;
  readonly output: RegisterOutput;
  /** When the client sent the request (any monotonic unit, e.g. ms or log position). */
  readonly call: number;
  /** When the client saw the answer; `Infinity` when it never did (`info`). */
  readonly return: number;
}

/** One-line rendering of an operation for counterexample reports. */
export function formatOperation(op: Operation, index: number): string {
  const input =
    op.input.kind === 'read' ? 'read' : op.input.kind === 'write' ? `write ${show(op.input.value)}` : `cas ${show(op.input.expected)}->${show(op.input.next)}`;
  const output = op.output.status === 'ok' && op.input.kind === 'read' ? `ok ${show(op.output.value ?? null)}` : op.output.status;
  const end = op.return === Infinity ? '∞' : String(op.return);
  return `#${index} client ${op.clientId} [${op.call}, ${end}] ${input} -> ${output}`;
}

function show(value: RegisterValue | undefined): string {
  return value === null || value === undefined ? 'nil' : String(value);
}

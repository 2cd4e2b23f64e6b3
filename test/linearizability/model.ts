// Sequential specifications for the checker: a model says which operation results are legal from a
// state and what state follows. The register model (read / write / compare-and-set) lives here.
import { assert } from '../../oltp/errors.ts';
import type { Operation, RegisterValue } from './history.ts';

/** Returned by `step` when the operation's observed output is impossible from that state. */
export const REJECTED: unique symbol = Symbol('rejected');

export interface Model<State, Op> {
  init(): State;
  /** The state after `op` if its observed output is legal from `state`, else REJECTED. Must be pure. */
  step(state: State, op: Op): State | typeof REJECTED;
  /** A primitive that identifies the state exactly: the search memoizes on it. */
  key(state: State): string | number | boolean | null;
  /** True if `op` never changes the state when legal (a read): lets the search skip alternatives. */
  observesOnly?(op: Op): boolean;
  /** True if `op` is always legal and its resulting state does not depend on the state before it. */
  overwrites?(op: Op): boolean;
}

/** One register, initially `null` (never written). */
export const registerModel: Model<RegisterValue, Operation> = {
  init: () => null,
  key: (state) => state,
  observesOnly: (op) => op.input.kind === 'read' || (op.input.kind === 'cas' && op.output.status === 'fail'),
  overwrites: (op) => op.input.kind === 'write',
  step(state, op) {
    const { input, output } = op;
    switch (input.kind) {
      case 'read':
        // A read with unknown outcome constrains nothing.
        if (output.status === 'info') return state;
        assert(output.status === 'ok', 'a failed read must be left out of the history');
        return (output.value ?? null) === state ? state : REJECTED;
      case 'write':
        assert(output.status !== 'fail', 'a failed write must be left out of the history');
        return input.value;
      case 'cas': {
        const matches = input.expected === state;
        if (output.status === 'ok') return matches ? input.next : REJECTED;
        if (output.status === 'fail') return matches ? REJECTED : state;
        // Unknown outcome, linearized here: it did whatever a cas does in this state.
        return matches ? input.next : state;
      }
    }
  },
};

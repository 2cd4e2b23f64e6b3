// Records a client history as it happens (Raft simulator, real cluster tests): invoke when a
// request is sent, then exactly one of ok / fail / info when its outcome is known (or never).
import { assert } from '../../oltp/errors.ts';
import type { Operation, RegisterInput, RegisterValue } from './history.ts';

export class HistoryRecorder {
  private readonly pending = new Map<number, { clientId: number; input: RegisterInput; call: number }>();
  private readonly done: Operation[] = [];
  private nextId = 0;

  /** `now` is the test's clock (simulated ticks or ms); it must never go backwards. */
  constructor(private readonly now: () => number) {}

  /** A request was sent; returns the id to complete it with. */
  invoke(clientId: number, input: RegisterInput): number {
    const id = this.nextId++;
    this.pending.set(id, { clientId, input, call: this.now() });
    return id;
  }

  /** It took effect; a read gives the value it returned. */
  ok(id: number, value?: RegisterValue): void {
    const op = this.take(id);
    assert(op.input.kind !== 'read' || value !== undefined, 'a successful read needs its value');
    this.done.push({ ...op, output: op.input.kind === 'read' ? { status: 'ok', value: value ?? null } : { status: 'ok' }, return: this.now() });
  }

  /** A cas whose compare did not match (it had no effect). */
  casFailed(id: number): void {
    const op = this.take(id);
    assert(op.input.kind === 'cas', 'only a cas fails by comparison');
    this.done.push({ ...op, output: { status: 'fail' }, return: this.now() });
  }

  /** It certainly did not happen (refused before being proposed): it is left out of the history. */
  didNotHappen(id: number): void {
    this.take(id);
  }

  /** The outcome will never be known (timeout, crash): it may take effect at any later time. */
  info(id: number): void {
    this.done.push({ ...this.take(id), output: { status: 'info' }, return: Infinity });
  }

  /** Completed operations plus, as `info`, every one still pending (its outcome is unknown). */
  operations(): Operation[] {
    const open = [...this.pending.values()].map((op): Operation => ({ ...op, output: { status: 'info' }, return: Infinity }));
    return [...this.done, ...open];
  }

  private take(id: number): { clientId: number; input: RegisterInput; call: number } {
    const op = this.pending.get(id);
    assert(op !== undefined, `operation ${id} is not pending`);
    this.pending.delete(id);
    return op;
  }
}

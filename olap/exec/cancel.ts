// Cancellation points of one execution: operators call them at batch boundaries, so a cancel (Ctrl-C,
// CancelRequest, statement_timeout) stops even a long join whose loops never wait on I/O.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { ExecContext } from './spec.ts';

/**
 * Computing longer than this without a turn of the event loop pauses for one (setImmediate). A cancel
 * arrives as I/O or a timer, so a statement that never yields could never be cancelled; 20 ms keeps the
 * pauses (a few µs each) far below 1% of the time while a cancel still lands within a blink.
 */
export const EVENT_LOOP_TURN_MS = 20;

export class CancelPoint {
  private lastTurnMs = performance.now();

  constructor(private readonly signal: AbortSignal) {}

  /** Throws 57014 once cancelled; true when the caller should `await pause()` before going on. */
  due(): boolean {
    if (this.signal.aborted) throw cancelled();
    return performance.now() - this.lastTurnMs >= EVENT_LOOP_TURN_MS;
  }

  /** Lets pending I/O and timers run (one setImmediate), then checks the signal again. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastTurnMs = performance.now();
    if (this.signal.aborted) throw cancelled();
  }
}

function cancelled(): DuetError {
  return new DuetError(SqlState.queryCanceled, 'canceling statement due to user request');
}

/** One CancelPoint per execution context, so every operator of a plan shares one clock. */
const points = new WeakMap<ExecContext, CancelPoint>();

/** The context's cancel point, or undefined when the context has no signal (nothing can cancel it). */
export function cancelPointOf(ctx: ExecContext): CancelPoint | undefined {
  if (ctx.signal === undefined) return undefined;
  let point = points.get(ctx);
  if (point === undefined) {
    point = new CancelPoint(ctx.signal);
    points.set(ctx, point);
  }
  return point;
}

// Invariant checks for the Raft core. Local (not oltp/errors.ts) because oltp/raft/ imports nothing outside itself.

export class RaftAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftAssertionError';
  }
}

/** A failed assertion is a bug in Raft or in its caller (e.g. a broken Ready contract): crash loudly. */
export function assert(condition: unknown, message = 'raft assertion failed'): asserts condition {
  if (!condition) throw new RaftAssertionError(message);
}

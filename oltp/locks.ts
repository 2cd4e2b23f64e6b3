// In-memory exclusive locks held by transactions until they end, with a wait-for graph for deadlock detection.
// Keys are strings (row keys as latin1, unique-index values, catalog names); a waiter awaits a promise.
import { DuetError, SqlState, assert } from './errors.ts';

interface Release {
  promise: Promise<void>;
  resolve: () => void;
}

export class LockManager {
  private readonly owners = new Map<string, number>();
  private readonly heldByTxn = new Map<number, string[]>();
  /** Wait-for graph: a waiting transaction waits for exactly one owner. */
  private readonly waitsFor = new Map<number, number>();
  private readonly releases = new Map<number, Release>();

  /**
   * Takes the lock if it is free (or already ours) and returns true; false means another transaction holds it.
   * The synchronous fast path: bulk writers take one lock per row, and most locks are uncontended.
   */
  tryAcquire(txnId: number, key: string): boolean {
    const owner = this.owners.get(key);
    if (owner === txnId) return true;
    if (owner !== undefined) return false;
    this.owners.set(key, txnId);
    const held = this.heldByTxn.get(txnId);
    if (held) held.push(key);
    else this.heldByTxn.set(txnId, [key]);
    return true;
  }

  /** Lock `key` for `txnId`, waiting while another transaction holds it. Returns true when it had to wait. */
  async acquire(txnId: number, key: string): Promise<boolean> {
    let waited = false;
    // Each round either takes the lock or waits for one owner to end; owners end, so this terminates.
    for (;;) {
      const owner = this.owners.get(key);
      if (owner === undefined) {
        this.owners.set(key, txnId);
        let held = this.heldByTxn.get(txnId);
        if (!held) this.heldByTxn.set(txnId, (held = []));
        held.push(key);
        return waited;
      }
      if (owner === txnId) return waited;
      this.checkDeadlock(txnId, owner);
      this.waitsFor.set(txnId, owner);
      try {
        await this.releaseOf(owner).promise;
      } finally {
        this.waitsFor.delete(txnId);
      }
      waited = true;
    }
  }

  /**
   * Waits (without taking the lock) until no other transaction holds `key`; undefined when it is free already.
   * Used to let a row's current writer finish before judging a unique conflict with that row.
   */
  waitUntilFree(txnId: number, key: string): Promise<void> | undefined {
    const owner = this.owners.get(key);
    if (owner === undefined || owner === txnId) return undefined;
    this.checkDeadlock(txnId, owner);
    this.waitsFor.set(txnId, owner);
    return this.releaseOf(owner).promise.finally(() => this.waitsFor.delete(txnId));
  }

  holds(txnId: number, key: string): boolean {
    return this.owners.get(key) === txnId;
  }

  /** Releases every lock of `txnId` and wakes its waiters. */
  releaseAll(txnId: number): void {
    const held = this.heldByTxn.get(txnId);
    if (held) {
      for (const key of held) if (this.owners.get(key) === txnId) this.owners.delete(key);
      this.heldByTxn.delete(txnId);
    }
    const release = this.releases.get(txnId);
    if (release) {
      this.releases.delete(txnId);
      release.resolve();
    }
  }

  get lockCount(): number {
    return this.owners.size;
  }

  /** Follows the wait-for chain from `owner`; reaching `txnId` means waiting would close a cycle: txnId is the victim. */
  private checkDeadlock(txnId: number, owner: number): void {
    let t: number | undefined = owner;
    for (let steps = 0; t !== undefined; steps++) {
      assert(steps <= this.waitsFor.size + 1, 'wait-for chain longer than the graph');
      if (t === txnId) {
        throw new DuetError(SqlState.deadlockDetected, 'deadlock detected', {
          detail: `Transaction ${txnId} waits for transaction ${owner}, which (transitively) waits for transaction ${txnId}.`,
          hint: 'See server log for query details.',
        });
      }
      t = this.waitsFor.get(t);
    }
  }

  private releaseOf(owner: number): Release {
    let r = this.releases.get(owner);
    if (!r) {
      let resolve!: () => void;
      const promise = new Promise<void>((res) => (resolve = res));
      r = { promise, resolve };
      this.releases.set(owner, r);
    }
    return r;
  }
}

// Lowers the calling thread's OS scheduling priority, so the learner's background threads (log application,
// Parquet saves) yield the CPU to the commit path when cores are scarce (issue 5: the learner never slows OLTP).

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Niceness of the learner's apply thread: below OLTP, above the writer (freshness still needs it to run). */
export const LEARNER_NICE = 5;
/** Niceness of the Parquet writer thread: bulk background work, the first to wait. */
export const WRITER_NICE = 10;

/**
 * Sets the niceness of the calling thread (not the process): on Linux each thread is a task with its own
 * nice value, named by /proc/thread-self. Returns false where that is unavailable (not Linux, not permitted),
 * and the thread keeps running at normal priority.
 */
export function lowerThreadPriority(nice: number): boolean {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
    return true;
  } catch {
    return false;
  }
}

// REPL history kept across runs in ~/.duet_history (or $DUET_HISTORY): one entry per line, oldest
// first; appended as lines are entered so a crash loses nothing, trimmed when it grows too long.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HISTORY_ENTRIES_MAX = 1000;

export function historyPath(): string {
  return process.env.DUET_HISTORY ?? join(homedir(), '.duet_history');
}

/** Entries newest first (the order node:readline wants); [] when there is no readable file. */
export function loadHistory(path: string): string[] {
  let lines: string[];
  try {
    lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
  if (lines.length > 2 * HISTORY_ENTRIES_MAX) {
    lines = lines.slice(-HISTORY_ENTRIES_MAX);
    tryWrite(() => writeFileSync(path, `${lines.join('\n')}\n`));
  }
  return lines.slice(-HISTORY_ENTRIES_MAX).reverse();
}

export function appendHistory(path: string, entry: string): void {
  if (entry.trim() === '' || entry.includes('\n')) return;
  tryWrite(() => appendFileSync(path, `${entry}\n`));
}

// History is a convenience: a read-only home directory must not stop the REPL.
function tryWrite(write: () => void): void {
  try {
    write();
  } catch {
    /* ignored on purpose, see above */
  }
}

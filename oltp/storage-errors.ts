// Turns LevelDB failures into DuetErrors a person can act on: corruption (XX001) names the damaged file,
// a data directory locked by another process is 55006, anything else is an I/O error (58030).
import { join } from 'node:path';
import { DuetError, SqlState } from './errors.ts';
import { findDamagedFile } from './file-check.ts';

/** The innermost message of an error chain (classic-level wraps the LevelDB status in `cause`). */
function messages(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    parts.push(cur.message);
    cur = cur.cause;
  }
  if (parts.length === 0) parts.push(String(e));
  return parts.join(': ');
}

/** A file name LevelDB mentions (`000005.ldb`, `MANIFEST-000002`, `CURRENT`, `000003.log`), if any. */
function mentionedFile(dir: string, text: string): string | undefined {
  const m = /([\w./-]*?(\d{6}\.(?:ldb|sst|log)|MANIFEST-\d+|CURRENT|LOCK))/.exec(text);
  if (!m) return undefined;
  const name = m[2]!;
  return join(dir, name);
}

export function corruptionError(dir: string, what: string, file?: string): DuetError {
  const where = file ?? dir;
  return new DuetError(SqlState.dataCorrupted, `data corrupted in ${where}: ${what}`, {
    hint: 'Restore the data directory from a backup or a replica; the files were damaged outside duetdb.',
  });
}

export function storageError(dir: string, e: unknown): DuetError {
  if (e instanceof DuetError) return e;
  const text = messages(e);
  if (/lock/i.test(text) && /(held|resource temporarily unavailable|already)/i.test(text)) {
    return new DuetError(SqlState.objectInUse, `the data directory ${dir} is already open (in this or another process)`, { cause: e });
  }
  const file = mentionedFile(dir, text);
  // A table file shorter than its index says reads past its end: LevelDB reports EINVAL, which is damage, not I/O.
  const truncatedFile = file !== undefined && /IO error/.test(text) && /Invalid argument/.test(text);
  if (/Corruption|checksum|bad magic|not an sstable|too short/i.test(text) || truncatedFile) {
    // LevelDB often does not say which file is damaged: find it by checking the files' own checksums.
    const found = file === undefined ? findDamagedFile(dir) : undefined;
    const err = corruptionError(dir, found ? `${text} (${found.reason})` : text, file ?? found?.file);
    (err as { cause?: unknown }).cause = e;
    return err;
  }
  return new DuetError(SqlState.ioError, `I/O error in ${dir}: ${text}`, { cause: e });
}

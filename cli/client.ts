// One client connection of the CLI: runs statements on a session and prints results, errors and
// timings. Shared by -c, -f, piped input and the REPL (which differ only in how errors are shown).

import type { Writable } from 'node:stream';
import type { Session } from '../query/database.ts';
import { errorLine, errorReport } from './errortext.ts';
import { renderResult, type OutputFormat } from './render.ts';
import { splitStatements, hasContent } from './split.ts';

export interface ClientIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** How errors read: one line for scripts, psql's form with the statement line and a caret interactively. */
export type ErrorStyle = 'line' | 'report';

/** Optional engine hook: a Session that can interrupt its running statement (57014). */
interface Cancellable {
  cancel?: () => void;
}

export class Client {
  timing = false;
  /** Put before one-line errors while a script runs: `duet:FILE:LINE: ` (psql's `psql:FILE:LINE: `). */
  errorLocation = '';
  private running: Promise<unknown> | undefined;

  constructor(
    readonly session: Session,
    readonly format: OutputFormat,
    private readonly io: ClientIo,
    readonly errorStyle: ErrorStyle,
  ) {}

  /** Runs every statement of `text` in order; stops at the first error. True when all succeeded. */
  async runText(text: string): Promise<boolean> {
    const { statements, rest } = splitStatements(text);
    if (hasContent(rest)) statements.push(rest.trim()); // the last statement needs no `;`
    for (const sql of statements) {
      if (!(await this.runStatement(sql))) return false;
    }
    return true;
  }

  /** Runs one statement and prints its result or error. True on success. */
  async runStatement(sql: string): Promise<boolean> {
    const startedMs = performance.now();
    const pending = this.session.query(sql);
    this.running = pending;
    try {
      const result = await pending;
      this.io.stdout.write(renderResult(result, this.format));
      return true;
    } catch (e) {
      this.printError(e, sql);
      return false;
    } finally {
      this.running = undefined;
      // the path that answered a SELECT (row store or columnar learner), e.g. `Time: 12.3 ms (column)`
      const path = (this.session as { lastPath?: string }).lastPath;
      if (this.timing) this.io.stdout.write(`Time: ${(performance.now() - startedMs).toFixed(3)} ms${path ? ` (${path})` : ''}\n`);
    }
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Ctrl-C during a statement. True if the engine accepted the request (the statement then fails with 57014). */
  cancel(): boolean {
    const session = this.session as Session & Cancellable;
    if (!this.running || typeof session.cancel !== 'function') return false;
    session.cancel();
    return true;
  }

  printError(e: unknown, sql: string): void {
    this.io.stderr.write(this.errorStyle === 'report' ? errorReport(e, sql) : `${this.errorLocation}${errorLine(e)}\n`);
  }

  write(text: string): void {
    this.io.stdout.write(text);
  }

  writeError(text: string): void {
    this.io.stderr.write(text);
  }
}

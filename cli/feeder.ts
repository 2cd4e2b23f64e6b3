// Turns input lines into work: backslash commands on a line of their own, SQL statements completed by
// `;` (possibly over several lines). Used by the REPL and by scripts (-f, piped standard input).

import type { Client } from './client.ts';
import { runMeta, type MetaOutcome } from './meta.ts';
import { hasContent, splitStatements } from './split.ts';

export class LineFeeder {
  /** SQL typed so far that has no terminating `;` yet. */
  private buffer = '';

  /**
   * `stopOnError` (ON_ERROR_STOP): the rest of a line after a failed statement is dropped. Otherwise every
   * statement runs, as psql runs each statement of a line whatever happened to the one before.
   */
  constructor(
    private readonly client: Client,
    private readonly stopOnError = false,
  ) {}

  /** True while an unfinished statement is pending (the REPL then shows the continuation prompt). */
  get pending(): boolean {
    return hasContent(this.buffer);
  }

  clear(): void {
    this.buffer = '';
  }

  /** Handles one line; 'error' when a statement or command in it failed. */
  async feed(line: string): Promise<MetaOutcome> {
    if (!this.pending && line.trimStart().startsWith('\\')) {
      this.buffer = '';
      return runMeta(line, this.client);
    }
    this.buffer += `${line}\n`;
    const { statements, rest } = splitStatements(this.buffer);
    this.buffer = hasContent(rest) ? rest : '';
    let outcome: MetaOutcome = 'ok';
    for (const sql of statements) {
      if (await this.client.runStatement(sql)) continue;
      outcome = 'error';
      if (this.stopOnError) {
        this.buffer = '';
        break;
      }
    }
    return outcome;
  }

  /** End of input: a last statement without `;` still runs (as psql does for -f). */
  async finish(): Promise<MetaOutcome> {
    if (!this.pending) return 'ok';
    const sql = this.buffer.trim();
    this.buffer = '';
    return (await this.client.runStatement(sql)) ? 'ok' : 'error';
  }
}

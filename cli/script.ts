// Runs a script from a stream (a -f file or piped standard input) line by line, so memory stays bounded
// by the longest statement rather than the script's size. Like psql: an error is reported with the
// script's name and line, and the script goes on with the next statement unless ON_ERROR_STOP is set.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Client } from './client.ts';
import { LineFeeder } from './feeder.ts';

export interface ScriptOptions {
  /** How errors name the script: the file name, or `<stdin>`. */
  readonly name: string;
  /** ON_ERROR_STOP: stop at the first failed statement or command. */
  readonly stopOnError: boolean;
}

export interface ScriptOutcome {
  /** Input lines on which a statement or command failed. */
  readonly errors: number;
  /** True when ON_ERROR_STOP ended the script early. */
  readonly stopped: boolean;
}

/** Runs every line; a `\q` ends the script (with the errors seen so far). */
export async function runScriptStream(input: Readable, client: Client, options: ScriptOptions): Promise<ScriptOutcome> {
  const feeder = new LineFeeder(client, options.stopOnError);
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  let lineNo = 0;
  let errors = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      // psql names the line where the statement ends (where it was sent)
      client.errorLocation = `duet:${options.name}:${lineNo}: `;
      const outcome = await feeder.feed(line);
      if (outcome === 'quit') return { errors, stopped: false };
      if (outcome === 'error') {
        errors++;
        if (options.stopOnError) return { errors, stopped: true };
      }
    }
    client.errorLocation = `duet:${options.name}:${lineNo}: `;
    if ((await feeder.finish()) === 'error') errors++;
    return { errors, stopped: errors > 0 && options.stopOnError };
  } finally {
    client.errorLocation = '';
    lines.close();
  }
}

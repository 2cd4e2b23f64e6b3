// Runs a script from a stream (a -f file or piped standard input) line by line, stopping at the first
// error, so memory stays bounded by the longest statement rather than the script's size.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Client } from './client.ts';
import { LineFeeder } from './feeder.ts';

/** True when every statement and command succeeded (a `\q` ends the script successfully). */
export async function runScriptStream(input: Readable, client: Client): Promise<boolean> {
  const feeder = new LineFeeder(client);
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) {
      const outcome = await feeder.feed(line);
      if (outcome === 'error') return false;
      if (outcome === 'quit') return true;
    }
    return (await feeder.finish()) === 'ok';
  } finally {
    lines.close();
  }
}

// The interactive terminal: prompts `duet=> ` / `duet-> `, multi-line statements, history across runs,
// backslash commands, Ctrl-C (cancel the running statement, or clear the input), Ctrl-D to quit.

import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Client } from './client.ts';
import { LineFeeder } from './feeder.ts';
import { appendHistory, HISTORY_ENTRIES_MAX, historyPath, loadHistory } from './history.ts';

const PROMPT = 'duet=> ';
const CONTINUATION_PROMPT = 'duet-> ';

export interface ReplIo {
  readonly input: Readable;
  readonly output: Writable;
}

export async function runRepl(client: Client, io: ReplIo, banner: string): Promise<number> {
  const path = historyPath();
  const rl = createInterface({
    input: io.input,
    output: io.output,
    terminal: true,
    history: loadHistory(path),
    historySize: HISTORY_ENTRIES_MAX,
    removeHistoryDuplicates: true,
    prompt: PROMPT,
  });
  const feeder = new LineFeeder(client);
  rl.on('SIGINT', () => onInterrupt(rl, client, feeder, io.output));
  io.output.write(banner);
  rl.prompt();
  for await (const line of rl) {
    appendHistory(path, line);
    const outcome = await feeder.feed(line);
    if (outcome === 'quit') break;
    rl.setPrompt(feeder.pending ? CONTINUATION_PROMPT : PROMPT);
    rl.prompt();
  }
  rl.close();
  // Ctrl-D leaves the cursor after the prompt; end the line as psql does.
  io.output.write('\n');
  return 0;
}

function onInterrupt(rl: Interface, client: Client, feeder: LineFeeder, output: Writable): void {
  if (client.busy) {
    output.write(client.cancel() ? '\nCancel request sent\n' : '\nThis statement cannot be interrupted by the engine yet; waiting for it to finish.\n');
    return;
  }
  // At the prompt: drop the current line and any unfinished statement, and start over. `line` and
  // `cursor` are readline's documented input state; resetting them works on every TERM (on TERM=dumb
  // readline ignores editing keys such as Ctrl-U).
  feeder.clear();
  output.write('^C\n');
  Object.assign(rl, { line: '', cursor: 0 });
  rl.setPrompt(PROMPT);
  rl.prompt();
}

// Backslash commands of the REPL and of scripts: \d, \d NAME, \timing, \?, \q.

import type { Client } from './client.ts';
import { describeRelation, listRelations } from './describe.ts';

export const META_HELP = `General
  \\q                quit duet
  \\?                show this help
Informational
  \\d                list tables and views
  \\d NAME           describe table or view NAME (columns, types, nullability, defaults, keys, indexes)
  \\replicas         columnar replica status per table (SHOW REPLICAS)
Settings
  \\timing [on|off]  toggle (or set) printing the time each statement takes
Statements end with ";" and may span lines; Ctrl-C cancels the running statement or clears the
input, Ctrl-D quits.
`;

export type MetaOutcome = 'ok' | 'error' | 'quit';

/** Runs one backslash command line (starting with `\`). */
export async function runMeta(line: string, client: Client): Promise<MetaOutcome> {
  const [command = '', ...args] = line.trim().split(/\s+/);
  switch (command) {
    case '\\q':
      return 'quit';
    case '\\?':
      client.write(META_HELP);
      return 'ok';
    case '\\timing': {
      const arg = args[0]?.toLowerCase();
      if (arg !== undefined && arg !== 'on' && arg !== 'off') {
        client.writeError(`\\timing: unrecognized value "${args[0]}": Boolean expected\n`);
        return 'error';
      }
      client.timing = arg === undefined ? !client.timing : arg === 'on';
      client.write(`Timing is ${client.timing ? 'on' : 'off'}.\n`);
      return 'ok';
    }
    case '\\d':
      return describe(client, args[0]);
    case '\\replicas':
      return (await client.runStatement('SHOW REPLICAS')) ? 'ok' : 'error';
    default:
      client.writeError(`invalid command ${command}\nTry \\? for help.\n`);
      return 'error';
  }
}

async function describe(client: Client, rawName: string | undefined): Promise<MetaOutcome> {
  try {
    if (rawName === undefined) {
      client.write(listRelations(client.session));
      return 'ok';
    }
    // Like SQL identifiers: unquoted names fold to lower case, "Quoted" ones keep their case.
    const name = /^".*"$/.test(rawName) ? rawName.slice(1, -1).replace(/""/g, '"') : rawName.toLowerCase();
    const text = await describeRelation(client.session, name);
    if (text === undefined) {
      client.writeError(`Did not find any relation named "${rawName}".\n`);
      return 'error';
    }
    client.write(text);
    return 'ok';
  } catch (e) {
    client.printError(e, '');
    return 'error';
  }
}

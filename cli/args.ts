// Command-line options of the SQL client (`duet [--db DIR] [-c SQL] [-f FILE] [--format F]`).

import { OUTPUT_FORMATS, type OutputFormat } from './render.ts';

export type ClientAction = { readonly kind: 'command'; readonly sql: string } | { readonly kind: 'file'; readonly path: string };

export interface ClientOptions {
  readonly dbDir: string;
  /** -c and -f in the order given; empty means: REPL on a terminal, else run standard input. */
  readonly actions: readonly ClientAction[];
  readonly format: OutputFormat;
  readonly help: boolean;
  /** --no-learner: no columnar learner (row path only; saves its thread's start-up and memory). */
  readonly noLearner: boolean;
  /** -v ON_ERROR_STOP=1: a script stops at its first error (exit status 3), as in psql. */
  readonly onErrorStop: boolean;
}

export const DEFAULT_DB_DIR = './duet-data';

export const CLIENT_USAGE = `Usage: duet [OPTION]...
       duet <command> [ARG]...

Opens an embedded duetdb database and runs SQL: the interactive terminal (REPL) when no -c or -f is
given and standard input is a terminal, else the statements read from standard input.

Options:
  --db DIR          database directory (default ${DEFAULT_DB_DIR}; created if missing)
  -c, --command SQL run SQL (one or more statements separated by ;), print the results, exit
  -f, --file FILE   run the statements in FILE ("-" = standard input), exit
  --format FORMAT   output format: ${OUTPUT_FORMATS.join(', ')} (default table)
  --no-learner      do not start the columnar learner (every query reads the row store)
  -v, --set ON_ERROR_STOP=1
                    stop a script (-f, standard input) at its first error, exit status 3
  -h, --help        show this help and exit
-c and -f may be repeated and run in order. A -c stops at its first failing statement; a script reports
each error on one line (duet:FILE:LINE: ERROR: ...) and goes on with the next statement, as psql does.
Exit status: 0 if every statement succeeded, 1 if any failed, 3 if ON_ERROR_STOP stopped a script.
`;

export function parseClientArgs(argv: readonly string[]): ClientOptions | { readonly error: string } {
  let dbDir = DEFAULT_DB_DIR;
  let format: OutputFormat = 'table';
  let help = false;
  let noLearner = false;
  let onErrorStop = false;
  const actions: ClientAction[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--no-learner':
        noLearner = true;
        break;
      case '-v':
      case '--set':
      case '--variable': {
        const v = takeValue();
        const set = v === undefined ? { error: `option ${name} needs NAME=VALUE` } : setVariable(v);
        if ('error' in set) return set;
        if (set.onErrorStop !== undefined) onErrorStop = set.onErrorStop;
        break;
      }
      case '--db': {
        const v = takeValue();
        if (v === undefined || v === '') return { error: 'option --db needs a directory' };
        dbDir = v;
        break;
      }
      case '-c':
      case '--command': {
        const v = takeValue();
        if (v === undefined) return { error: `option ${name} needs an SQL string` };
        actions.push({ kind: 'command', sql: v });
        break;
      }
      case '-f':
      case '--file': {
        const v = takeValue();
        if (v === undefined || v === '') return { error: `option ${name} needs a file name` };
        actions.push({ kind: 'file', path: v });
        break;
      }
      case '--format': {
        const v = takeValue();
        if (!OUTPUT_FORMATS.includes(v as OutputFormat)) return { error: `option --format must be one of ${OUTPUT_FORMATS.join(', ')}` };
        format = v as OutputFormat;
        break;
      }
      default: {
        // psql's attached form: -vON_ERROR_STOP=1
        const set = arg.startsWith('-v') && arg.length > 2 ? setVariable(arg.slice(2)) : undefined;
        if (set === undefined) return { error: arg.startsWith('-') ? `unknown option "${arg}"` : `unknown command "${arg}"` };
        if ('error' in set) return set;
        if (set.onErrorStop !== undefined) onErrorStop = set.onErrorStop;
      }
    }
  }
  return { dbDir, actions, format, help, noLearner, onErrorStop };
}

/** `NAME=VALUE` of -v: ON_ERROR_STOP takes psql's booleans; other variables are accepted and have no effect. */
function setVariable(text: string): { onErrorStop?: boolean } | { error: string } {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (name === '') return { error: `invalid variable assignment "${text}"` };
  if (name !== 'ON_ERROR_STOP') return {};
  // psql: a variable set without a value is the empty string, which ON_ERROR_STOP does not accept
  const value = eq < 0 ? '' : text.slice(eq + 1).toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(value)) return { onErrorStop: true };
  if (['off', 'false', 'no', '0'].includes(value)) return { onErrorStop: false };
  return { error: `unrecognized value "${text.slice(eq + 1)}" for "ON_ERROR_STOP": Boolean expected` };
}

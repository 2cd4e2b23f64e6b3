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
  -h, --help        show this help and exit
-c and -f may be repeated; they run in order and stop at the first error (exit status 1).
`;

export function parseClientArgs(argv: readonly string[]): ClientOptions | { readonly error: string } {
  let dbDir = DEFAULT_DB_DIR;
  let format: OutputFormat = 'table';
  let help = false;
  let noLearner = false;
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
      default:
        return { error: arg.startsWith('-') ? `unknown option "${arg}"` : `unknown command "${arg}"` };
    }
  }
  return { dbDir, actions, format, help, noLearner };
}

// `duet serve`: opens an embedded database and serves it over the PostgreSQL wire protocol until
// SIGINT/SIGTERM (or the given AbortSignal), then closes clients, the server and the database.

import { readFileSync } from 'node:fs';
import { DuetError } from '../oltp/errors.ts';
import { databaseEngine } from './database-engine.ts';
import { PgServer } from './server.ts';

const usage = `usage: duet serve [--db DIR] [--listen HOST:PORT] [--password-file FILE] [--max-connections N]
                  [--max-message-bytes N] [--log-statements] [--no-learner] [--learner-at HOST:PORT]
  --db DIR              database directory (default ./duet-data)
  --listen HOST:PORT    default 127.0.0.1:5432; another interface is an explicit choice
  --password-file FILE  require SCRAM-SHA-256 with the password in FILE (or set DUET_PASSWORD);
                        without a password only loopback clients may connect
  --max-connections N   default 100 (client N+1 gets SQLSTATE 53300)
  --max-message-bytes N default 67108864 (64 MiB); a bigger message closes that connection
  --log-statements      print every statement received to stderr
  --no-learner          do not start the columnar learner (every query reads the row store)
  --learner-at HOST:PORT  feed and read a columnar learner process (duet learner) instead of a local one`;

interface ServeArgs {
  dir: string;
  host: string;
  port: number;
  password: string | undefined;
  maxConnections: number;
  messageBytesMax: number;
  logStatements: boolean;
  noLearner: boolean;
  learnerAt: string | undefined;
}

export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeArgs | 'help' {
  const args: ServeArgs = {
    dir: './duet-data',
    host: '127.0.0.1',
    port: 5432,
    password: env.DUET_PASSWORD,
    maxConnections: 100,
    messageBytesMax: 64 * 1024 * 1024,
    logStatements: false,
    noLearner: false,
    learnerAt: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new DuetError('22023', `${flag} needs a value`);
      return v;
    };
    const count = (): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new DuetError('22023', `${flag} takes a positive integer, not "${v}"`);
      return n;
    };
    if (flag === '--help' || flag === '-h') return 'help';
    else if (flag === '--db') args.dir = value();
    else if (flag === '--listen') {
      const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$|^(\d+)$/.exec(value());
      if (!m) throw new DuetError('22023', '--listen takes HOST:PORT (or PORT)');
      args.host = m[1] ?? (m[2] || undefined) ?? args.host;
      args.port = Number(m[3] ?? m[4]);
    } else if (flag === '--password-file') args.password = readFileSync(value(), 'utf8').replace(/\r?\n$/, '');
    else if (flag === '--max-connections') args.maxConnections = count();
    else if (flag === '--max-message-bytes') args.messageBytesMax = count();
    else if (flag === '--log-statements') args.logStatements = true;
    else if (flag === '--no-learner') args.noLearner = true;
    else if (flag === '--learner-at') args.learnerAt = value();
    else throw new DuetError('22023', `unknown option ${flag}`, { hint: usage });
  }
  return args;
}

/** Runs the server; resolves with the exit code once stopped. `signal` stops it (tests). */
export async function serveMain(argv: readonly string[], options: { signal?: AbortSignal; onListening?: (port: number) => void } = {}): Promise<number> {
  let args: ServeArgs | 'help';
  try {
    args = parseServeArgs(argv);
  } catch (error) {
    console.error(`duet serve: ${(error as Error).message}`);
    return 2;
  }
  if (args === 'help') {
    console.log(usage);
    return 0;
  }
  // Loaded here so `duet serve --help` and argument errors need no engine.
  const { Database } = await import('../query/database.ts');
  const db = await Database.open(args.dir, args.noLearner ? { learner: false } : args.learnerAt !== undefined ? { learner: { remote: args.learnerAt } } : {});
  let server: PgServer;
  try {
    server = await PgServer.listen({
      engine: databaseEngine(db),
      host: args.host,
      port: args.port,
      maxConnections: args.maxConnections,
      messageBytesMax: args.messageBytesMax,
      ...(args.password === undefined ? {} : { password: args.password }),
      ...(args.logStatements ? { logStatement: (sql: string) => console.error(`statement: ${sql}`) } : {}),
    });
  } catch (error) {
    await db.close();
    console.error(`duet serve: cannot listen on ${args.host}:${args.port}: ${(error as Error).message}`);
    return 1;
  }
  const auth = args.password === undefined ? 'trust, loopback clients only' : 'SCRAM-SHA-256';
  console.error(`duet serve: listening on ${args.host}:${server.port} (${auth}), database ${args.dir}`);
  options.onListening?.(server.port);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    options.signal?.addEventListener('abort', stop, { once: true });
  });
  await server.close();
  await db.close();
  return 0;
}

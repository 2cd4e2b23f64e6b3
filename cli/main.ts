// Entry point of the `duet` command (bin/duet.js calls main). `duet <subcommand> ...` dispatches on
// the table below; anything else is the SQL client: REPL, -c, -f or piped standard input.

import { createReadStream } from 'node:fs';
import { CLIENT_USAGE, parseClientArgs, type ClientOptions } from './args.ts';
import { Client } from './client.ts';
import { errorLine } from './errortext.ts';
import { runMeta } from './meta.ts';
import { runRepl } from './repl.ts';
import { runScriptStream, type ScriptOutcome } from './script.ts';
import type { Database } from '../query/database.ts';

interface Subcommand {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

/**
 * Subcommands: add one line per command (`serve`, `node`, `changes`, ...); import its module lazily
 * so that each command loads only what it uses.
 */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  help: { summary: 'show this help', run: async () => printHelp() },
  serve: { summary: 'serve the database over the PostgreSQL wire protocol', run: async (args) => (await import('../server/cli.ts')).serveMain(args) },
  node: { summary: 'run one cluster member (--id, --db, --listen, --sql, --peers; --learner: a columnar learner member)', run: async (args) => (await import('../oltp/replication/node-main.ts')).nodeMain(args) },
  cluster: { summary: 'start a local 3-voter cluster (--dir DIR; --learner adds a columnar learner member)', run: async (args) => (await import('../oltp/replication/cluster-main.ts')).clusterMain(args) },
  changes: { summary: 'print committed changes as JSON lines (--from N, --follow)', run: async (args) => (await import('../cdc/cli.ts')).changesMain(args) },
  learner: { summary: 'run a columnar learner process (--dir, --listen) fed over TCP by one server (push mode)', run: async (args) => (await import('../olap/learner/serve-main.ts')).learnerMain(args) },
};

export async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === '--connect') return (await import('./connect.ts')).connectMain(argv.slice(1));
  const sub = name !== undefined && Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (sub) return sub.run(argv.slice(1));
  return runClient(argv);
}

function printHelp(): number {
  const lines = Object.entries(SUBCOMMANDS).map(([n, s]) => `  ${n.padEnd(16)}  ${s.summary}`);
  process.stdout.write(`${CLIENT_USAGE}\nCommands:\n${lines.join('\n')}\n`);
  return 0;
}

async function runClient(argv: string[]): Promise<number> {
  const options = parseClientArgs(argv);
  if ('error' in options) {
    process.stderr.write(`duet: ${options.error}\nTry "duet --help" for more information.\n`);
    return 2;
  }
  if (options.help) return printHelp();
  let db: Database;
  try {
    // Loaded here, not at the top, so that --help works even when the engine cannot load.
    const { Database } = await import('../query/database.ts');
    db = await Database.open(options.dbDir, options.noLearner ? { learner: false } : {});
  } catch (e) {
    process.stderr.write(`duet: could not open database "${options.dbDir}": ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  try {
    return await runWithDatabase(db.session(), options);
  } finally {
    await db.close();
  }
}

/** Exit status when ON_ERROR_STOP ended a script (psql's). */
const EXIT_STOPPED = 3;

async function runWithDatabase(session: Client['session'], options: ClientOptions): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  const interactive = options.actions.length === 0 && process.stdin.isTTY === true;
  const client = new Client(session, options.format, io, interactive ? 'report' : 'line');
  if (interactive) return runRepl(client, { input: process.stdin, output: process.stdout }, 'duet (duetdb) interactive terminal. Type \\? for help, \\q to quit.\n');
  const script = { stopOnError: options.onErrorStop };
  if (options.actions.length === 0) return exitStatus(await runScriptStream(process.stdin, client, { ...script, name: '<stdin>' }));
  // psql goes on with the next -c / -f after one failed (unless ON_ERROR_STOP); the status tells
  let failed = false;
  for (const action of options.actions) {
    let status: number;
    if (action.kind === 'file') {
      const outcome = await runFile(action.path, client, script.stopOnError);
      if (outcome === 'unreadable') return 1;
      status = exitStatus(outcome);
    } else {
      const ok = action.sql.trimStart().startsWith('\\') ? (await runMeta(action.sql, client)) !== 'error' : await client.runText(action.sql);
      status = ok ? 0 : 1;
    }
    if (status !== 0 && options.onErrorStop) return status;
    failed ||= status !== 0;
  }
  return failed ? 1 : 0;
}

/** 0: every statement succeeded; 1: some failed (psql says 0 here; we keep "non-zero on an error"); 3: stopped. */
function exitStatus(outcome: ScriptOutcome): number {
  if (outcome.stopped) return EXIT_STOPPED;
  return outcome.errors > 0 ? 1 : 0;
}

async function runFile(path: string, client: Client, stopOnError: boolean): Promise<ScriptOutcome | 'unreadable'> {
  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8');
  try {
    return await runScriptStream(input, client, { name: path === '-' ? '<stdin>' : path, stopOnError });
  } catch (e) {
    // A missing or unreadable file surfaces here as a Node error, not a DuetError.
    const message = e instanceof Error && 'code' in e && e.code === 'ENOENT' ? `could not open file "${path}": no such file` : errorLine(e);
    process.stderr.write(`duet: ${message}\n`);
    return 'unreadable';
  }
}

// `duet learner`: a columnar learner as its own process, serving the learner message interface over TCP; a
// database (a voter) opened with `learner: { remote: 'HOST:PORT' }` feeds it the committed log and sends it
// column-path reads. Also runs directly: npx tsx olap/learner/serve-main.ts --dir DIR [--listen HOST:PORT].
import { pathToFileURL } from 'node:url';
import { serveLearner } from './socket.ts';

const usage = `usage: duet learner --dir DIR [--listen HOST:PORT]
  --dir DIR           the learner's Parquet segments and manifest
  --listen HOST:PORT  default 127.0.0.1:0 (any free port); prints "learner listening on HOST:PORT"`;

/** Serves until SIGINT/SIGTERM (or `signal`), then saves and exits 0; 2 on bad arguments. */
export async function learnerMain(argv: readonly string[], options: { signal?: AbortSignal } = {}): Promise<number> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dir = arg('dir');
  const m = /^([^:]*):(\d+)$/.exec(arg('listen') ?? '127.0.0.1:0');
  if (dir === undefined || !m) {
    process.stderr.write(`duet learner: ${dir === undefined ? '--dir DIR is required' : '--listen takes HOST:PORT'}\n${usage}\n`);
    return 2;
  }
  const host = m[1] || '127.0.0.1';
  const server = await serveLearner({ dir, host, port: Number(m[2]), writerThread: true });
  process.stdout.write(`learner listening on ${host}:${server.port}\n`);
  await new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve());
    options.signal?.addEventListener('abort', () => resolve());
  });
  await server.close();
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await learnerMain(process.argv.slice(2));
}

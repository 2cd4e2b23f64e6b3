// A columnar learner as its own process (what `duet node --learner` is meant to start): serves the learner
// message interface over TCP; a voter feeds it the committed log and sends it column-path reads.
// Run: npx tsx olap/learner/serve-main.ts --dir DIR [--listen 127.0.0.1:7070]; prints "learner listening on HOST:PORT".
import { serveLearner } from './socket.ts';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = arg('dir');
if (dir === undefined) {
  process.stderr.write('usage: serve-main.ts --dir DIR [--listen HOST:PORT]\n');
  process.exit(2);
}
const listen = arg('listen') ?? '127.0.0.1:0';
const colon = listen.lastIndexOf(':');
const host = colon > 0 ? listen.slice(0, colon) : '127.0.0.1';
const server = await serveLearner({ dir, host, port: Number(listen.slice(colon + 1)), writerThread: true });
process.stdout.write(`learner listening on ${host}:${server.port}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}

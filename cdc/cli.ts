// `duet changes`: prints committed change events as JSON lines for external consumers.
// duet changes [--db DIR] [--from N] [--follow] [--name CURSOR] [--format jsonl]
import { RowStore } from '../oltp/rowstore.ts';
import { DuetError } from '../oltp/errors.ts';
import { storeChanges } from './index.ts';
import { changeEventJson } from './events.ts';

const USAGE = 'usage: duet changes [--db DIR] [--from N] [--follow] [--name CURSOR] [--format jsonl]\n';

interface ChangesArgs { db: string; from?: number; follow: boolean; name?: string }

function parse(args: string[]): ChangesArgs | string {
  const out: ChangesArgs = { db: './duet-data', follow: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === '--db') out.db = value() ?? '';
    else if (a === '--from') {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 1) return '--from needs a positive integer log index';
      out.from = n;
    } else if (a === '--follow') out.follow = true;
    else if (a === '--name') out.name = value();
    else if (a === '--format') {
      if (value() !== 'jsonl') return 'the only --format is jsonl';
    } else return `unknown option "${a}"`;
  }
  return out.db === '' ? '--db needs a directory' : out;
}

export async function changesMain(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`duet changes: ${parsed}\n${USAGE}`);
    return 2;
  }
  let store: RowStore;
  try {
    store = await RowStore.open(parsed.db, { gcIntervalMs: 0 });
  } catch (e) {
    process.stderr.write(`duet changes: could not open database "${parsed.db}": ${(e as Error).message}\n`);
    return 2;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    for await (const e of storeChanges(store, { from: parsed.from, follow: parsed.follow, name: parsed.name, signal: stop.signal })) {
      if (!process.stdout.write(`${changeEventJson(e)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
    }
    return 0;
  } catch (e) {
    process.stderr.write(`duet changes: ${e instanceof DuetError ? `${e.message} (${e.code})` : (e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    await store.close();
  }
}

// Random text for comments and addresses (spec 4.2.2.10-14): comments are substrings of a pool of
// sentences from the TPC-H grammar, taken at a random offset with a random length, as dbgen does.
import { Rng } from './random.ts';
import { grammarWords } from './vocabulary.ts';
import type { TableWriter } from './writer.ts';

/** Large enough that comments practically never repeat, small enough to build in ~50 ms. */
const poolChars = 4 << 20;

export class TextPool {
  private readonly pool: string;
  private readonly poolBytes: Buffer;

  constructor(seed: number) {
    // Stream -1: table blocks use streams from 0 upward.
    this.pool = poolFor(seed);
    this.poolBytes = Buffer.from(this.pool, 'latin1');
  }

  /** Like `text`, with the same random draws, copied straight into a table's output. */
  writeText(rng: Rng, minChars: number, maxChars: number, out: TableWriter): void {
    const length = rng.int(minChars, maxChars);
    const start = rng.int(0, this.pool.length - length);
    out.bytes(this.poolBytes, start, start + length);
  }

  /** A text string of uniform length in [minChars, maxChars] (the spec's TEXT[min, max]). */
  text(rng: Rng, minChars: number, maxChars: number): string {
    const length = rng.int(minChars, maxChars);
    const start = rng.int(0, this.pool.length - length);
    return this.pool.substring(start, start + length);
  }
}

let lastPool: { seed: number; pool: string } | undefined;

/** The pool for a seed; the last one is kept, as runs in one process usually share the seed. */
function poolFor(seed: number): string {
  if (lastPool?.seed !== seed) lastPool = { seed, pool: buildPool(new Rng(seed, -1), poolChars) };
  return lastPool.pool;
}

function buildPool(rng: Rng, chars: number): string {
  const sentences: string[] = [];
  let length = 0;
  while (length < chars) {
    const sentence = makeSentence(rng);
    sentences.push(sentence);
    length += sentence.length + 1;
  }
  return sentences.join(' ').substring(0, chars);
}

// Grammar (spec 4.2.2.14): sentence := noun-phrase verb-phrase [prep-phrase | noun-phrase] terminator,
// or noun-phrase prep-phrase verb-phrase [noun-phrase | prep-phrase] terminator.
function makeSentence(rng: Rng): string {
  const w = grammarWords;
  const parts: string[] = [];
  // Weighted towards the short form: dbgen's text has fewer prepositional phrases than a uniform choice.
  switch (Math.max(0, rng.int(-2, 4))) {
    case 0:
      parts.push(nounPhrase(rng), verbPhrase(rng));
      break;
    case 1:
      parts.push(nounPhrase(rng), verbPhrase(rng), prepPhrase(rng));
      break;
    case 2:
      parts.push(nounPhrase(rng), verbPhrase(rng), nounPhrase(rng));
      break;
    case 3:
      parts.push(nounPhrase(rng), prepPhrase(rng), verbPhrase(rng), nounPhrase(rng));
      break;
    default:
      parts.push(nounPhrase(rng), prepPhrase(rng), verbPhrase(rng), prepPhrase(rng));
  }
  return parts.join(' ') + rng.pick(w.terminators);
}

function nounPhrase(rng: Rng): string {
  const w = grammarWords;
  switch (rng.int(0, 3)) {
    case 0:
      return rng.pick(w.nouns);
    case 1:
      return `${rng.pick(w.adjectives)} ${rng.pick(w.nouns)}`;
    case 2:
      return `${rng.pick(w.adjectives)}, ${rng.pick(w.adjectives)} ${rng.pick(w.nouns)}`;
    default:
      return `${rng.pick(w.adverbs)} ${rng.pick(w.adjectives)} ${rng.pick(w.nouns)}`;
  }
}

function verbPhrase(rng: Rng): string {
  const w = grammarWords;
  switch (rng.int(0, 3)) {
    case 0:
      return rng.pick(w.verbs);
    case 1:
      return `${rng.pick(w.auxiliaries)} ${rng.pick(w.verbs)}`;
    case 2:
      return `${rng.pick(w.verbs)} ${rng.pick(w.adverbs)}`;
    default:
      return `${rng.pick(w.auxiliaries)} ${rng.pick(w.verbs)} ${rng.pick(w.adverbs)}`;
  }
}

function prepPhrase(rng: Rng): string {
  return `${rng.pick(grammarWords.prepositions)} the ${nounPhrase(rng)}`;
}

// dbgen's alphabet: letters, digits, space and comma.
const vStringAlphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,';

/** The spec's V-STRING: random characters, uniform length in [minChars, maxChars]. */
export function vString(rng: Rng, minChars: number, maxChars: number): string {
  const length = rng.int(minChars, maxChars);
  let out = '';
  for (let i = 0; i < length; i++) out += vStringAlphabet[rng.int(0, vStringAlphabet.length - 1)];
  return out;
}

/** Phone number (spec 4.2.2.9): country code nationkey + 10, then three random local groups. */
export function phone(rng: Rng, nationKey: number): string {
  return `${nationKey + 10}-${rng.int(100, 999)}-${rng.int(100, 999)}-${rng.int(1000, 9999)}`;
}

// The set of linearized operations (a bitset with an O(1)-updated Zobrist hash) and the memo of
// configurations already explored (Lowe's optimization): a configuration seen once never pays twice.

export class LinearizedSet {
  readonly bits: Uint32Array;
  /** XOR of the members' keys: updated in O(1) per toggle. */
  hash = 0;
  private readonly keys: Int32Array;

  constructor(size: number) {
    this.bits = new Uint32Array(Math.ceil(size / 32) + 1);
    this.keys = zobristKeys(size);
  }

  has(op: number): boolean {
    return (this.bits[op >>> 5]! & (1 << (op & 31))) !== 0;
  }

  toggle(op: number): void {
    this.bits[op >>> 5]! ^= 1 << (op & 31);
    this.hash ^= this.keys[op]!;
  }
}

/** Configurations by (variant, state key, set): `variant` separates searches that allow different next steps. */
export class Memo {
  size = 0;
  private readonly byVariant = [new Map<unknown, Map<number, Uint32Array[]>>(), new Map<unknown, Map<number, Uint32Array[]>>()];

  /** Records the configuration; false if it was already there. */
  add(variant: 0 | 1, stateKey: unknown, set: LinearizedSet): boolean {
    const byState = this.byVariant[variant]!;
    let byHash = byState.get(stateKey);
    if (byHash === undefined) {
      byHash = new Map();
      byState.set(stateKey, byHash);
    }
    const bucket = byHash.get(set.hash);
    if (bucket === undefined) {
      byHash.set(set.hash, [set.bits.slice()]);
    } else {
      for (const seen of bucket) if (sameBits(seen, set.bits)) return false;
      bucket.push(set.bits.slice());
    }
    this.size++;
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Fixed pseudo-random 32-bit keys per operation (xorshift32: deterministic, spread enough). */
function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x;
  }
  return keys;
}

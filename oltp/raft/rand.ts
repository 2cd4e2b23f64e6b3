// Injected randomness for election timeouts: a seeded generator so the core stays deterministic.

export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). */
  nextInt(bound: number): number;
}

/** SplitMix32-style generator: tiny, fast, good enough for timeouts and simulation (not for secrets). */
export class SeededRandom implements RandomSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  nextInt(bound: number): number {
    if (bound <= 1) return 0;
    return this.nextUint32() % bound;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
}

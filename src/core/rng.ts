/**
 * Seeded pseudo-random numbers (sfc32, seeded through splitmix32). Same seed, same sequence, on every driver.
 * The state is four 32-bit words, so it can live inside a pure machine's state and be copied. The one PRNG of the
 * project: pure machines (src/core), the kernel's `ctx.random`, the drivers and the swarms all use it.
 */
export type RngState = readonly [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function rngSeed(seed: number): RngState {
  const sm = splitmix32(seed);
  return [sm(), sm(), sm(), sm()];
}

/** One step: returns the next state and a uint32. */
export function rngNext(st: RngState): [RngState, number] {
  let [a, b, c, d] = st;
  const t = (((a + b) >>> 0) + d) >>> 0;
  d = (d + 1) >>> 0;
  a = b ^ (b >>> 9);
  b = (c + (c << 3)) >>> 0;
  c = ((c << 21) | (c >>> 11)) >>> 0;
  c = (c + t) >>> 0;
  return [[a >>> 0, b >>> 0, c, d], t];
}

/** A mutable generator for drivers and actor contexts. */
export class Rng {
  private st: RngState;
  constructor(seed: number) {
    this.st = rngSeed(seed);
  }
  uint32(): number {
    const [st, v] = rngNext(this.st);
    this.st = st;
    return v;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }
  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

/** A stable 32-bit hash of a string (FNV-1a), for deriving per-actor seeds. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

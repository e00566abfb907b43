// A small seeded PRNG whose whole state is one uint32 (mulberry32), so a data loader can checkpoint it in
// JSON and continue the exact same stream after a restart.
export class Rng {
  constructor(public state: number) { this.state = state >>> 0 }

  static fromSeed(seed: number | bigint, salt = 0): Rng {
    return new Rng(mix32(Number(BigInt.asUintN(32, BigInt(seed))) ^ Math.imul(salt + 1, 0x9e3779b9)))
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)) }

  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]! }
}

/** A 32-bit integer hash (murmur3's finaliser). */
export function mix32(x: number): number {
  x = x >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

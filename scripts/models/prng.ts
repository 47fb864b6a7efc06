import { createHash } from "node:crypto";

/**
 * A small deterministic PRNG (mulberry32). Every generated weight and every fuzz input comes from it, so
 * the same seed gives the same bytes on every machine (only integer and exactly-rounded float maths).
 */
export class Prng {
  private state: number;

  constructor(seed: number | string) {
    this.state =
      typeof seed === "number" ? seed >>> 0 : createHash("sha256").update(seed).digest().readUInt32BE(0);
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** A uniform integer in [lo, hi] (inclusive), for |lo|, |hi| < 2^52. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.nextFloat() * (hi - lo + 1));
  }

  /** A uniform bigint in [lo, hi] (inclusive), for any range. */
  bigint(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    let r = 0n;
    for (let i = 0; i < 4; i++) r = (r << 32n) | BigInt(this.nextU32());
    return lo + (r % span);
  }
}

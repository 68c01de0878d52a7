/** Seeded PRNG (mulberry32) so a failing random run can be replayed with NICVISOR_SEED. */
export class Prng {
  private s: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.s = this.seed;
  }

  /** The seed from NICVISOR_SEED, else a fresh one. */
  static fromEnv(): Prng {
    const env = process.env.NICVISOR_SEED;
    return new Prng(env ? Number(env) : Math.floor(Math.random() * 2 ** 32));
  }

  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  subset<T>(xs: readonly T[], min = 0): T[] {
    for (;;) {
      const out = xs.filter(() => this.chance(0.5));
      if (out.length >= min) return out;
    }
  }
}

/** Environment knob as a positive integer, with a default. */
export function knob(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
}

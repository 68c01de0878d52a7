import { macToNum } from './build.js';
import type { SimVf } from './vf.js';

/** A MAC splits into two 24-bit halves: small integers, which V8 keeps unboxed. */
export const HALF = 0x1000000;

interface Entry {
  hi: number;
  vf: SimVf;
  next: Entry | null;
}

/**
 * The VEB's forwarding table: destination MAC → owning VF. Keyed by the low 24 bits with a
 * chain on the high 24, because a Map keyed by the 48-bit number boxes a heap number on
 * every lookup (a garbage collection every few hundred thousand frames).
 */
export class MacTable {
  private readonly map = new Map<number, Entry>();

  clear(): void {
    this.map.clear();
  }

  /** Add unless the MAC is already owned (the first owner wins). */
  add(mac48: number, vf: SimVf): void {
    const hi = Math.floor(mac48 / HALF);
    const lo = mac48 % HALF;
    const head = this.map.get(lo) ?? null;
    for (let e = head; e !== null; e = e.next) if (e.hi === hi) return;
    this.map.set(lo, { hi, vf, next: head });
  }

  get(hi: number, lo: number): SimVf | undefined {
    let e = this.map.get(lo);
    while (e !== undefined) {
      if (e.hi === hi) return e.vf;
      e = e.next ?? undefined;
    }
    return undefined;
  }

  /** Who owns a MAC (tests, debugging). */
  owner(mac: string): SimVf | undefined {
    const n = macToNum(mac);
    return this.get(Math.floor(n / HALF), n % HALF);
  }
}

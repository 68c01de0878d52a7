import { HALF, macToNum } from './mac.js';

interface Entry<T> {
  hi: number;
  owner: T;
  next: Entry<T> | null;
}

/**
 * The VEB's forwarding table: destination MAC → the port that owns it (a VF or the PF's
 * host interface). Keyed by the low 24 bits with a chain on the high 24, because a Map
 * keyed by the 48-bit number boxes a heap number on every lookup (a garbage collection
 * every few hundred thousand frames).
 */
export class MacTable<T> {
  private readonly map = new Map<number, Entry<T>>();

  clear(): void {
    this.map.clear();
  }

  /** Add unless the MAC is already owned (the first owner wins). */
  add(mac48: number, owner: T): void {
    const hi = Math.floor(mac48 / HALF);
    const lo = mac48 % HALF;
    const head = this.map.get(lo) ?? null;
    for (let e = head; e !== null; e = e.next) if (e.hi === hi) return;
    this.map.set(lo, { hi, owner, next: head });
  }

  get(hi: number, lo: number): T | undefined {
    let e = this.map.get(lo);
    while (e !== undefined) {
      if (e.hi === hi) return e.owner;
      e = e.next ?? undefined;
    }
    return undefined;
  }

  /** Who owns a MAC (tests, debugging). */
  owner(mac: string): T | undefined {
    const n = macToNum(mac);
    return this.get(Math.floor(n / HALF), n % HALF);
  }
}

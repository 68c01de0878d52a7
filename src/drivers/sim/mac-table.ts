import { HALF, macToNum } from './mac.js';

const EMPTY = -1;

/**
 * The VEB's forwarding table: destination MAC → the port that owns it (a VF or the PF's
 * host interface). Open addressing over Int32Arrays keyed by the MAC's two 24-bit halves:
 * a lookup is a hash and a compare or two, with nothing boxed or allocated. (A Map keyed by
 * the 48-bit number boxes a heap number per lookup; a Map keyed by the low half with chains
 * costs ~3× this on the 64-byte fast path.)
 */
export class MacTable<T> {
  private mask = 0;
  private his = new Int32Array(0);
  private los = new Int32Array(0);
  private slots = new Int32Array(0);
  private owners: T[] = [];

  constructor() {
    this.clear();
  }

  /** Empty the table, sized for about `capacity` entries. */
  clear(capacity = 8): void {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    // Refilled after a port's MACs change: reuse the arrays when the size stays.
    if (size === this.mask + 1) {
      this.slots.fill(EMPTY);
      this.owners.length = 0;
      return;
    }
    this.mask = size - 1;
    this.his = new Int32Array(size);
    this.los = new Int32Array(size);
    this.slots = new Int32Array(size).fill(EMPTY);
    this.owners = [];
  }

  private static hash(lo: number, hi: number): number {
    return Math.imul(lo ^ (hi << 7), 0x9e3779b1) >>> 16;
  }

  /** Add unless the MAC is already owned (the first owner wins). */
  add(mac48: number, owner: T): void {
    const hi = Math.floor(mac48 / HALF);
    const lo = mac48 % HALF;
    if (this.owners.length * 2 >= this.mask) this.grow();
    let i = MacTable.hash(lo, hi) & this.mask;
    while (this.slots[i] !== EMPTY) {
      if (this.los[i] === lo && this.his[i] === hi) return;
      i = (i + 1) & this.mask;
    }
    this.his[i] = hi;
    this.los[i] = lo;
    this.slots[i] = this.owners.length;
    this.owners.push(owner);
  }

  get(hi: number, lo: number): T | undefined {
    const slots = this.slots;
    let i = MacTable.hash(lo, hi) & this.mask;
    for (;;) {
      const s = slots[i];
      if (s === EMPTY) return undefined;
      if (this.los[i] === lo && this.his[i] === hi) return this.owners[s];
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const entries: [number, T][] = [];
    for (let i = 0; i <= this.mask; i++) {
      const s = this.slots[i];
      if (s !== EMPTY) entries.push([this.his[i] * HALF + this.los[i], this.owners[s]]);
    }
    this.clear(entries.length * 2);
    for (const [m, o] of entries) this.add(m, o);
  }

  /** Who owns a MAC (tests, debugging). */
  owner(mac: string): T | undefined {
    const n = macToNum(mac);
    return this.get(Math.floor(n / HALF), n % HALF);
  }
}

import { loOf } from './mac.js';

/** Bits of the Multicast Table Array: 128 registers of 32 bits on the 82576 and 82599. */
export const MTA_BITS = 4096;

/**
 * The MTA hash with the default filter type (RCTL.MO = 00): destination address bits
 * [47:36], i.e. the high nibble of octet 4 and all of octet 5. Given the low 24-bit half of
 * the MAC (octets 3-5), that is `(octet4 >> 4) | (octet5 << 4)`, 12 bits.
 */
export function mtaHash(lo: number): number {
  const octet4 = (lo >> 8) & 0xff;
  const octet5 = lo & 0xff;
  return ((octet4 >> 4) | (octet5 << 4)) & 0xfff;
}

/**
 * One PF's multicast filter: a single 4096-bit hash table filled from the groups every
 * function of the PF joined (its VFs through the mailbox, the host interface). As on
 * Intel's VMDq NICs the table is shared by all pools, so a VF that accepts multicast also
 * receives groups only another function joined, and any group that hashes to a set bit
 * (the imperfect filtering the hash gives). Each bit keeps a count of the joined groups
 * that hash to it, so one function's new list updates the table without reading the
 * others' (the bit is set while the count is not 0).
 */
export class MulticastTable {
  private readonly counts = new Uint32Array(MTA_BITS);

  /** Refill from every joined group (48-bit numbers), as the PF driver rewrites the MTA. */
  rebuild(groups: Iterable<readonly number[]>): void {
    this.counts.fill(0);
    for (const list of groups) this.add(list, 1);
  }

  /** One function's groups changed from `old` to `next`. */
  replace(old: readonly number[], next: readonly number[]): void {
    this.add(old, -1);
    this.add(next, 1);
  }

  private add(list: readonly number[], by: number): void {
    for (const g of list) this.counts[mtaHash(loOf(g))] += by;
  }

  /** Whether a frame to this multicast destination passes the filter. */
  has(lo: number): boolean {
    return this.counts[mtaHash(lo)] !== 0;
  }

  /** Same, for a 48-bit number (tests). */
  hasMac(mac48: number): boolean {
    return this.has(loOf(mac48));
  }
}

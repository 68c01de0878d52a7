/**
 * MAC allocation for claims, pure: the caller passes the MACs in use (claims, static
 * policies and MACs left on free VFs of every PF of the physical network, sriov-cni#214 and
 * sriov-network-device-plugin#685 are two VFs with one MAC after a restart) and the random
 * source, so the same inputs always give the same answer.
 */
import { type MacMode, normaliseMac, ZERO_MAC } from '../../model/index.js';

export function macToNumber(mac: string): number {
  return Number.parseInt(mac.replaceAll(':', ''), 16);
}

export function numberToMac(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

export type MacChoice = { ok: true; mac: string; why: string } | { ok: false; why: string };

/** Most random draws before giving up (a network would need ~2^40 MACs to get here). */
const RANDOM_TRIES = 64;

/**
 * The MAC for a new claim: `wanted` when given and free, else the first free MAC of a fixed
 * list or range, else a random locally administered unicast one. `random` returns [0, 1).
 */
export function chooseMac(
  mode: MacMode,
  inUse: ReadonlySet<string>,
  random: () => number,
  wanted?: string,
): MacChoice {
  const used = (m: string) => inUse.has(normaliseMac(m));
  if (wanted !== undefined) {
    const w = normaliseMac(wanted);
    return used(w)
      ? { ok: false, why: `MAC ${w} is already in use on this PF or physical network` }
      : { ok: true, mac: w, why: `MAC ${w} as asked` };
  }
  if (mode.mode === 'fixed') {
    const free = mode.macs.map(normaliseMac).find((m) => !used(m));
    return free
      ? { ok: true, mac: free, why: `MAC ${free}: first free one of the pool's fixed list` }
      : {
          ok: false,
          why: `every MAC of the pool's fixed list (${mode.macs.length}) is in use; add MACs to profile.mac.macs`,
        };
  }
  if (mode.mode === 'range') {
    const from = macToNumber(mode.from);
    const to = macToNumber(mode.to);
    for (let n = from; n <= to; n++) {
      const m = numberToMac(n);
      if (!used(m))
        return { ok: true, mac: m, why: `MAC ${m}: first free one of ${mode.from}-${mode.to}` };
    }
    return {
      ok: false,
      why: `every MAC of the range ${mode.from}-${mode.to} (${to - from + 1}) is in use; widen profile.mac`,
    };
  }
  const prefix = mode.prefix ? mode.prefix.split(':').map((h) => Number.parseInt(h, 16)) : [];
  for (let t = 0; t < RANDOM_TRIES; t++) {
    const octets = [...prefix];
    while (octets.length < 6) octets.push(Math.floor(random() * 256));
    // Locally administered (bit 1), unicast (bit 0 clear): never a vendor's address.
    octets[0] = (octets[0]! | 0x02) & 0xfe;
    const m = octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
    if (m !== ZERO_MAC && !used(m))
      return { ok: true, mac: m, why: `MAC ${m}: random, locally administered` };
  }
  return {
    ok: false,
    why: `no free random MAC found in ${RANDOM_TRIES} draws; shorten profile.mac.prefix`,
  };
}

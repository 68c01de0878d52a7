import { type GuestState, normaliseMac, type PfPolicy, type VfPolicy } from '../model/index.js';

/**
 * What of a guest's acknowledged changes survives a new policy. When an operator narrows a
 * policy (drops a VLAN, lowers the MTU, removes trust) the guest keeps only what the new
 * policy would still grant; otherwise the desired state would carry a setting the policy
 * forbids. Pure.
 */
export function pruneGuestState(
  guest: GuestState,
  policy: VfPolicy,
  pf: PfPolicy | undefined,
): GuestState {
  const allowedMacs = new Set(policy.macs.map(normaliseMac));
  const macOk = (m: string) =>
    policy.trust || allowedMacs.has(normaliseMac(m)) || policy.guestMacs > 0;
  // Keep the guest's order: pruning an already-valid state must change nothing (it also
  // runs at every start, to finish a change a crash interrupted).
  let foreignLeft = policy.trust ? Number.POSITIVE_INFINITY : policy.guestMacs;
  const macs = guest.macs.filter(
    (m) => policy.trust || allowedMacs.has(normaliseMac(m)) || foreignLeft-- > 0,
  );
  const maxMtu = policy.mtu ?? pf?.mtu ?? 1500;
  return {
    mac: guest.mac !== null && macOk(guest.mac) ? guest.mac : null,
    macs,
    vlans: guest.vlans.filter((v) => policy.trust || policy.vlans.includes(v)),
    mtu: guest.mtu !== null && guest.mtu <= maxMtu ? guest.mtu : null,
    promisc: guest.promisc && (policy.trust || policy.allowUnknownUnicast),
    allmulti: guest.allmulti && (policy.trust || policy.allowMulticast),
  };
}

export function sameGuestState(a: GuestState, b: GuestState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

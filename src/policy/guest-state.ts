import {
  emptyGuestState,
  type GuestRequest,
  type GuestState,
  normaliseMac,
  type PfPolicy,
  type VfPolicy,
  ZERO_MAC,
} from '../model/index.js';

/**
 * What a guest changed, after nicvisor acknowledged `request` (call only after an ack).
 * Pure: returns a new GuestState; desiredState() turns it into VF settings. It mirrors the
 * decisions of authorise(): what authorise calls "stays" is left unchanged here.
 */
export function guestStateAfter(
  guest: GuestState,
  request: GuestRequest,
  policy: VfPolicy,
): GuestState {
  const def = normaliseMac(policy.macs[0] ?? ZERO_MAC);
  const primary = guest.mac === null ? def : normaliseMac(guest.mac);
  switch (request.type) {
    case 'setMac': {
      const mac = normaliseMac(request.mac);
      const macs = guest.macs.filter((m) => normaliseMac(m) !== mac);
      return { ...guest, mac: mac === def ? null : mac, macs };
    }
    case 'addMac': {
      const mac = normaliseMac(request.mac);
      if (mac === primary || guest.macs.some((m) => normaliseMac(m) === mac)) return guest;
      return { ...guest, macs: [...guest.macs, mac] };
    }
    case 'delMac': {
      if (request.mac === undefined) {
        // Clear only what the guest added of its own; allow-list MACs it took stay.
        const listed = new Set(policy.macs.map(normaliseMac));
        return { ...guest, macs: guest.macs.filter((m) => listed.has(normaliseMac(m))) };
      }
      const mac = normaliseMac(request.mac);
      if (mac === def || mac === primary) return guest;
      return { ...guest, macs: guest.macs.filter((m) => normaliseMac(m) !== mac) };
    }
    case 'addVlan':
      if (policy.vlans.includes(request.vlan) || guest.vlans.includes(request.vlan)) return guest;
      return { ...guest, vlans: [...guest.vlans, request.vlan].sort((a, b) => a - b) };
    case 'delVlan':
      return { ...guest, vlans: guest.vlans.filter((v) => v !== request.vlan) };
    case 'setMtu':
      return { ...guest, mtu: request.mtu };
    case 'setPromisc':
      return { ...guest, promisc: request.enable };
    case 'setAllmulti':
      return { ...guest, allmulti: request.enable };
    case 'setMulticastList':
      // The NIC holds the groups (a guest sends its whole list again after any VF reset,
      // as VF drivers do), so nothing is persisted here.
      return guest;
    case 'reset':
      return emptyGuestState();
  }
}

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
    policy.trust === true || allowedMacs.has(normaliseMac(m)) || policy.guestMacs > 0;
  // Keep the guest's order: pruning an already-valid state must change nothing (it also
  // runs at every start, to finish a change a crash interrupted).
  let foreignLeft = policy.trust === true ? Number.POSITIVE_INFINITY : policy.guestMacs;
  const macs = guest.macs.filter(
    (m) => policy.trust === true || allowedMacs.has(normaliseMac(m)) || foreignLeft-- > 0,
  );
  const maxMtu = policy.mtu ?? pf?.mtu ?? 1500;
  return {
    mac: guest.mac !== null && macOk(guest.mac) ? guest.mac : null,
    macs,
    vlans: guest.vlans.filter((v) => policy.trust === true || policy.vlans.includes(v)),
    mtu: guest.mtu !== null && guest.mtu <= maxMtu ? guest.mtu : null,
    promisc: guest.promisc && (policy.trust === true || policy.allowUnknownUnicast),
    allmulti: guest.allmulti && (policy.trust === true || policy.allowMulticast),
  };
}

export function sameGuestState(a: GuestState, b: GuestState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

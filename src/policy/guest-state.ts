import {
  emptyGuestState,
  type GuestRequest,
  type GuestState,
  normaliseMac,
  type VfPolicy,
  ZERO_MAC,
} from '../model/index.js';

/**
 * What a guest changed, after nicvisor acknowledged `request` (call only after an ack).
 * Pure: returns a new GuestState; desiredState() turns it into VF settings. It mirrors the
 * decisions of authorise(): what authorise calls "stays" is left unchanged here.
 */
export function applyGuestRequest(
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

/**
 * PLACEHOLDER on the daemon branch until the policy branch's authorise.ts lands (take theirs
 * on merge). Same signatures; only the rules the daemon's tests rely on.
 */
import {
  type Decision,
  emptyGuestState,
  type GuestRequest,
  type GuestState,
  isUnicastMac,
  normaliseMac,
  type ObservedPf,
  type ObservedVf,
  type VfPolicy,
} from '../model/index.js';

const ack = (reason: string): Decision => ({ result: 'ack', reason });
const nack = (reason: string): Decision => ({ result: 'nack', reason });

function macDecision(
  mac: string,
  policy: VfPolicy,
  vf: ObservedVf | undefined,
  pf: ObservedPf | undefined,
): Decision {
  if (!isUnicastMac(mac)) return nack(`MAC ${mac} is not a unicast address`);
  const m = normaliseMac(mac);
  const owner = pf?.vfs.find(
    (o) => o.vf !== vf?.vf && (o.settings.mac === m || o.settings.macFilters.includes(m)),
  );
  if (owner) return nack(`MAC ${m} is held by VF ${owner.vf} of ${pf?.id}`);
  if (policy.trust || policy.macs.map(normaliseMac).includes(m) || policy.guestMacs > 0)
    return ack('allowed by policy');
  return nack(`MAC ${m} is not in the policy's macs and guestMacs is 0`);
}

/** Placeholder of the policy branch's PfPeers (names of a PF's VFs). */
export interface PfPeers {
  names: Map<number, string>;
}

export function pfPeers(policies: readonly VfPolicy[]): PfPeers {
  return { names: new Map(policies.map((p) => [p.vf, p.name])) };
}

export function authorise(
  request: GuestRequest,
  policy: VfPolicy,
  vf: ObservedVf,
  pf: ObservedPf,
  _peers?: PfPeers,
): Decision {
  switch (request.type) {
    case 'setMac':
    case 'addMac':
      return macDecision(request.mac, policy, vf, pf);
    case 'delMac':
      return ack('guest MACs may always be removed');
    case 'addVlan':
      return policy.trust || policy.vlans.includes(request.vlan)
        ? ack('allowed by policy')
        : nack(`VLAN ${request.vlan} is not in the policy's vlans [${policy.vlans.join(',')}]`);
    case 'delVlan':
      return ack('guest VLANs may always be left');
    case 'setMtu': {
      const max = policy.mtu ?? 9216;
      return request.mtu >= 68 && request.mtu <= max
        ? ack('within 68-' + max)
        : nack(`MTU ${request.mtu} is outside 68-${max}`);
    }
    case 'setPromisc':
      return !request.enable || policy.trust || policy.allowUnknownUnicast
        ? ack('allowed by policy')
        : nack('promiscuous mode needs trust or allowUnknownUnicast');
    case 'setAllmulti':
      return !request.enable || policy.trust || policy.allowMulticast
        ? ack('allowed by policy')
        : nack('all-multicast needs trust or allowMulticast');
    case 'reset':
      return ack('reset to policy');
  }
}

export function applyGuestRequest(
  guest: GuestState,
  request: GuestRequest,
  _policy: VfPolicy,
): GuestState {
  switch (request.type) {
    case 'setMac':
      return { ...guest, mac: normaliseMac(request.mac) };
    case 'addMac':
      return { ...guest, macs: [...new Set([...guest.macs, normaliseMac(request.mac)])] };
    case 'delMac':
      return {
        ...guest,
        macs: request.mac ? guest.macs.filter((m) => m !== normaliseMac(request.mac!)) : [],
      };
    case 'addVlan':
      return {
        ...guest,
        vlans: [...new Set([...guest.vlans, request.vlan])].sort((a, b) => a - b),
      };
    case 'delVlan':
      return { ...guest, vlans: guest.vlans.filter((v) => v !== request.vlan) };
    case 'setMtu':
      return { ...guest, mtu: request.mtu };
    case 'setPromisc':
      return { ...guest, promisc: request.enable };
    case 'setAllmulti':
      return { ...guest, allmulti: request.enable };
    case 'reset':
      return emptyGuestState();
  }
}

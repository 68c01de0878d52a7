import {
  type Decision,
  type GuestRequest,
  isGroupMac,
  MTU_MIN,
  normaliseMac,
  type ObservedPf,
  type ObservedVf,
  type VfPolicy,
  VLAN_MAX,
  VLAN_MIN,
} from '../model/index.js';
import {
  ack,
  decideDel,
  decideTake,
  heldMacs,
  label,
  nack,
  type PfPeers,
} from './authorise-mac.js';

export { type PfPeers, pfPeers } from './authorise-mac.js';
export { guestStateAfter } from './guest-state.js';

function addVlan(vlan: number, policy: VfPolicy, vf: ObservedVf): Decision {
  if (vlan < VLAN_MIN || vlan > VLAN_MAX) {
    return nack(`VLAN ${vlan} is out of range ${VLAN_MIN}-${VLAN_MAX}`);
  }
  if (policy.vlans.includes(vlan))
    return ack(`VLAN ${vlan} is already allowed by the policy of ${label(policy)}`);
  if (policy.untagged && !policy.trust === true) {
    return nack(`${label(policy)} is on a flat (untagged) network; VLAN ${vlan} refused`);
  }
  if (vf.settings.vlans.includes(vlan) || vf.settings.vlanFilters.includes(vlan))
    return ack(`${label(policy)} already has VLAN ${vlan}`);
  if (policy.trust === true) {
    // A NIC takes no guest VLAN beside a port VLAN: igb and ixgbe refuse a VF's VLAN request
    // while the PF set one ("attempted to override administratively set VLAN"), trust or not.
    if (policy.vlans.length === 1 && policy.stripOuterTag) {
      return nack(
        `${label(policy)} has port VLAN ${policy.vlans[0]}: the NIC takes no guest VLAN beside it, trusted or not; make the policy a trunk (several vlans, or stripOuterTag false) to let the guest tag VLAN ${vlan}`,
      );
    }
    return ack(`${label(policy)} is trusted`);
  }
  const allow = policy.vlans.length > 0 ? policy.vlans.join(', ') : 'empty';
  return nack(
    `VLAN ${vlan} is not in the allow-list of ${label(policy)} (${allow}); add it to vlans in the policy`,
  );
}

function delVlan(vlan: number, policy: VfPolicy, vf: ObservedVf): Decision {
  if (policy.vlans.includes(vlan)) {
    return ack(`VLAN ${vlan} is in the policy of ${label(policy)}; it stays`);
  }
  if (!vf.settings.vlanFilters.includes(vlan)) {
    return ack(`${label(policy)} is not in VLAN ${vlan}; nothing to remove`);
  }
  return ack(`removed guest VLAN ${vlan} from ${label(policy)}`);
}

function setMtu(mtu: number, policy: VfPolicy, pf: ObservedPf): Decision {
  const max = policy.mtu ?? pf.mtu;
  if (mtu < MTU_MIN || mtu > max) {
    return nack(`MTU ${mtu} is out of range ${MTU_MIN}-${max} for ${label(policy)}`);
  }
  return ack(`MTU ${mtu} is within ${MTU_MIN}-${max}`);
}

/**
 * A guest's multicast list: group MACs only, at most `guestMulticast` distinct groups (the
 * PF's one multicast table is shared by all its VFs, so one guest may not fill it), and only
 * where the policy lets multicast in. Trust does not lift the limit: it protects the others.
 */
function setMulticastList(groups: readonly string[], policy: VfPolicy): Decision {
  const bad = groups.find((g) => !isGroupMac(g));
  if (bad !== undefined) {
    return nack(
      `"${bad}" is not a multicast group MAC (first octet odd, not broadcast), e.g. 01:00:5e:00:00:fb`,
    );
  }
  if (groups.length === 0) return ack(`${label(policy)} leaves every multicast group`);
  if (!policy.allowMulticast && !policy.trust === true) {
    return nack(`multicast refused: the policy of ${label(policy)} has allowMulticast: false`);
  }
  const n = new Set(groups.map(normaliseMac)).size;
  if (n > policy.guestMulticast) {
    return nack(
      `${n} multicast groups exceed the ${policy.guestMulticast} that ${label(policy)} may join (guestMulticast); join fewer or raise guestMulticast in the policy`,
    );
  }
  return ack(
    `${label(policy)} joins ${n} multicast group(s), within guestMulticast ${policy.guestMulticast}`,
  );
}

function mode(
  what: string,
  enable: boolean,
  allowed: boolean,
  field: string,
  policy: VfPolicy,
): Decision {
  if (!enable) return ack(`${what} off`);
  if (allowed) return ack(`${what} allowed by ${field} of ${label(policy)}`);
  if (policy.trust === true) return ack(`${label(policy)} is trusted`);
  return nack(`${what} refused: the policy of ${label(policy)} has ${field}: false`);
}

/**
 * Decide a guest's request to change its own VF, against the VF's policy and what the NIC
 * holds now (`vf`, and the other VFs of `pf`). Pure and fast (called per mailbox message).
 * `peers` (from pfPeers over the PF's policies) adds names to reasons and protects other
 * VFs' default MACs; the daemon always passes it.
 *
 * Improvements on VFd: a guest's "clear my MACs" never removes the MACs its policy lists,
 * and a trusted VF still never gets a MAC another VF holds.
 */
/**
 * Whether authorise() looks at the PF's other VFs for this request (a MAC another VF holds
 * is never granted): only then does a decision need every VF of the PF read fresh.
 */
export function readsPeers(request: GuestRequest): boolean {
  return request.type === 'setMac' || request.type === 'addMac';
}

export function authorise(
  request: GuestRequest,
  policy: VfPolicy,
  vf: ObservedVf,
  pf: ObservedPf,
  peers?: PfPeers,
): Decision {
  switch (request.type) {
    case 'setMac': {
      const primary = normaliseMac(vf.settings.mac);
      if (normaliseMac(request.mac) === primary) {
        return ack(`MAC ${primary} is already the primary MAC of ${label(policy)}`);
      }
      const filters = vf.settings.macFilters.map(normaliseMac);
      const after = (m: string) => [m, ...filters.filter((f) => f !== m)];
      return decideTake({ mac: request.mac, policy, vf, pf, peers, after }, 'use');
    }
    case 'addMac': {
      const held = heldMacs(vf.settings);
      if (policy.trust === 'guarded' && !held.includes(normaliseMac(request.mac))) {
        return nack(
          `${label(policy)} has guarded trust: it uses one MAC of its policy at a time; switch with setMac instead of adding ${normaliseMac(request.mac)}`,
        );
      }
      if (held.includes(normaliseMac(request.mac))) {
        return ack(`${label(policy)} already holds MAC ${normaliseMac(request.mac)}`);
      }
      return decideTake(
        { mac: request.mac, policy, vf, pf, peers, after: (m) => [...held, m] },
        'add',
      );
    }
    case 'delMac':
      return decideDel(request.mac, policy, vf);
    case 'addVlan':
      return addVlan(request.vlan, policy, vf);
    case 'delVlan':
      return delVlan(request.vlan, policy, vf);
    case 'setMtu':
      return setMtu(request.mtu, policy, pf);
    case 'setPromisc':
      return mode(
        'promiscuous mode',
        request.enable,
        policy.allowUnknownUnicast,
        'allowUnknownUnicast',
        policy,
      );
    case 'setAllmulti':
      return mode(
        'all-multicast mode',
        request.enable,
        policy.allowMulticast,
        'allowMulticast',
        policy,
      );
    case 'setMulticastList':
      return setMulticastList(request.groups, policy);
    case 'reset':
      return ack(`${label(policy)} returns to its policy`);
  }
}

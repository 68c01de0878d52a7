import { type GuestRequest, normaliseMac } from '../../model/index.js';
import type { SimPf } from './pf.js';

/**
 * Apply a guest request the hypervisor acknowledged to the VF's settings in force (not to
 * what the hypervisor programmed: a guest `reset` returns to that, and leaves the multicast
 * groups, as a VF reset clears them on igb and ixgbe). Which MACs and VLANs are
 * the policy's is the daemon's business; the NIC just does what was acknowledged, within
 * its own limits (a full filter table throws, and the mailbox reports it to the guest).
 */
export function carryOutRequest(pf: SimPf, index: number, req: GuestRequest): void {
  const s = pf.vf(index).settings;
  switch (req.type) {
    case 'setMac': {
      const mac = normaliseMac(req.mac);
      pf.setVfField(index, 'mac', mac, false);
      // A MAC is either the primary or a filter, as desiredState() keeps it.
      pf.setVfField(
        index,
        'macFilters',
        s.macFilters.filter((m) => m !== mac),
        false,
      );
      return;
    }
    case 'addMac':
      if (normaliseMac(req.mac) === s.mac) return;
      pf.setVfField(index, 'macFilters', [...s.macFilters, req.mac], false);
      return;
    case 'delMac':
      pf.setVfField(
        index,
        'macFilters',
        req.mac === undefined ? [] : s.macFilters.filter((m) => m !== normaliseMac(req.mac!)),
        false,
      );
      return;
    // A joined VLAN is a filter beside the VLAN mode the hypervisor programmed.
    case 'addVlan':
      if (s.vlans.includes(req.vlan)) return;
      pf.setVfField(index, 'vlanFilters', [...s.vlanFilters, req.vlan], false);
      return;
    case 'delVlan':
      pf.setVfField(
        index,
        'vlanFilters',
        s.vlanFilters.filter((v) => v !== req.vlan),
        false,
      );
      return;
    case 'setMtu':
      pf.setVfField(index, 'mtu', req.mtu, false);
      return;
    case 'setPromisc':
      pf.setVfField(index, 'promisc', req.enable, false);
      return;
    case 'setAllmulti':
      pf.setVfField(index, 'allmulti', req.enable, false);
      return;
    case 'setMulticastList':
      pf.setGroups(index, req.groups);
      return;
    case 'reset':
      pf.replaceVfSettings(index, pf.vf(index).programmed);
      pf.setGroups(index, []);
      return;
  }
}

import {
  defaultVfSettings,
  isUnicastMac,
  normaliseMac,
  type VfSettings,
  VLAN_MAX,
  VLAN_MIN,
} from '../../model/index.js';

/**
 * The PF's own host interface as a port of its VEB: the netdev the host kernel sees
 * (`enp8s0f0`), with its MAC, the VLAN devices on it (`enp8s0f0.100`, each adding its VID to
 * the PF pool's VLAN filter, as igb_vlan_rx_add_vid does) and the PF's MTU.
 */
export interface HostConfig {
  mac: string;
  /** VIDs of the VLAN devices on the PF netdev. */
  vlans: number[];
  promisc: boolean;
  allmulti: boolean;
}

/** A made-up, locally administered MAC per PF (a real PF has one burned in). */
export function defaultHostMac(nicIndex: number, port: number): string {
  const hex = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
  return `02:fe:00:00:${hex(nicIndex)}:${hex(port)}`;
}

/** Checks a change to the host interface; returns the problems (range and fix). */
export function checkHost(change: Partial<HostConfig>): string[] {
  const out: string[] = [];
  if (change.mac !== undefined && !isUnicastMac(change.mac)) {
    out.push(`mac "${change.mac}" is not a unicast MAC; use a MAC like 02:fe:00:00:00:01`);
  }
  const bad = change.vlans?.find((v) => !Number.isInteger(v) || v < VLAN_MIN || v > VLAN_MAX);
  if (bad !== undefined) {
    out.push(`VLAN device ${bad} is out of range ${VLAN_MIN}-${VLAN_MAX}; fix the VLAN list`);
  }
  return out;
}

/**
 * The host interface as the switch sees it: a filtered port (untagged, priority-tagged and
 * its VLAN devices' VIDs) that keeps tags on receive (the host's 802.1Q layer reads them),
 * takes broadcast and the PF's multicast table, has no anti-spoof (the PF is trusted) and
 * the PF's MTU.
 */
export function hostSettings(host: HostConfig, pfMtu: number): VfSettings {
  return {
    ...defaultVfSettings(pfMtu),
    mac: normaliseMac(host.mac),
    vlans: [...new Set(host.vlans)].sort((a, b) => a - b),
    stripOuterTag: false,
    promisc: host.promisc,
    allmulti: host.allmulti,
    linkState: 'enable',
  };
}

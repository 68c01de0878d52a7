import {
  type DesiredVf,
  type EswitchPort,
  type HostInterface,
  normaliseMac,
  type VlanProto,
  vfPort,
  ZERO_MAC,
} from '../../model/index.js';

/**
 * How a port treats VLAN tags, as the legacy VEB does (filtering always on): one VLAN with
 * `stripOuterTag` is a port VLAN (the NIC tags on transmit, takes only that VLAN, stripped);
 * anything else is filtered (untagged and priority-tagged frames, and the member VIDs).
 */
export type VlanMode = 'port' | 'filtered';

/** The PF's host interface, as the driver reports it (not nicvisor's policy: the host's). */
export type HostPort = HostInterface;

/** VF index the host interface goes by in views (it is no VF). */
export const HOST_VF = -1;

/** One port (a VF or the host) as the compiler needs it: what it sends and accepts. */
export interface VfView {
  vf: number;
  name: string;
  port: EswitchPort;
  proto: VlanProto;
  mode: VlanMode;
  vlans: readonly number[];
  vlanSet: ReadonlySet<number>;
  /** PCP of the tag inserted for a port VLAN. */
  qos: number;
  /** A member VLAN's tag of the port's protocol is removed on delivery. */
  strip: boolean;
  /** Own MACs, primary first, without the zero MAC. */
  macs: readonly string[];
  macAntiSpoof: boolean;
  vlanAntiSpoof: boolean;
  acceptBroadcast: boolean;
  /** allowMulticast, or all-multicast the guest was granted. */
  acceptMulticast: boolean;
  /** allowUnknownUnicast, or promiscuous mode the guest was granted. */
  acceptUnknown: boolean;
  /** MTU of the port (the guest's, within the policy's). */
  mtu: number;
  maxTxRate: number;
  /** Where copies of what the VF receives (`in`) and sends (`out`) go. */
  mirrorIn: EswitchPort | null;
  mirrorOut: EswitchPort | null;
}

export function vfView(d: DesiredVf): VfView {
  const s = d.settings;
  const mode: VlanMode = s.vlans.length === 1 && s.stripOuterTag ? 'port' : 'filtered';
  // The mode comes from the policy's VLANs; VLANs the guest joined only widen a filtered
  // port's membership (a port-VLAN VF joins none: the NIC refuses it).
  const members = mode === 'port' ? s.vlans : [...new Set([...s.vlans, ...s.vlanFilters])];
  const macs = [s.mac, ...s.macFilters].map(normaliseMac).filter((m) => m !== ZERO_MAC);
  const dir = d.mirror?.direction;
  const target = d.mirror ? vfPort(d.mirror.targetVf) : null;
  return {
    vf: d.vf,
    name: d.name,
    port: vfPort(d.vf),
    proto: s.vlanProto,
    mode,
    vlans: [...members].sort((a, b) => a - b),
    vlanSet: new Set(members),
    qos: s.vlanQoS,
    strip: s.stripOuterTag,
    macs: [...new Set(macs)],
    macAntiSpoof: s.macAntiSpoof,
    vlanAntiSpoof: s.vlanAntiSpoof,
    acceptBroadcast: s.allowBroadcast,
    acceptMulticast: s.allowMulticast || s.allmulti,
    acceptUnknown: s.allowUnknownUnicast || s.promisc,
    mtu: s.mtu,
    maxTxRate: s.maxTxRate,
    mirrorIn: dir === 'in' || dir === 'all' ? target : null,
    mirrorOut: dir === 'out' || dir === 'all' ? target : null,
  };
}

/** The host interface as a port: filtered, keeps tags, trusted (no anti-spoof, no limit). */
export function hostView(h: HostPort, mtu: number): VfView {
  const vlans = [...new Set(h.vlans)].sort((a, b) => a - b);
  return {
    vf: HOST_VF,
    name: 'host',
    port: 'host',
    proto: '802.1Q',
    mode: 'filtered',
    vlans,
    vlanSet: new Set(vlans),
    qos: 0,
    strip: false,
    macs: h.mac === ZERO_MAC ? [] : [normaliseMac(h.mac)],
    macAntiSpoof: false,
    vlanAntiSpoof: false,
    acceptBroadcast: true,
    acceptMulticast: true,
    acceptUnknown: h.promisc,
    mtu,
    maxTxRate: 0,
    mirrorIn: null,
    mirrorOut: null,
  };
}

import {
  type DesiredVf,
  type EswitchPort,
  normaliseMac,
  type VlanProto,
  vfPort,
  ZERO_MAC,
} from '../../model/index.js';

/**
 * How a VF's tags are treated, from `vlans`, `untagged` and `stripOuterTag`, as the legacy
 * VEB does: no VLANs is transparent (or untagged-only with `untagged`), one VLAN with strip
 * is a port VLAN (the NIC tags and untags), anything else a trunk the guest tags itself.
 */
export type VlanMode = 'transparent' | 'untagged' | 'port' | 'trunk';

/** One VF as the compiler needs it: its switch port and what it sends and accepts. */
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
  /** The VF's own outer tag is removed on delivery (port VLAN, or trunk with strip). */
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
  maxTxRate: number;
  /** Where copies of what the VF receives (`in`) and sends (`out`) go. */
  mirrorIn: EswitchPort | null;
  mirrorOut: EswitchPort | null;
}

function vlanMode(vlans: readonly number[], untagged: boolean, strip: boolean): VlanMode {
  if (vlans.length === 0) return untagged ? 'untagged' : 'transparent';
  return vlans.length === 1 && strip ? 'port' : 'trunk';
}

export function vfView(d: DesiredVf): VfView {
  const s = d.settings;
  const mode = vlanMode(s.vlans, s.untagged, s.stripOuterTag);
  const macs = [s.mac, ...s.macFilters].map(normaliseMac).filter((m) => m !== ZERO_MAC);
  const dir = d.mirror?.direction;
  const target = d.mirror ? vfPort(d.mirror.targetVf) : null;
  return {
    vf: d.vf,
    name: d.name,
    port: vfPort(d.vf),
    proto: s.vlanProto,
    mode,
    vlans: [...s.vlans].sort((a, b) => a - b),
    vlanSet: new Set(s.vlans),
    qos: s.vlanQoS,
    strip: s.stripOuterTag && (mode === 'port' || mode === 'trunk'),
    macs: [...new Set(macs)],
    macAntiSpoof: s.macAntiSpoof,
    vlanAntiSpoof: s.vlanAntiSpoof,
    acceptBroadcast: s.allowBroadcast,
    acceptMulticast: s.allowMulticast || s.allmulti,
    acceptUnknown: s.allowUnknownUnicast || s.promisc,
    maxTxRate: s.maxTxRate,
    mirrorIn: dir === 'in' || dir === 'all' ? target : null,
    mirrorOut: dir === 'out' || dir === 'all' ? target : null,
  };
}

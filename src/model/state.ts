import {
  type EswitchMode,
  type LinkState,
  type MirrorDirection,
  type VlanProto,
  ZERO_MAC,
} from './common.js';
import type { ObservedRuleSet } from './eswitch.js';

/**
 * The settings of one VF as programmed into a NIC. Both the desired state (computed from
 * the policy plus what guests were allowed to change) and the observed state (read back
 * from the driver) carry them; plan() compares the two field by field.
 */
export interface VfSettings {
  /** Primary MAC of the VF (`00:00:00:00:00:00`: none assigned). */
  mac: string;
  /** Further MACs the VF may receive on and send from (allow-list entries and guest-added). */
  macFilters: string[];
  /** VLAN IDs the VF is a member of, ascending. One VLAN + stripOuterTag is a port VLAN. */
  vlans: number[];
  untagged: boolean;
  vlanProto: VlanProto;
  vlanQoS: number;
  stripOuterTag: boolean;
  macAntiSpoof: boolean;
  vlanAntiSpoof: boolean;
  trust: boolean;
  allowBroadcast: boolean;
  allowMulticast: boolean;
  allowUnknownUnicast: boolean;
  /** Guest-requested modes, granted only where the policy allows them. */
  promisc: boolean;
  allmulti: boolean;
  linkState: LinkState;
  mtu: number;
  minTxRate: number;
  maxTxRate: number;
  /** Normalised per-traffic-class shares (%), index = class. */
  trafficShares: number[];
}
export type VfSettingKey = keyof VfSettings;

/**
 * What a fresh VF looks like (after creation, a PF reset or numVfs change): no MAC, no VLAN
 * configuration (VLAN filtering stays on, as on the NIC: untagged and priority-tagged frames
 * only, until a port VLAN is set or the guest joins VLANs), no anti-spoof, link following
 * the PF.
 */
export function defaultVfSettings(pfMtu: number): VfSettings {
  return {
    mac: ZERO_MAC,
    macFilters: [],
    vlans: [],
    untagged: false,
    vlanProto: '802.1Q',
    vlanQoS: 0,
    stripOuterTag: true,
    macAntiSpoof: false,
    vlanAntiSpoof: false,
    trust: false,
    allowBroadcast: true,
    allowMulticast: true,
    allowUnknownUnicast: false,
    promisc: false,
    allmulti: false,
    linkState: 'auto',
    mtu: pfMtu,
    minTxRate: 0,
    maxTxRate: 0,
    trafficShares: [],
  };
}

export interface MirrorState {
  /** VF index of the target on the same PF. */
  targetVf: number;
  direction: MirrorDirection;
}

/** What nicvisor wants one VF to be, stamped with the policy revision it came from. */
export interface DesiredVf {
  kind: 'desired';
  name: string;
  pf: string;
  vf: number;
  /** Revision of the policy + guest state this was computed from (STYLE.md #8). */
  revision: number;
  settings: VfSettings;
  mirror: MirrorState | null;
}

/** Per-VF counters. Monotonic; a driver that resets them (PF reset) is compensated above it. */
export interface VfCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
  /** Frames dropped by MAC or VLAN anti-spoof on transmit. */
  spoofed: number;
  /** Copies sent to a mirror target. */
  mirrored: number;
  rxBroadcast: number;
  rxMulticast: number;
}

export function zeroCounters(): VfCounters {
  return {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
    spoofed: 0,
    mirrored: 0,
    rxBroadcast: 0,
    rxMulticast: 0,
  };
}

/** What the driver read back for one VF. */
export interface ObservedVf {
  kind: 'observed';
  pf: string;
  vf: number;
  pciAddr?: string;
  netdev?: string;
  settings: VfSettings;
  mirror: MirrorState | null;
  counters: VfCounters;
  /** Link as the guest sees it. */
  linkUp: boolean;
}

/**
 * The PF's own host interface (the PF netdev the host kernel sees), as a port of the NIC's
 * switch: the host's own configuration, not nicvisor's policy.
 */
export interface HostInterface {
  mac: string;
  /** VIDs of the VLAN devices on the PF netdev. */
  vlans: number[];
  promisc: boolean;
  allmulti: boolean;
}

/** What the driver read back for one PF. */
export interface ObservedPf {
  kind: 'observed';
  id: string;
  driver: string;
  pciAddr?: string;
  netdev?: string;
  totalVfs: number;
  numVfs: number;
  linkUp: boolean;
  linkSpeedMbps: number;
  mtu: number;
  loopback: boolean;
  eswitchMode: EswitchMode;
  /** Bandwidth % of each traffic class of the uplink ([] when the PF has no classes). */
  trafficClasses: number[];
  /** Mode of each traffic class; omitted by drivers that have no traffic classes. */
  trafficClassModes?: TrafficClassMode[];
  counters: VfCounters;
  vfs: ObservedVf[];
  /**
   * The installed rules of the eswitch, with counters, when the PF is in switchdev mode
   * and the driver programs its rules. Absent: the driver does not manage rules here.
   */
  eswitch?: ObservedRuleSet;
  /** The host interface, where the driver models it as a switch port (the sim does). */
  host?: HostInterface;
}

/**
 * How the uplink serves one traffic class besides its bandwidth (docs/qos.md): a strict
 * class is served before all others; classes of one bandwidth group lend each other what
 * they leave unused before the rest of the link gets it.
 */
export interface TrafficClassMode {
  strictPriority: boolean;
  group: number;
}

/** Desired settings of a PF (from its policy). */
export interface DesiredPf {
  kind: 'desired';
  id: string;
  numVfs: number;
  mtu: number;
  loopback: boolean;
  eswitchMode: EswitchMode;
  trafficClasses: number[];
  trafficClassModes: TrafficClassMode[];
}

/** How far a VF is from its policy, as shown by `nicvisor show` and the API. */
export type SyncState = 'in-sync' | 'applying' | 'failed' | 'drifted' | 'pending';

export interface VfStatus {
  syncState: SyncState;
  lastError: string | null;
  /** Revision of policy + guest state last applied successfully. */
  appliedRevision: number | null;
  repairs: number;
  updatedAt: string;
}

/**
 * What guests changed on their own VF and nicvisor acknowledged. Persisted by the daemon
 * so a restart keeps it (VFd lost it).
 */
export interface GuestState {
  /** MAC the guest switched to, if not the policy's default. */
  mac: string | null;
  /** MACs the guest added. */
  macs: string[];
  /** VLANs the guest joined (from the allow-list, or any with trust). */
  vlans: number[];
  mtu: number | null;
  promisc: boolean;
  allmulti: boolean;
}

export function emptyGuestState(): GuestState {
  return { mac: null, macs: [], vlans: [], mtu: null, promisc: false, allmulti: false };
}

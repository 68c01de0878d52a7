import type { EswitchMode } from './common.js';
import type { VfCounters } from './counters.js';
import type { ObservedRuleSet } from './eswitch.js';
import type { ObservedLag } from './lag.js';
import type { MirrorState, VfSettings } from './settings.js';

/**
 * Desired and observed state are different types: desired comes from policy (stamped with
 * the revision it was computed from), observed is what a driver read back.
 */

/** What nicvisor wants one VF to be, stamped with the policy revision it came from. */
export interface DesiredVf {
  kind: 'desired';
  name: string;
  pf: string;
  vf: number;
  /**
   * Revision of the policy + guest state this was computed from, stamped when it is read:
   * reading it back later from an object that may have changed would mark the wrong
   * revision applied.
   */
  revision: number;
  settings: VfSettings;
  mirror: MirrorState | null;
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
  /** Its port on the PF's eswitch in switchdev mode, where the driver found a representor. */
  switchPort?: VfSwitchPort;
}

/** VF ↔ representor ↔ devlink port ↔ switch id (switchdev mode). */
export interface VfSwitchPort {
  /** The representor netdev the VF's rules hang on, e.g. `pf0vf3` or `eth4`. */
  representor: string;
  /** `bus/dev/index` of its devlink port, e.g. `pci/0000:08:00.0/131073`. */
  devlinkPort?: string;
  /** `phys_switch_id`, the same for every port of one eswitch. */
  switchId?: string;
  /** How the representor was found: devlink port flavour `pcivf`, or `phys_port_name`. */
  via: 'devlink' | 'phys_port_name';
}

/** Who a PF is, as a driver names it when it discovers or reads it. */
export interface PfIdentity {
  id: string;
  driver: string;
  pciAddr?: string;
  netdev?: string;
  totalVfs: number;
  numVfs: number;
  linkSpeedMbps: number;
  /** NUMA node of the PF's device (sysfs `numa_node`; -1: no NUMA); absent: unknown. */
  numaNode?: number;
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
export interface ObservedPf extends PfIdentity {
  kind: 'observed';
  linkUp: boolean;
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
  /** The LAG this PF is a member of, as the driver reads it; absent: none. */
  lag?: ObservedLag;
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

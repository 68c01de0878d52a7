import type { EswitchMode } from './common.js';
import type { VfCounters } from './counters.js';
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
  counters: VfCounters;
  vfs: ObservedVf[];
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
}

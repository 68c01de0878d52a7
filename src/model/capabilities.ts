import type { EswitchMode, VlanProto } from './common.js';
import type { PfPolicy } from './config.js';
import type { VfPolicy } from './vf-policy.js';

export type VfPolicyField = keyof VfPolicy;
export type PfPolicyField = keyof PfPolicy;

/** Why a driver cannot enforce a field, and the one value it can live with. */
export interface FieldLimit {
  /** E.g. `igb refuses 802.1ad (EPROTONOSUPPORT)`. */
  reason: string;
  /**
   * The only value the driver can enforce (JSON-equal). Absent: the field's neutral value,
   * see NEUTRAL_VF_VALUES.
   */
  only?: unknown;
  /** The field must equal this other field (e.g. spoofchk covers MAC and VLAN anti-spoof). */
  sameAs?: VfPolicyField;
}

/** What the driver behind one PF can enforce. */
export interface PfCapabilities {
  /** Driver name as shown to operators, e.g. `sim` or `linux/igb`. */
  driver: string;
  totalVfs: number;
  linkSpeedMbps: number;
  maxMtu: number;
  /** Entries of `macs` (plus guestMacs) a VF may have. */
  macsPerVf: number;
  /** Entries of `vlans` a VF may have. */
  vlansPerVf: number;
  /** MAC filters the whole PF offers (sum over its VFs). */
  macsPerPf: number;
  /** VLAN filters the whole PF offers (distinct VLANs over its VFs). */
  vlansPerPf: number;
  vlanProtos: VlanProto[];
  eswitchModes: EswitchMode[];
  /** The driver sees guests' mailbox requests and lets nicvisor answer them. */
  mailbox: boolean;
  /** The NIC can mirror a VF's traffic to another VF. */
  mirroring: boolean;
  unsupportedVfFields: Partial<Record<VfPolicyField, FieldLimit>>;
  unsupportedPfFields: Partial<Record<PfPolicyField, FieldLimit>>;
  /**
   * What changes when the PF is in switchdev mode and the driver programs its eswitch with
   * the compiled rules. Absent: the driver does not program rules, so switchdev mode
   * enforces no more than legacy.
   */
  switchdev?: SwitchdevCapabilities;
}

/** Limits in force in switchdev mode; each replaces the legacy one of the same name. */
export interface SwitchdevCapabilities {
  macsPerVf: number;
  vlansPerVf: number;
  mirroring: boolean;
  unsupportedVfFields: Partial<Record<VfPolicyField, FieldLimit>>;
  unsupportedPfFields: Partial<Record<PfPolicyField, FieldLimit>>;
  /** Rules the eswitch holds per PF (the NIC's flow table). */
  maxRules: number;
}

/** The capabilities in force for a PF in the given eswitch mode. */
export function capabilitiesIn(caps: PfCapabilities, mode: EswitchMode): PfCapabilities {
  if (mode !== 'switchdev' || !caps.switchdev) return caps;
  const { maxRules: _, ...limits } = caps.switchdev;
  return { ...caps, ...limits };
}

/**
 * The value of each field that means "not using this feature". A driver that cannot enforce
 * a field accepts a policy only when the field holds this value.
 */
export const NEUTRAL_VF_VALUES: Partial<Record<VfPolicyField, unknown>> = {
  vlans: [],
  untagged: false,
  vlanProto: '802.1Q',
  vlanQoS: 0,
  stripOuterTag: true,
  macs: [],
  guestMacs: 0,
  macAntiSpoof: false,
  vlanAntiSpoof: false,
  trust: false,
  allowBroadcast: true,
  allowMulticast: true,
  allowUnknownUnicast: false,
  linkState: 'auto',
  minTxRate: 0,
  maxTxRate: 0,
  trafficShares: [],
  mirror: undefined,
  onStart: undefined,
  onStop: undefined,
};

export const NEUTRAL_PF_VALUES: Partial<Record<PfPolicyField, unknown>> = {
  loopback: true,
  flowControl: 'none',
  qos: undefined,
  oversubscribe: false,
  eswitchMode: 'legacy',
  lag: undefined,
};

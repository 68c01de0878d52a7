import type { PfCapabilities, VfSettingKey, VfSettings } from '../../model/index.js';
import type { VfChange } from './netlink/link-request.js';
import type { VfInfo } from './netlink/vf-decode.js';

/**
 * Settings the kernel neither programs nor reports for a VF (guest MTU and modes, filters
 * the NIC cannot do): reported back as last applied, or as the neutral value.
 */
const RECORDED_DEFAULTS = {
  macFilters: [] as string[],
  vlanFilters: [] as number[],
  untagged: false,
  stripOuterTag: true,
  // Not the kernel's: whether the driver's MAC guard watches the VF (mac-guard.ts).
  macGuard: false,
  allowBroadcast: true,
  allowMulticast: true,
  allowUnknownUnicast: false,
  promisc: false,
  allmulti: false,
  trafficShares: [] as number[],
};

/**
 * Fields the compiled eswitch rules enforce when the PF is in switchdev mode (VLAN tagging
 * and filtering, anti-spoof, the rate limit: policy/eswitch). The VF's own attributes are
 * then kept neutral (these values), so a port VLAN or spoofchk left from legacy mode never
 * tags or drops a frame a second time; the desired values are recorded and reported back.
 * Rates are never sent in switchdev mode: the kernel drivers refuse VF rates there.
 */
export const RULE_FIELDS: ReadonlyMap<VfSettingKey, unknown> = new Map<VfSettingKey, unknown>([
  ['vlans', []],
  ['vlanQoS', 0],
  ['vlanProto', '802.1Q'],
  ['macAntiSpoof', false],
  ['vlanAntiSpoof', false],
  ['maxTxRate', 0],
  // Not a rule, but refused as a VF attribute in switchdev mode (devlink rate instead, not
  // programmed): only 0 is allowed there (capabilities), recorded, never sent.
  ['minTxRate', 0],
]);

/** The kernel's view of a VF plus recorded fields, as the model's VfSettings. */
export function observedSettings(
  info: VfInfo,
  recorded: Partial<VfSettings> | undefined,
  vfMtu: number | undefined,
  switchdev = false,
): VfSettings {
  const out = kernelSettings(info, recorded, vfMtu);
  if (!switchdev || !recorded) return out;
  const o = out as unknown as Record<string, unknown>;
  for (const f of RULE_FIELDS.keys()) if (f in recorded) o[f] = recorded[f];
  return out;
}

function kernelSettings(
  info: VfInfo,
  recorded: Partial<VfSettings> | undefined,
  vfMtu: number | undefined,
): VfSettings {
  const spoof = info.spoofchk ?? false;
  return {
    ...RECORDED_DEFAULTS,
    mtu: vfMtu ?? 1500,
    ...recorded,
    mac: info.mac.toLowerCase(),
    vlans: info.vlan === 0 ? [] : [info.vlan],
    vlanQoS: info.qos,
    // With no VLAN the kernel reports 802.1Q whatever was asked; keep what was applied.
    vlanProto: info.vlan === 0 ? (recorded?.vlanProto ?? info.vlanProto) : info.vlanProto,
    macAntiSpoof: spoof,
    vlanAntiSpoof: spoof,
    trust: info.trust ?? false,
    linkState: info.linkState,
    minTxRate: info.minTxRate,
    maxTxRate: info.maxTxRate,
  };
}

export type KernelState = Pick<
  VfInfo,
  | 'mac'
  | 'vlan'
  | 'qos'
  | 'vlanProto'
  | 'spoofchk'
  | 'trust'
  | 'linkState'
  | 'minTxRate'
  | 'maxTxRate'
>;

export function kernelState(i: KernelState): KernelState {
  return {
    mac: i.mac.toLowerCase(),
    vlan: i.vlan,
    qos: i.qos,
    vlanProto: i.vlanProto,
    spoofchk: i.spoofchk,
    trust: i.trust,
    linkState: i.linkState,
    minTxRate: i.minTxRate,
    maxTxRate: i.maxTxRate,
  };
}

/** Attribute group each kernel field is sent in (VLAN and rate are composite structs). */
export type AttrGroup = 'mac' | 'vlan' | 'spoofchk' | 'trust' | 'linkState' | 'rate';

type Fold = (s: KernelState, value: unknown) => void;

/**
 * Every field the kernel programs (rtnetlink IFLA_VF_*), with its attribute group and how
 * its desired value folds into the kernel state; every other field is only recorded.
 * MAC and VLAN anti-spoof are one `spoofchk` switch in the kernel.
 */
const KERNEL: Partial<Record<VfSettingKey, { group: AttrGroup; fold: Fold }>> = {
  mac: { group: 'mac', fold: (s, v) => (s.mac = String(v).toLowerCase()) },
  vlans: { group: 'vlan', fold: (s, v) => (s.vlan = (v as number[])[0] ?? 0) },
  vlanQoS: { group: 'vlan', fold: (s, v) => (s.qos = v as number) },
  vlanProto: { group: 'vlan', fold: (s, v) => (s.vlanProto = v as KernelState['vlanProto']) },
  macAntiSpoof: { group: 'spoofchk', fold: (s, v) => (s.spoofchk = v as boolean) },
  vlanAntiSpoof: { group: 'spoofchk', fold: (s, v) => (s.spoofchk = v as boolean) },
  trust: { group: 'trust', fold: (s, v) => (s.trust = v as boolean) },
  linkState: { group: 'linkState', fold: (s, v) => (s.linkState = v as KernelState['linkState']) },
  minTxRate: { group: 'rate', fold: (s, v) => (s.minTxRate = v as number) },
  maxTxRate: { group: 'rate', fold: (s, v) => (s.maxTxRate = v as number) },
};

export const KERNEL_FIELDS: ReadonlySet<VfSettingKey> = new Set(
  Object.keys(KERNEL) as VfSettingKey[],
);

/** Folds one field's desired value into the kernel state it leads to. */
export function withField(s: KernelState, field: VfSettingKey, value: unknown): KernelState {
  const n = { ...s };
  KERNEL[field]?.fold(n, value);
  return n;
}

export function groupOf(field: VfSettingKey): AttrGroup | null {
  return KERNEL[field]?.group ?? null;
}

/**
 * The RTM_SETLINK change that puts `s` into the kernel for the given attribute groups.
 * 802.1Q goes as the classic IFLA_VF_VLAN (what every driver and kernel accepts); only
 * 802.1ad needs the list form with a protocol.
 */
export function changeOf(vf: number, s: KernelState, groups: Iterable<string>): VfChange {
  const c: VfChange = { vf };
  for (const g of groups) {
    if (g === 'mac') c.mac = s.mac;
    if (g === 'vlan') {
      c.vlan = { vlan: s.vlan, qos: s.vlan === 0 ? 0 : s.qos };
      if (s.vlanProto === '802.1ad' && s.vlan !== 0) c.vlan.proto = '802.1ad';
    }
    if (g === 'spoofchk' && s.spoofchk !== undefined) c.spoofchk = s.spoofchk;
    if (g === 'trust' && s.trust !== undefined) c.trust = s.trust;
    if (g === 'linkState') c.linkState = s.linkState;
    if (g === 'rate') c.rate = { min: s.minTxRate, max: s.maxTxRate };
  }
  return c;
}

/**
 * When a field is one the PF's driver cannot program, the only acceptable value is the
 * neutral one; returns an error text for any other value, null when fine.
 */
export function refusal(caps: PfCapabilities, field: VfSettingKey, value: unknown): string | null {
  const policyField = field === 'macFilters' ? 'guestMacs' : field;
  const limit =
    caps.unsupportedVfFields[policyField as keyof PfCapabilities['unsupportedVfFields']];
  if (!limit || limit.sameAs || !('only' in limit)) return null;
  const fieldValue = field === 'macFilters' ? (value as string[]).length : value;
  if (JSON.stringify(fieldValue) === JSON.stringify(limit.only)) return null;
  return `driver ${caps.driver} does not support ${policyField} = ${JSON.stringify(fieldValue)}: ${limit.reason} (allowed: ${JSON.stringify(limit.only)})`;
}

/** Attribute groups in which two kernel states differ (all of them when `b` is unknown). */
export function differingGroups(a: KernelState, b: KernelState | undefined): string[] {
  const all = ['mac', 'vlan', 'spoofchk', 'trust', 'linkState', 'rate'];
  if (!b) return all;
  const same: Record<string, boolean> = {
    mac: a.mac.toLowerCase() === b.mac.toLowerCase(),
    vlan: a.vlan === b.vlan && a.qos === b.qos && (a.vlan === 0 || a.vlanProto === b.vlanProto),
    spoofchk: a.spoofchk === undefined || a.spoofchk === b.spoofchk,
    trust: a.trust === undefined || a.trust === b.trust,
    linkState: a.linkState === b.linkState,
    rate: a.minTxRate === b.minTxRate && a.maxTxRate === b.maxTxRate,
  };
  return all.filter((g) => !same[g]);
}

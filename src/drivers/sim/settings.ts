import {
  isGroupMac,
  isUnicastMac,
  MAX_GUEST_GROUPS,
  MTU_MIN,
  normaliseMac,
  SIM_CAPABILITIES,
  type VfSettingKey,
  type VfSettings,
  VLAN_MAX,
  VLAN_MIN,
  ZERO_MAC,
} from '../../model/index.js';

/** Filter table sizes of the simulated NIC (roughly an E810's, per port). */
export const MACS_PER_VF = SIM_CAPABILITIES.macsPerVf;
export const VLANS_PER_VF = SIM_CAPABILITIES.vlansPerVf;
export const MACS_PER_PF = SIM_CAPABILITIES.macsPerPf;
export const VLANS_PER_PF = SIM_CAPABILITIES.vlansPerPf;
/** Multicast groups one function may join (as many as a policy may allow); one MTA holds all. */
export const GROUPS_PER_PORT = MAX_GUEST_GROUPS;

export { defaultVfSettings } from '../../model/index.js';

export function cloneSettings(s: VfSettings): VfSettings {
  return {
    ...s,
    macFilters: [...s.macFilters],
    vlans: [...s.vlans],
    vlanFilters: [...s.vlanFilters],
    trafficShares: [...s.trafficShares],
  };
}

/** Whether two settings hold the same values (every field is a scalar or a list of them). */
export function sameSettings(a: VfSettings, b: VfSettings): boolean {
  let n = 0;
  for (const k in b) {
    n += 1;
    const x: unknown = a[k as VfSettingKey];
    const y: unknown = b[k as VfSettingKey];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  for (const _ in a) n -= 1;
  return n === 0;
}

/** A copy that cannot be changed, lists included: it is handed out more than once. */
export function frozenSettings(s: VfSettings): Readonly<VfSettings> {
  const c = cloneSettings(s);
  Object.freeze(c.macFilters);
  Object.freeze(c.vlans);
  Object.freeze(c.vlanFilters);
  Object.freeze(c.trafficShares);
  return Object.freeze(c);
}

/** What a VF value is checked against. */
export interface SettingLimits {
  pfMtu: number;
  linkSpeedMbps: number;
}

const BOOL_FIELDS = new Set<VfSettingKey>([
  'untagged',
  'stripOuterTag',
  'macAntiSpoof',
  'vlanAntiSpoof',
  'trust',
  'macGuard',
  'allowBroadcast',
  'allowMulticast',
  'allowUnknownUnicast',
  'promisc',
  'allmulti',
]);

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}

/** Checks a list value; returns the problem (allowed range and fix) or null. */
function checkList(field: VfSettingKey, value: unknown, lim: SettingLimits): string | null {
  if (!Array.isArray(value)) return `${show(value)} is not a list; give an array`;
  if (field === 'macFilters') {
    if (value.length > MACS_PER_VF - 1) {
      return `${value.length} MAC filters exceed the NIC's ${MACS_PER_VF - 1} per VF (plus the primary MAC); remove some`;
    }
    const bad = value.find((m) => typeof m !== 'string' || !isUnicastMac(m));
    return bad === undefined ? null : `${show(bad)} is not a unicast MAC; use a MAC like 02:…`;
  }
  if (field === 'vlans' || field === 'vlanFilters') {
    if (value.length > VLANS_PER_VF) {
      return `${value.length} VLANs exceed the NIC's ${VLANS_PER_VF} per VF; remove some`;
    }
    const bad = value.find((v) => !isInt(v, VLAN_MIN, VLAN_MAX));
    return bad === undefined
      ? null
      : `VLAN ${show(bad)} is out of range ${VLAN_MIN}-${VLAN_MAX}; fix the VLAN list`;
  }
  // trafficShares
  if (value.length > 8) return `${value.length} shares given; a PF has at most 8 traffic classes`;
  const bad = value.find((v) => !isInt(v, 0, 100));
  return bad === undefined
    ? null
    : `share ${show(bad)} is out of range 0-100; give a whole percent (${lim.linkSpeedMbps} Mbps link)`;
}

/** Checks one VF setting value; returns what is wrong (range and fix) or null. */
export function checkVfValue(
  field: VfSettingKey,
  value: unknown,
  lim: SettingLimits,
): string | null {
  if (BOOL_FIELDS.has(field)) {
    return typeof value === 'boolean' ? null : `${show(value)} is not a boolean; use true or false`;
  }
  switch (field) {
    case 'mac':
      return typeof value === 'string' && (value === ZERO_MAC || isUnicastMac(value))
        ? null
        : `${show(value)} is not a unicast MAC; use a MAC like 02:00:00:00:00:01 (or ${ZERO_MAC} for none)`;
    case 'macFilters':
    case 'vlans':
    case 'vlanFilters':
    case 'trafficShares':
      return checkList(field, value, lim);
    case 'vlanProto':
      return value === '802.1Q' || value === '802.1ad'
        ? null
        : `${show(value)} is not a VLAN protocol; use 802.1Q or 802.1ad`;
    case 'vlanQoS':
      return isInt(value, 0, 7) ? null : `${show(value)} is out of range 0-7 (802.1p priority)`;
    case 'linkState':
      return value === 'auto' || value === 'enable' || value === 'disable'
        ? null
        : `${show(value)} is not a link state; use auto, enable or disable`;
    case 'mtu':
      return isInt(value, MTU_MIN, lim.pfMtu)
        ? null
        : `MTU ${show(value)} is out of range ${MTU_MIN}-${lim.pfMtu}; raise the PF mtu or lower the VF's`;
    case 'minTxRate':
    case 'maxTxRate':
      return isInt(value, 0, lim.linkSpeedMbps)
        ? null
        : `${show(value)} Mbps is out of range 0-${lim.linkSpeedMbps} (the link speed); lower it`;
  }
  return `unknown VF setting "${field}"`;
}

/** Checks a multicast list as a guest's mailbox sends it; returns the problem or null. */
export function checkGroups(groups: unknown): string | null {
  if (!Array.isArray(groups)) return `${show(groups)} is not a list; give an array of MACs`;
  if (groups.length > GROUPS_PER_PORT) {
    return `${groups.length} groups exceed the NIC's ${GROUPS_PER_PORT} per function; join fewer`;
  }
  const bad = groups.find((g) => typeof g !== 'string' || !isGroupMac(g));
  return bad === undefined
    ? null
    : `${show(bad)} is not a multicast group MAC (first octet odd, not broadcast), e.g. 01:00:5e:00:00:fb`;
}

/** The stored form of a checked value: MACs lower-case, lists sorted without duplicates. */
export function normaliseValue(field: VfSettingKey, value: unknown): unknown {
  if (field === 'mac') return normaliseMac(value as string);
  if (field === 'macFilters') return [...new Set((value as string[]).map(normaliseMac))].sort();
  if (field === 'vlans' || field === 'vlanFilters')
    return [...new Set(value as number[])].sort((a, b) => a - b);
  if (field === 'trafficShares') return [...(value as number[])];
  return value;
}

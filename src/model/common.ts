import { z } from 'zod';

/** Lowest and highest 802.1Q VLAN ID a VF may use (0 and 4095 are reserved by the standard). */
export const VLAN_MIN = 1;
export const VLAN_MAX = 4094;
/** Smallest MTU Linux accepts for an Ethernet device (ETH_MIN_MTU). */
export const MTU_MIN = 68;
/** Largest MTU any supported NIC offers (jumbo frames). */
export const MTU_MAX = 9216;
/** Most VFs a PF can have (PCIe SR-IOV TotalVFs on the largest current NICs, e.g. E810). */
export const MAX_VFS_PER_PF = 256;
/** Most multicast groups one guest may join (`guestMulticast`), whatever the NIC offers. */
export const MAX_GUEST_GROUPS = 64;

export const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
export const ZERO_MAC = '00:00:00:00:00:00';

export const VlanProto = z.enum(['802.1Q', '802.1ad']);
export type VlanProto = z.infer<typeof VlanProto>;
export const LinkState = z.enum(['auto', 'enable', 'disable']);
export type LinkState = z.infer<typeof LinkState>;
export const MirrorDirection = z.enum(['in', 'out', 'all']);
export type MirrorDirection = z.infer<typeof MirrorDirection>;
export const EswitchMode = z.enum(['legacy', 'switchdev']);
export type EswitchMode = z.infer<typeof EswitchMode>;

/** Lower-case, colon-separated form, so `02:AA:…` and `02:aa:…` compare equal. */
export function normaliseMac(mac: string): string {
  return mac.toLowerCase();
}

/** True for a well-formed unicast, non-zero MAC (bit 0 of the first octet clear). */
export function isUnicastMac(mac: string): boolean {
  if (!MAC_RE.test(mac)) return false;
  if (normaliseMac(mac) === ZERO_MAC) return false;
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

/** True for a multicast group MAC a function may join: group bit set, not broadcast. */
export function isGroupMac(mac: string): boolean {
  if (!MAC_RE.test(mac)) return false;
  if (normaliseMac(mac) === 'ff:ff:ff:ff:ff:ff') return false;
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** Key of one VF on one PF, used in maps across the code base. */
export function vfKey(pf: string, vf: number): string {
  return `${pf}#${vf}`;
}

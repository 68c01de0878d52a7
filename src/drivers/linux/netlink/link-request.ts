import { attr, macToBytes, nest, strAttr, u32Attr } from './attr.js';
import {
  AF_PACKET,
  AF_UNSPEC,
  ETH_P_8021AD,
  ETH_P_8021Q,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_VF_INFO,
  IFLA_VF_LINK_STATE,
  IFLA_VF_LINK_STATE_AUTO,
  IFLA_VF_LINK_STATE_DISABLE,
  IFLA_VF_LINK_STATE_ENABLE,
  IFLA_VF_MAC,
  IFLA_VF_RATE,
  IFLA_VF_SPOOFCHK,
  IFLA_VF_TRUST,
  IFLA_VF_VLAN,
  IFLA_VF_VLAN_INFO,
  IFLA_VF_VLAN_LIST,
  IFLA_VFINFO_LIST,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF,
  RTM_GETLINK,
  RTM_SETLINK,
} from './constants.js';
import { encodeIfinfomsg, encodeMessage } from './message.js';

export type VfLinkState = 'auto' | 'enable' | 'disable';

/** The port VLAN of a VF. `proto` absent: the classic 12-byte IFLA_VF_VLAN (always 802.1Q). */
export interface VfVlan {
  vlan: number;
  qos: number;
  proto?: '802.1Q' | '802.1ad';
}

/** Everything one RTM_SETLINK can change on one VF; absent fields are left alone. */
export interface VfChange {
  vf: number;
  mac?: string;
  vlan?: VfVlan;
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: VfLinkState;
  /** Mbps; 0 = no guarantee / no limit. Both go in one IFLA_VF_RATE. */
  rate?: { min: number; max: number };
}

const LINK_STATE: Record<VfLinkState, number> = {
  auto: IFLA_VF_LINK_STATE_AUTO,
  enable: IFLA_VF_LINK_STATE_ENABLE,
  disable: IFLA_VF_LINK_STATE_DISABLE,
};

function u32s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => {
    b.writeUInt32LE(x >>> 0, i * 4);
  });
  return b;
}

/** Equivalent to: `ip link set PF vf N mac MAC` (`struct ifla_vf_mac`: u32 vf, u8 mac[32]). */
export function vfMacAttr(vf: number, mac: string): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(vf, 0);
  macToBytes(mac).copy(b, 4);
  return attr(IFLA_VF_MAC, b);
}

/**
 * Equivalent to: `ip link set PF vf N vlan V qos Q [proto P]`. With a protocol it is the
 * list form, one `struct ifla_vf_vlan_info` (u32 vf, vlan, qos; __be16 proto; 2 pad = 16
 * bytes — a 14-byte struct gets EINVAL from the kernel's policy); without, the classic
 * `struct ifla_vf_vlan` as iproute2 sends it. The kernel takes one VLAN per VF either way.
 */
export function vfVlanAttr(vf: number, v: VfVlan): Buffer {
  if (v.proto === undefined) return attr(IFLA_VF_VLAN, u32s(vf, v.vlan, v.qos));
  const info = Buffer.alloc(16);
  info.writeUInt32LE(vf, 0);
  info.writeUInt32LE(v.vlan, 4);
  info.writeUInt32LE(v.qos, 8);
  info.writeUInt16BE(v.proto === '802.1ad' ? ETH_P_8021AD : ETH_P_8021Q, 12);
  return nest(IFLA_VF_VLAN_LIST, [attr(IFLA_VF_VLAN_INFO, info)]);
}

/** Equivalent to: `ip link set PF vf N spoofchk on|off`. */
export function vfSpoofchkAttr(vf: number, on: boolean): Buffer {
  return attr(IFLA_VF_SPOOFCHK, u32s(vf, on ? 1 : 0));
}

/** Equivalent to: `ip link set PF vf N trust on|off`. */
export function vfTrustAttr(vf: number, on: boolean): Buffer {
  return attr(IFLA_VF_TRUST, u32s(vf, on ? 1 : 0));
}

/** Equivalent to: `ip link set PF vf N state auto|enable|disable`. */
export function vfLinkStateAttr(vf: number, s: VfLinkState): Buffer {
  return attr(IFLA_VF_LINK_STATE, u32s(vf, LINK_STATE[s]));
}

/** Equivalent to: `ip link set PF vf N min_tx_rate MIN max_tx_rate MAX` (Mbps). */
export function vfRateAttr(vf: number, min: number, max: number): Buffer {
  return attr(IFLA_VF_RATE, u32s(vf, min, max));
}

/**
 * One IFLA_VF_INFO with every field of the change, in iproute2's order. The kernel applies
 * them in its own fixed order (mac, vlan, rate, spoofchk, link state, trust) and stops at
 * the first refusal, so the caller retries field by field to tell which one failed.
 */
export function vfInfoAttr(c: VfChange): Buffer {
  const parts: Buffer[] = [];
  if (c.mac !== undefined) parts.push(vfMacAttr(c.vf, c.mac));
  if (c.vlan !== undefined) parts.push(vfVlanAttr(c.vf, c.vlan));
  if (c.spoofchk !== undefined) parts.push(vfSpoofchkAttr(c.vf, c.spoofchk));
  if (c.trust !== undefined) parts.push(vfTrustAttr(c.vf, c.trust));
  if (c.linkState !== undefined) parts.push(vfLinkStateAttr(c.vf, c.linkState));
  if (c.rate !== undefined) parts.push(vfRateAttr(c.vf, c.rate.min, c.rate.max));
  return nest(IFLA_VF_INFO, parts);
}

/**
 * RTM_SETLINK on the PF with one IFLA_VF_INFO per change.
 * Equivalent to: `ip link set PF vf N mac … vlan … qos … proto … spoofchk … trust … state …
 * min_tx_rate … max_tx_rate …`. iproute2 sends RTM_NEWLINK for this; the kernel routes both
 * to the same do_setlink(), and RTM_SETLINK can never create a link by mistake.
 */
export function setVfsRequest(ifindex: number, changes: VfChange[], seq = 0): Buffer {
  return encodeMessage({ type: RTM_SETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC, index: ifindex }),
    nest(IFLA_VFINFO_LIST, changes.map(vfInfoAttr)),
  ]);
}

/**
 * Equivalent to: `ip link set PF mtu N`. (On igb this resets every VF: callers must only
 * send it when the MTU really differs.)
 */
export function setMtuRequest(ifindex: number, mtu: number, seq = 0): Buffer {
  return encodeMessage({ type: RTM_SETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC, index: ifindex }),
    u32Attr(IFLA_MTU, mtu),
  ]);
}

export interface GetLinkOptions {
  /** Ask by ifindex, or by name (as `ip link show DEV` does). */
  index?: number;
  name?: string;
  /** Include per-VF counters (IFLA_VF_STATS); ~100 bytes more per VF. */
  stats: boolean;
}

/**
 * RTM_GETLINK for one link with its VF list. Equivalent to: `ip -d [-s] link show PF`
 * (iproute2 always asks with stats; we leave them out when only config is needed:
 * RTEXT_FILTER_SKIP_STATS, which keeps 256 VFs under the 64 KiB attribute limit).
 */
export function getLinkRequest(o: GetLinkOptions, seq = 0): Buffer {
  const mask = RTEXT_FILTER_VF | (o.stats ? 0 : RTEXT_FILTER_SKIP_STATS);
  const attrs = o.name !== undefined ? [strAttr(IFLA_IFNAME, o.name)] : [];
  // With NLM_F_ACK the kernel sends the link then an ACK, so every request ends in an ACK.
  return encodeMessage({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_PACKET, index: o.index ?? 0 }),
    ...attrs,
    u32Attr(IFLA_EXT_MASK, mask),
  ]);
}

/** RTM_GETLINK dump of every link. Equivalent to: `ip -d [-s] link show`. */
export function dumpLinksRequest(stats: boolean, seq = 0): Buffer {
  const mask = RTEXT_FILTER_VF | (stats ? 0 : RTEXT_FILTER_SKIP_STATS);
  return encodeMessage({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC }),
    u32Attr(IFLA_EXT_MASK, mask),
  ]);
}

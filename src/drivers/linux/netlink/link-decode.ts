import { align4, bytesToMac, readStr, readU8, readU32 } from './attr.js';
import { decodeLinkInfo, IFLA_LINKINFO, IFLA_MASTER, type LinkKind } from './bond.js';
import {
  IFF_LOWER_UP,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_CARRIER,
  IFLA_IFNAME,
  IFLA_MAX_MTU,
  IFLA_MTU,
  IFLA_NUM_VF,
  IFLA_OPERSTATE,
  IFLA_PARENT_DEV_BUS_NAME,
  IFLA_PARENT_DEV_NAME,
  IFLA_PHYS_PORT_NAME,
  IFLA_PHYS_SWITCH_ID,
  IFLA_STATS64,
  IFLA_VF_INFO,
  IFLA_VFINFO_LIST,
  NLA_HDRLEN,
  NLA_TYPE_MASK,
} from './constants.js';
import { decodeIfinfomsg } from './message.js';
import { decodeVfInfo, type VfInfo } from './vf-decode.js';

/** The PF-level counters (`struct rtnl_link_stats64`, first fields). */
export interface LinkStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
  multicast: number;
}

/** One link as decoded from RTM_NEWLINK. */
export interface LinkInfo {
  index: number;
  name: string;
  flags: number;
  up: boolean;
  lowerUp: boolean;
  mtu: number;
  maxMtu?: number;
  address?: string;
  operstate?: number;
  carrier?: boolean;
  parentBus?: string;
  parentDev?: string;
  physPortName?: string;
  physSwitchId?: string;
  /** IFLA_NUM_VF: how many VFs the PF has (absent on links without SR-IOV). */
  numVfs?: number;
  vfs: VfInfo[];
  stats?: LinkStats;
  /** IFLA_MASTER: ifindex of the bond (or bridge) this link is enslaved to. */
  master?: number;
  /** IFLA_LINKINFO: the link's kind and, for a bond or a bond member, its bond state. */
  linkInfo?: LinkKind;
}

function decodeStats64(b: Buffer | undefined): LinkStats | undefined {
  if (!b || b.length < 72) return undefined;
  const u = (i: number) => Number(b.readBigUInt64LE(i * 8));
  return {
    rxPackets: u(0),
    txPackets: u(1),
    rxBytes: u(2),
    txBytes: u(3),
    rxErrors: u(4),
    txErrors: u(5),
    rxDropped: u(6),
    txDropped: u(7),
    multicast: u(8),
  };
}

/**
 * Walks IFLA_VF_INFO entries from `start`. IFLA_VFINFO_LIST has a 16-bit length that the
 * kernel lets wrap when the list passes 64 KiB (about 220 VFs with stats, see
 * notes/netlink-facts.md); iproute2 trusts it and loses VFs. We trust the count
 * (IFLA_NUM_VF, sent just before the list) and each entry's own length, and stop at the
 * message end. Returns the VFs and the offset just after the last one.
 */
export function walkVfList(
  buf: Buffer,
  start: number,
  end: number,
  count: number | undefined,
): { vfs: VfInfo[]; next: number } {
  const vfs: VfInfo[] = [];
  let off = start;
  while (off + NLA_HDRLEN <= end && (count === undefined || vfs.length < count)) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (type !== IFLA_VF_INFO || len < NLA_HDRLEN || off + len > end) break;
    vfs.push(decodeVfInfo(buf.subarray(off + NLA_HDRLEN, off + len)));
    off += align4(len);
  }
  return { vfs, next: off };
}

/** Decodes the payload of an RTM_NEWLINK message (ifinfomsg + attributes). */
export function decodeLink(payload: Buffer): LinkInfo {
  const ifi = decodeIfinfomsg(payload);
  const top = new Map<number, Buffer>();
  let vfs: VfInfo[] = [];
  let off = IFINFOMSG_LEN;
  // Manual walk of the top level: at IFLA_VFINFO_LIST the declared length may have wrapped,
  // so the list is walked by count and the walk resumes where the last VF ended.
  while (off + NLA_HDRLEN <= payload.length) {
    const len = payload.readUInt16LE(off);
    const type = payload.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN) break;
    if (type === IFLA_VFINFO_LIST) {
      const numVfs = readU32(top.get(IFLA_NUM_VF));
      const walked = walkVfList(payload, off + NLA_HDRLEN, payload.length, numVfs);
      vfs = walked.vfs;
      // Without a count (never seen) fall back to the declared length.
      off = numVfs === undefined ? off + align4(len) : Math.max(walked.next, off + align4(len));
      continue;
    }
    if (off + len > payload.length) break;
    top.set(type, payload.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  const addr = top.get(IFLA_ADDRESS);
  const switchId = top.get(IFLA_PHYS_SWITCH_ID);
  const carrier = readU8(top.get(IFLA_CARRIER));
  return {
    index: ifi.index,
    name: readStr(top.get(IFLA_IFNAME)) ?? '',
    flags: ifi.flags,
    up: (ifi.flags & IFF_UP) !== 0,
    lowerUp: (ifi.flags & IFF_LOWER_UP) !== 0,
    mtu: readU32(top.get(IFLA_MTU)) ?? 0,
    maxMtu: readU32(top.get(IFLA_MAX_MTU)),
    address: addr ? bytesToMac(addr, addr.length) : undefined,
    operstate: readU8(top.get(IFLA_OPERSTATE)),
    carrier: carrier === undefined ? undefined : carrier !== 0,
    parentBus: readStr(top.get(IFLA_PARENT_DEV_BUS_NAME)),
    parentDev: readStr(top.get(IFLA_PARENT_DEV_NAME)),
    physPortName: readStr(top.get(IFLA_PHYS_PORT_NAME)),
    physSwitchId: switchId?.toString('hex'),
    numVfs: readU32(top.get(IFLA_NUM_VF)),
    vfs,
    stats: decodeStats64(top.get(IFLA_STATS64)),
    master: readU32(top.get(IFLA_MASTER)),
    linkInfo: decodeLinkInfo(top.get(IFLA_LINKINFO)),
  };
}

/**
 * Bonds over rtnetlink: create (`ip link add NAME type bond mode … miimon …`), enslave
 * (`ip link set DEV master BOND`), release, delete, and the bond's and a member's state as
 * the kernel reports them in IFLA_LINKINFO (IFLA_BOND_* on the bond, IFLA_BOND_SLAVE_* on
 * each member). Numbers from linux/if_link.h and linux/if_bonding.h (6.1); kept here rather
 * than in constants.ts because only bonds use them.
 */
import type { LacpRate, LagMode, XmitHashPolicy } from '../../../model/index.js';
import { attrTable, nest, readStr, readU8, readU32, strAttr, u8Attr, u32Attr } from './attr.js';
import { AF_UNSPEC, IFF_UP, NLM_F_ACK, NLM_F_REQUEST, RTM_SETLINK } from './constants.js';
import { encodeIfinfomsg, encodeMessage } from './message.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const IFLA_IFNAME = 3;
export const IFLA_MASTER = 10;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;

export const IFLA_BOND_MODE = 1;
export const IFLA_BOND_ACTIVE_SLAVE = 2;
export const IFLA_BOND_MIIMON = 3;
export const IFLA_BOND_PRIMARY = 11;
export const IFLA_BOND_XMIT_HASH_POLICY = 14;
export const IFLA_BOND_AD_LACP_RATE = 21;

export const IFLA_BOND_SLAVE_STATE = 1;
export const IFLA_BOND_SLAVE_MII_STATUS = 2;
export const IFLA_BOND_SLAVE_LINK_FAILURE_COUNT = 3;

/** BOND_MODE_* of if_bonding.h for the modes nicvisor builds. */
const MODE: Record<LagMode, number> = { 'active-backup': 1, 'balance-xor': 2, '802.3ad': 4 };
/** BOND_XMIT_POLICY_*: layer2 0, layer3+4 1, layer2+3 2. */
const HASH: Record<XmitHashPolicy, number> = { layer2: 0, 'layer3+4': 1, 'layer2+3': 2 };
const LACP: Record<LacpRate, number> = { slow: 0, fast: 1 };
/** BOND_STATE_ACTIVE, BOND_LINK_UP. */
const SLAVE_ACTIVE = 0;
const MII_UP = 0;

function reverse<K extends string>(m: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}
const MODE_NAME = reverse(MODE);
const HASH_NAME = reverse(HASH);

export interface BondSettings {
  mode: LagMode;
  miimon: number;
  xmitHashPolicy: XmitHashPolicy;
  lacpRate: LacpRate;
}

/**
 * Equivalent to: `ip link add NAME type bond mode M miimon N [xmit_hash_policy H]
 * [lacp_rate R]`. The hash goes only with the hashed modes and the rate only with 802.3ad,
 * as the kernel ignores them otherwise.
 */
export function newBondRequest(name: string, s: BondSettings, seq = 0): Buffer {
  const data = [u8Attr(IFLA_BOND_MODE, MODE[s.mode]), u32Attr(IFLA_BOND_MIIMON, s.miimon)];
  if (s.mode !== 'active-backup')
    data.push(u8Attr(IFLA_BOND_XMIT_HASH_POLICY, HASH[s.xmitHashPolicy]));
  if (s.mode === '802.3ad') data.push(u8Attr(IFLA_BOND_AD_LACP_RATE, LACP[s.lacpRate]));
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  return encodeMessage({ type: RTM_NEWLINK, flags, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC }),
    strAttr(IFLA_IFNAME, name),
    nest(IFLA_LINKINFO, [strAttr(IFLA_INFO_KIND, 'bond'), nest(IFLA_INFO_DATA, data)]),
  ]);
}

/** Equivalent to: `ip link set BOND type bond primary DEV` (after DEV is enslaved). */
export function setPrimaryRequest(bond: number, primary: number, seq = 0): Buffer {
  return encodeMessage({ type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC, index: bond }),
    nest(IFLA_LINKINFO, [
      strAttr(IFLA_INFO_KIND, 'bond'),
      nest(IFLA_INFO_DATA, [u32Attr(IFLA_BOND_PRIMARY, primary)]),
    ]),
  ]);
}

/** Equivalent to: `ip link set DEV master BOND`, or `ip link set DEV nomaster` with 0. */
export function setMasterRequest(dev: number, master: number, seq = 0): Buffer {
  return encodeMessage({ type: RTM_SETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC, index: dev }),
    u32Attr(IFLA_MASTER, master),
  ]);
}

/** Equivalent to: `ip link set DEV up|down`. */
export function setUpRequest(dev: number, up: boolean, seq = 0): Buffer {
  return encodeMessage({ type: RTM_SETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC, index: dev, flags: up ? IFF_UP : 0, change: IFF_UP }),
  ]);
}

/** Equivalent to: `ip link del DEV`. */
export function delLinkRequest(dev: number, seq = 0): Buffer {
  return encodeMessage({ type: RTM_DELLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, [
    encodeIfinfomsg({ family: AF_UNSPEC, index: dev }),
  ]);
}

/** A bond as the kernel reports it (`ip -d link show BOND`). */
export interface BondInfo {
  mode?: LagMode;
  /** The raw BOND_MODE_* when it is none nicvisor builds (balance-rr, tlb, alb …). */
  rawMode: number;
  miimon: number;
  xmitHashPolicy?: XmitHashPolicy;
  lacpRate: LacpRate;
  /** ifindex of the active member (active-backup), 0 when none. */
  activeSlave: number;
  /** ifindex of the primary member, 0 when none. */
  primary: number;
}

/** A member as the kernel reports it (`ip -d link show DEV`, "bond_slave …"). */
export interface BondSlaveInfo {
  /** BOND_STATE_ACTIVE: it carries traffic (active-backup: the active one). */
  active: boolean;
  /** BOND_LINK_UP as the bond's link monitor last saw it. */
  miiUp: boolean;
  linkFailures: number;
}

export interface LinkKind {
  kind?: string;
  slaveKind?: string;
  bond?: BondInfo;
  bondSlave?: BondSlaveInfo;
}

/** Decodes IFLA_LINKINFO (the payload of the attribute). */
export function decodeLinkInfo(b: Buffer | undefined): LinkKind {
  if (!b) return {};
  const t = attrTable(b);
  const kind = readStr(t.get(IFLA_INFO_KIND));
  const slaveKind = readStr(t.get(IFLA_INFO_SLAVE_KIND));
  const out: LinkKind = { kind, slaveKind };
  const data = t.get(IFLA_INFO_DATA);
  if (kind === 'bond' && data) {
    const d = attrTable(data);
    const rawMode = readU8(d.get(IFLA_BOND_MODE)) ?? 0;
    const hash = readU8(d.get(IFLA_BOND_XMIT_HASH_POLICY));
    out.bond = {
      mode: MODE_NAME.get(rawMode),
      rawMode,
      miimon: readU32(d.get(IFLA_BOND_MIIMON)) ?? 0,
      xmitHashPolicy: hash === undefined ? 'layer2' : HASH_NAME.get(hash),
      lacpRate: readU8(d.get(IFLA_BOND_AD_LACP_RATE)) === 1 ? 'fast' : 'slow',
      activeSlave: readU32(d.get(IFLA_BOND_ACTIVE_SLAVE)) ?? 0,
      primary: readU32(d.get(IFLA_BOND_PRIMARY)) ?? 0,
    };
  }
  const sdata = t.get(IFLA_INFO_SLAVE_DATA);
  if (slaveKind === 'bond' && sdata) {
    const d = attrTable(sdata);
    out.bondSlave = {
      active: readU8(d.get(IFLA_BOND_SLAVE_STATE)) === SLAVE_ACTIVE,
      miiUp: readU8(d.get(IFLA_BOND_SLAVE_MII_STATUS)) === MII_UP,
      linkFailures: readU32(d.get(IFLA_BOND_SLAVE_LINK_FAILURE_COUNT)) ?? 0,
    };
  }
  return out;
}

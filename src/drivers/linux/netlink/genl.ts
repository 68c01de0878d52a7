import { attrTable, readStr, readU16, readU32, strAttr, u16Attr } from './attr.js';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  DEVLINK_ATTR_BUS_NAME,
  DEVLINK_ATTR_DEV_NAME,
  DEVLINK_ATTR_ESWITCH_MODE,
  DEVLINK_ATTR_PORT_FLAVOUR,
  DEVLINK_ATTR_PORT_INDEX,
  DEVLINK_ATTR_PORT_NETDEV_IFINDEX,
  DEVLINK_ATTR_PORT_NETDEV_NAME,
  DEVLINK_ATTR_PORT_PCI_PF_NUMBER,
  DEVLINK_ATTR_PORT_PCI_VF_NUMBER,
  DEVLINK_CMD_ESWITCH_GET,
  DEVLINK_CMD_ESWITCH_SET,
  DEVLINK_CMD_PORT_GET,
  DEVLINK_ESWITCH_MODE_SWITCHDEV,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
} from './constants.js';
import { encodeMessage, type NlMsg } from './message.js';

/** `struct genlmsghdr`: cmd, version, 2 reserved bytes. */
function genlHeader(cmd: number, version = 1): Buffer {
  return Buffer.from([cmd, version, 0, 0]);
}

function genlAttrs(msg: NlMsg): Map<number, Buffer> {
  return attrTable(msg.payload, GENL_HDRLEN);
}

/** Resolve a generic netlink family's id. Equivalent to: `genl ctrl get name NAME`. */
export function getFamilyRequest(name: string): Buffer {
  return encodeMessage({ type: GENL_ID_CTRL, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 0 }, [
    genlHeader(CTRL_CMD_GETFAMILY),
    strAttr(CTRL_ATTR_FAMILY_NAME, name),
  ]);
}

export function decodeFamilyId(msg: NlMsg): number | undefined {
  return readU16(genlAttrs(msg).get(CTRL_ATTR_FAMILY_ID));
}

/** A devlink device handle `BUS/DEV`, e.g. `pci/0000:01:00.0` or `netdevsim/netdevsim10`. */
export interface DevlinkHandle {
  bus: string;
  dev: string;
}

function handleAttrs(h: DevlinkHandle): Buffer[] {
  return [strAttr(DEVLINK_ATTR_BUS_NAME, h.bus), strAttr(DEVLINK_ATTR_DEV_NAME, h.dev)];
}

export type EswitchModeName = 'legacy' | 'switchdev';

/** Equivalent to: `devlink dev eswitch show BUS/DEV`. */
export function eswitchGetRequest(family: number, h: DevlinkHandle): Buffer {
  return encodeMessage({ type: family, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 0 }, [
    genlHeader(DEVLINK_CMD_ESWITCH_GET),
    ...handleAttrs(h),
  ]);
}

/**
 * Equivalent to: `devlink dev eswitch set BUS/DEV mode legacy|switchdev`. Done over genl
 * like everything else (no process to spawn); the driver's work behind it takes seconds on
 * real NICs, so the transport's timeout for this request is long.
 */
export function eswitchSetRequest(family: number, h: DevlinkHandle, mode: EswitchModeName): Buffer {
  return encodeMessage({ type: family, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 0 }, [
    genlHeader(DEVLINK_CMD_ESWITCH_SET),
    ...handleAttrs(h),
    u16Attr(DEVLINK_ATTR_ESWITCH_MODE, mode === 'switchdev' ? DEVLINK_ESWITCH_MODE_SWITCHDEV : 0),
  ]);
}

export function decodeEswitchMode(msg: NlMsg): EswitchModeName | undefined {
  const m = readU16(genlAttrs(msg).get(DEVLINK_ATTR_ESWITCH_MODE));
  if (m === undefined) return undefined;
  return m === DEVLINK_ESWITCH_MODE_SWITCHDEV ? 'switchdev' : 'legacy';
}

/** Equivalent to: `devlink port show` (dump of every port of every device). */
export function portDumpRequest(family: number): Buffer {
  return encodeMessage({ type: family, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: 0 }, [
    genlHeader(DEVLINK_CMD_PORT_GET),
  ]);
}

/** One devlink port; in switchdev mode a `pcivf` port's netdev is the VF's representor. */
export interface DevlinkPort extends DevlinkHandle {
  index: number;
  flavour?: number;
  pfNumber?: number;
  vfNumber?: number;
  netdev?: string;
  ifindex?: number;
}

export function decodePort(msg: NlMsg): DevlinkPort {
  const t = genlAttrs(msg);
  return {
    bus: readStr(t.get(DEVLINK_ATTR_BUS_NAME)) ?? '',
    dev: readStr(t.get(DEVLINK_ATTR_DEV_NAME)) ?? '',
    index: readU32(t.get(DEVLINK_ATTR_PORT_INDEX)) ?? 0,
    flavour: readU16(t.get(DEVLINK_ATTR_PORT_FLAVOUR)),
    pfNumber: readU16(t.get(DEVLINK_ATTR_PORT_PCI_PF_NUMBER)),
    vfNumber: readU16(t.get(DEVLINK_ATTR_PORT_PCI_VF_NUMBER)),
    netdev: readStr(t.get(DEVLINK_ATTR_PORT_NETDEV_NAME)),
    ifindex: readU32(t.get(DEVLINK_ATTR_PORT_NETDEV_IFINDEX)),
  };
}

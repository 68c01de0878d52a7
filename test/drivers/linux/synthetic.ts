import {
  attr,
  macToBytes,
  nest,
  strAttr,
  u32Attr,
} from '../../../src/drivers/linux/netlink/attr.js';
import {
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_NUM_VF,
  IFLA_VF_INFO,
  IFLA_VF_LINK_STATE,
  IFLA_VF_MAC,
  IFLA_VF_RATE,
  IFLA_VF_RSS_QUERY_EN,
  IFLA_VF_SPOOFCHK,
  IFLA_VF_STATS,
  IFLA_VF_TRUST,
  IFLA_VF_TX_RATE,
  IFLA_VF_VLAN,
  IFLA_VF_VLAN_INFO,
  IFLA_VF_VLAN_LIST,
  IFLA_VFINFO_LIST,
  RTM_NEWLINK,
} from '../../../src/drivers/linux/netlink/constants.js';
import { encodeIfinfomsg, encodeMessage } from '../../../src/drivers/linux/netlink/message.js';

function u32s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => {
    b.writeUInt32LE(x >>> 0, i * 4);
  });
  return b;
}

function u64(type: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return attr(type, b);
}

/** One IFLA_VF_INFO laid out as rtnl_fill_vfinfo() (Linux 6.1) fills it. */
export function kernelVfInfo(vf: number, stats: boolean): Buffer {
  const mac = Buffer.alloc(36);
  mac.writeUInt32LE(vf);
  macToBytes(
    `02:00:00:00:${(vf >> 8).toString(16).padStart(2, '0')}:${(vf & 0xff).toString(16).padStart(2, '0')}`,
  ).copy(mac, 4);
  const bcast = Buffer.alloc(32, 0xff);
  const vlanInfo = Buffer.alloc(16);
  vlanInfo.writeUInt32LE(vf, 0);
  vlanInfo.writeUInt32LE(vf + 1, 4);
  vlanInfo.writeUInt32LE(vf % 8, 8);
  vlanInfo.writeUInt16BE(0x8100, 12);
  const parts = [
    attr(IFLA_VF_MAC, mac),
    attr(13, bcast), // IFLA_VF_BROADCAST
    attr(IFLA_VF_VLAN, u32s(vf, vf + 1, vf % 8)),
    attr(IFLA_VF_RATE, u32s(vf, 0, vf * 10)),
    attr(IFLA_VF_TX_RATE, u32s(vf, vf * 10)),
    attr(IFLA_VF_SPOOFCHK, u32s(vf, vf % 2)),
    attr(IFLA_VF_LINK_STATE, u32s(vf, vf % 3)),
    attr(IFLA_VF_RSS_QUERY_EN, u32s(vf, 0)),
    attr(IFLA_VF_TRUST, u32s(vf, 0)),
    nest(IFLA_VF_VLAN_LIST, [attr(IFLA_VF_VLAN_INFO, vlanInfo)]),
  ];
  if (stats) {
    parts.push(
      nest(IFLA_VF_STATS, [
        u64(0, vf * 1000 + 1),
        u64(1, vf * 1000 + 2),
        u64(2, vf * 1000 + 3),
        u64(3, vf * 1000 + 4),
        u64(4, 5),
        u64(5, 6),
        attr(6, Buffer.alloc(0)),
        u64(7, 7),
        u64(8, 8),
      ]),
    );
  }
  return nest(IFLA_VF_INFO, parts);
}

/**
 * An RTM_NEWLINK for a PF with `count` VFs. Like the kernel's nla_nest_end(), the VF list's
 * 16-bit length is written modulo 64 KiB, so past ~220 VFs with stats it wraps.
 */
export function kernelPfMessage(count: number, stats: boolean): Buffer {
  const vfs = Buffer.concat(Array.from({ length: count }, (_, i) => kernelVfInfo(i, stats)));
  const list = Buffer.alloc(4 + vfs.length);
  list.writeUInt16LE((4 + vfs.length) & 0xffff, 0);
  list.writeUInt16LE(IFLA_VFINFO_LIST, 2);
  vfs.copy(list, 4);
  return encodeMessage({ type: RTM_NEWLINK, flags: 0, seq: 1 }, [
    encodeIfinfomsg({ index: 7, flags: 1 }),
    strAttr(IFLA_IFNAME, 'pf0'),
    u32Attr(IFLA_MTU, 1500),
    u32Attr(IFLA_NUM_VF, count),
    list,
    nest(24, [nest(1, [u32Attr(1, 1)])]), // IFLA_VF_PORTS after the list, as the kernel sends
  ]);
}

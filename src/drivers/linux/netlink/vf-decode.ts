import { attrs, attrTable, bytesToMac, readU32, readU64 } from './attr.js';
import {
  ETH_P_8021AD,
  IFLA_VF_LINK_STATE,
  IFLA_VF_LINK_STATE_DISABLE,
  IFLA_VF_LINK_STATE_ENABLE,
  IFLA_VF_MAC,
  IFLA_VF_RATE,
  IFLA_VF_RSS_QUERY_EN,
  IFLA_VF_SPOOFCHK,
  IFLA_VF_STATS,
  IFLA_VF_STATS_BROADCAST,
  IFLA_VF_STATS_MULTICAST,
  IFLA_VF_STATS_RX_BYTES,
  IFLA_VF_STATS_RX_DROPPED,
  IFLA_VF_STATS_RX_PACKETS,
  IFLA_VF_STATS_TX_BYTES,
  IFLA_VF_STATS_TX_DROPPED,
  IFLA_VF_STATS_TX_PACKETS,
  IFLA_VF_TRUST,
  IFLA_VF_VLAN,
  IFLA_VF_VLAN_INFO,
  IFLA_VF_VLAN_LIST,
} from './constants.js';
import type { VfLinkState } from './link-request.js';

/** Per-VF counters from IFLA_VF_STATS (what the PF driver reports; absent with SKIP_STATS). */
export interface VfStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  broadcast: number;
  multicast: number;
  rxDropped: number;
  txDropped: number;
}

/** One VF as the PF driver reports it (`ip link show PF` → `vf N …`). */
export interface VfInfo {
  vf: number;
  mac: string;
  vlan: number;
  qos: number;
  vlanProto: '802.1Q' | '802.1ad';
  /** Undefined when the driver does not report it (the kernel sends -1). */
  spoofchk?: boolean;
  trust?: boolean;
  linkState: VfLinkState;
  minTxRate: number;
  maxTxRate: number;
  rssQuery?: boolean;
  stats?: VfStats;
}

/** The kernel pre-fills spoofchk/trust/rss with -1 and a driver may leave them so. */
function flag(b: Buffer | undefined): boolean | undefined {
  if (!b || b.length < 8) return undefined;
  const v = b.readUInt32LE(4);
  return v === 0xffffffff ? undefined : v !== 0;
}

function decodeVfStats(b: Buffer | undefined): VfStats | undefined {
  if (!b) return undefined;
  const t = attrTable(b);
  const n = (k: number) => readU64(t.get(k)) ?? 0;
  return {
    rxPackets: n(IFLA_VF_STATS_RX_PACKETS),
    txPackets: n(IFLA_VF_STATS_TX_PACKETS),
    rxBytes: n(IFLA_VF_STATS_RX_BYTES),
    txBytes: n(IFLA_VF_STATS_TX_BYTES),
    broadcast: n(IFLA_VF_STATS_BROADCAST),
    multicast: n(IFLA_VF_STATS_MULTICAST),
    rxDropped: n(IFLA_VF_STATS_RX_DROPPED),
    txDropped: n(IFLA_VF_STATS_TX_DROPPED),
  };
}

function linkState(b: Buffer | undefined): VfLinkState {
  const v = b && b.length >= 8 ? b.readUInt32LE(4) : 0;
  if (v === IFLA_VF_LINK_STATE_ENABLE) return 'enable';
  if (v === IFLA_VF_LINK_STATE_DISABLE) return 'disable';
  return 'auto';
}

/** Decodes the payload of one IFLA_VF_INFO. */
export function decodeVfInfo(b: Buffer): VfInfo {
  const t = attrTable(b);
  const mac = t.get(IFLA_VF_MAC);
  const vlan = t.get(IFLA_VF_VLAN);
  const rate = t.get(IFLA_VF_RATE);
  const info: VfInfo = {
    vf: readU32(mac) ?? readU32(vlan) ?? 0,
    mac: mac && mac.length >= 10 ? bytesToMac(mac.subarray(4)) : '00:00:00:00:00:00',
    vlan: vlan && vlan.length >= 12 ? vlan.readUInt32LE(4) : 0,
    qos: vlan && vlan.length >= 12 ? vlan.readUInt32LE(8) : 0,
    vlanProto: '802.1Q',
    spoofchk: flag(t.get(IFLA_VF_SPOOFCHK)),
    trust: flag(t.get(IFLA_VF_TRUST)),
    linkState: linkState(t.get(IFLA_VF_LINK_STATE)),
    minTxRate: rate && rate.length >= 12 ? rate.readUInt32LE(4) : 0,
    maxTxRate: rate && rate.length >= 12 ? rate.readUInt32LE(8) : 0,
    rssQuery: flag(t.get(IFLA_VF_RSS_QUERY_EN)),
    stats: decodeVfStats(t.get(IFLA_VF_STATS)),
  };
  // The list form carries the protocol; the kernel sends both forms.
  const list = t.get(IFLA_VF_VLAN_LIST);
  if (list) {
    for (const a of attrs(list)) {
      if (a.type === IFLA_VF_VLAN_INFO && a.data.length >= 14) {
        info.vlan = a.data.readUInt32LE(4);
        info.qos = a.data.readUInt32LE(8);
        info.vlanProto = a.data.readUInt16BE(12) === ETH_P_8021AD ? '802.1ad' : '802.1Q';
      }
    }
  }
  return info;
}

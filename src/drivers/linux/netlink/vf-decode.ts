import { attrs, bytesToMac, scanSlots } from './attr.js';
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

// Scratch for scanSlots (decoding is synchronous; the stats nest has its own pair).
const AT = new Int32Array(IFLA_VF_VLAN_LIST + 1);
const LEN = new Int32Array(IFLA_VF_VLAN_LIST + 1);
const STAT_AT = new Int32Array(IFLA_VF_STATS_TX_DROPPED + 1);
const STAT_LEN = new Int32Array(IFLA_VF_STATS_TX_DROPPED + 1);

/** The u32 at `field` (bytes) of attribute `type`, when its payload reaches that far. */
function u32(b: Buffer, type: number, field: number): number | undefined {
  return AT[type] >= 0 && LEN[type] >= field + 4 ? b.readUInt32LE(AT[type] + field) : undefined;
}

/** The kernel pre-fills spoofchk/trust/rss with -1 and a driver may leave them so. */
function flag(b: Buffer, type: number): boolean | undefined {
  const v = u32(b, type, 4);
  return v === undefined || v === 0xffffffff ? undefined : v !== 0;
}

function decodeVfStats(b: Buffer, off: number, len: number): VfStats {
  const nest = b.subarray(off, off + len);
  scanSlots(nest, STAT_AT, STAT_LEN);
  // A u64 as lo + hi·2³² (no BigInt): exact up to 2^53, beyond any VF's lifetime.
  const n = (k: number) =>
    STAT_AT[k] >= 0 && STAT_LEN[k] >= 8
      ? nest.readUInt32LE(STAT_AT[k]) + nest.readUInt32LE(STAT_AT[k] + 4) * 0x1_0000_0000
      : 0;
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

function linkState(b: Buffer): VfLinkState {
  const v = u32(b, IFLA_VF_LINK_STATE, 4);
  if (v === IFLA_VF_LINK_STATE_ENABLE) return 'enable';
  if (v === IFLA_VF_LINK_STATE_DISABLE) return 'disable';
  return 'auto';
}

/** Decodes the payload of one IFLA_VF_INFO. */
export function decodeVfInfo(b: Buffer): VfInfo {
  scanSlots(b, AT, LEN);
  const vlanOk = LEN[IFLA_VF_VLAN] >= 12;
  const rateOk = LEN[IFLA_VF_RATE] >= 12;
  const info: VfInfo = {
    vf: u32(b, IFLA_VF_MAC, 0) ?? u32(b, IFLA_VF_VLAN, 0) ?? 0,
    mac:
      AT[IFLA_VF_MAC] >= 0 && LEN[IFLA_VF_MAC] >= 10
        ? bytesToMac(b.subarray(AT[IFLA_VF_MAC] + 4, AT[IFLA_VF_MAC] + LEN[IFLA_VF_MAC]))
        : '00:00:00:00:00:00',
    vlan: vlanOk ? b.readUInt32LE(AT[IFLA_VF_VLAN] + 4) : 0,
    qos: vlanOk ? b.readUInt32LE(AT[IFLA_VF_VLAN] + 8) : 0,
    vlanProto: '802.1Q',
    spoofchk: flag(b, IFLA_VF_SPOOFCHK),
    trust: flag(b, IFLA_VF_TRUST),
    linkState: linkState(b),
    minTxRate: rateOk ? b.readUInt32LE(AT[IFLA_VF_RATE] + 4) : 0,
    maxTxRate: rateOk ? b.readUInt32LE(AT[IFLA_VF_RATE] + 8) : 0,
    rssQuery: flag(b, IFLA_VF_RSS_QUERY_EN),
    stats: undefined,
  };
  if (AT[IFLA_VF_STATS] >= 0) info.stats = decodeVfStats(b, AT[IFLA_VF_STATS], LEN[IFLA_VF_STATS]);
  // The list form carries the protocol; the kernel sends both forms.
  const listAt = AT[IFLA_VF_VLAN_LIST];
  if (listAt >= 0) {
    for (const a of attrs(b, listAt, listAt + LEN[IFLA_VF_VLAN_LIST])) {
      if (a.type === IFLA_VF_VLAN_INFO && a.data.length >= 14) {
        info.vlan = a.data.readUInt32LE(4);
        info.qos = a.data.readUInt32LE(8);
        info.vlanProto = a.data.readUInt16BE(12) === ETH_P_8021AD ? '802.1ad' : '802.1Q';
      }
    }
  }
  return info;
}

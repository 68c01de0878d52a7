import type { VfCounters } from '../../model/index.js';
import { zeroCounters } from '../../model/index.js';
import type { VfStats } from './netlink/vf-decode.js';

/**
 * IFLA_VF_STATS as the model's counters. The kernel reports no per-VF errors, spoof drops
 * or mirror copies through rtnetlink (some drivers have them in `ethtool -S`): those stay 0.
 * The PF driver reports `broadcast`/`multicast` as received by the VF.
 */
export function vfCounters(s: VfStats | undefined): VfCounters {
  if (!s) return zeroCounters();
  return {
    ...zeroCounters(),
    rxPackets: s.rxPackets,
    rxBytes: s.rxBytes,
    txPackets: s.txPackets,
    txBytes: s.txBytes,
    rxDropped: s.rxDropped,
    txDropped: s.txDropped,
    rxBroadcast: s.broadcast,
    rxMulticast: s.multicast,
  };
}

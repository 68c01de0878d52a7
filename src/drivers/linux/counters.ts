import type { VfCounters } from '../../model/index.js';
import { zeroCounters } from '../../model/index.js';
import type { LinkStats } from './netlink/link-decode.js';
import type { VfStats } from './netlink/vf-decode.js';

/**
 * Kernel counters as the model's. A VF's (IFLA_VF_STATS) have no errors, spoof drops or
 * mirror copies (some drivers have them in `ethtool -S`): those stay 0; the PF driver
 * reports `broadcast`/`multicast` as received by the VF. A PF's (IFLA_STATS64) have errors
 * and multicast, no broadcast count.
 */
export function countersOf(s: (Partial<VfStats> & Partial<LinkStats>) | undefined): VfCounters {
  const c = zeroCounters();
  if (!s) return c;
  c.rxPackets = s.rxPackets ?? 0;
  c.rxBytes = s.rxBytes ?? 0;
  c.txPackets = s.txPackets ?? 0;
  c.txBytes = s.txBytes ?? 0;
  c.rxErrors = s.rxErrors ?? 0;
  c.txErrors = s.txErrors ?? 0;
  c.rxDropped = s.rxDropped ?? 0;
  c.txDropped = s.txDropped ?? 0;
  c.rxBroadcast = s.broadcast ?? 0;
  c.rxMulticast = s.multicast ?? 0;
  return c;
}

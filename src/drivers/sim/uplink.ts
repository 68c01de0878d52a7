import { TX_BYTES, TX_DROPPED, TX_PACKETS } from './counters.js';
import type { SimPf } from './pf.js';
import { classOf } from './qos.js';
import type { SimVf } from './vf.js';

/**
 * Send a frame out of the uplink, through the traffic-class shaper. A VF's traffic within
 * its minTxRate is guaranteed: it bypasses the class caps (not the link itself).
 */
export function toWire(pf: SimPf, src: SimVf | null, buf: Buffer, len: number): boolean {
  const pc = pf.counters;
  if (!pf.wireUp) {
    pc[TX_DROPPED]++;
    return false;
  }
  if (pf.classBuckets.length > 0 && !shape(pf, src, buf, len)) {
    pc[TX_DROPPED]++;
    return false;
  }
  pc[TX_PACKETS]++;
  pc[TX_BYTES] += len;
  if (pf.wireCaptures !== null) {
    const now = pf.clock.nowNs();
    for (const cap of pf.wireCaptures) cap.record(buf, len, now, false);
  }
  const listeners = pf.wireListeners;
  for (let i = 0; i < listeners.length; i++) listeners[i](buf, len);
  return true;
}

function shape(pf: SimPf, src: SimVf | null, buf: Buffer, len: number): boolean {
  const now = pf.clock.nowNs();
  if (src?.minBucket?.take(len, now)) return true;
  const outer = (buf[12] << 8) | buf[13];
  const pcp = outer === 0x8100 || outer === 0x88a8 ? buf[14] >> 5 : 0;
  const c = classOf(pcp, pf.classBuckets.length);
  const cls = pf.classBuckets[c];
  const share = src?.shareBuckets[c] ?? null;
  if ((cls !== null && !cls.fits(len, now)) || (share !== null && !share.fits(len, now))) {
    return false;
  }
  cls?.take(len, now);
  share?.take(len, now);
  return true;
}

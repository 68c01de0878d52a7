import { TX_BYTES, TX_DROPPED, TX_PACKETS } from './counters.js';
import type { SimPf } from './pf.js';
import type { SimVf } from './vf.js';

/** PCP of the outer tag as it leaves (untagged: 0), which picks the traffic class. */
function pcpOf(buf: Buffer): number {
  const outer = (buf[12] << 8) | buf[13];
  return outer === 0x8100 || outer === 0x88a8 ? buf[14] >> 5 : 0;
}

/** Send a frame a local port sent out of the uplink, through the traffic-class scheduler. */
export function toWire(pf: SimPf, src: SimVf, buf: Buffer, len: number): boolean {
  const pc = pf.counters;
  if (!pf.wireUp) {
    pc[TX_DROPPED]++;
    return false;
  }
  const sched = pf.scheduler;
  if (sched !== null && !sched.admit(src.slot, pcpOf(buf), len, pf.clock.nowNs())) {
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

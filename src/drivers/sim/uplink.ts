import { TX_BYTES, TX_DROPPED, TX_PACKETS } from './counters.js';
import type { FrameView } from './frame.js';
import type { SimPf } from './pf.js';
import type { SimVf } from './vf.js';

/**
 * Send a frame a local port sent out of the uplink, through the traffic-class scheduler
 * (`f`: the frame's view; the PCP of its outer tag picks the class, untagged: 0).
 */
export function toWire(pf: SimPf, src: SimVf, buf: Buffer, len: number, f: FrameView): boolean {
  const pc = pf.counters;
  if (!pf.wireUp) {
    pc[TX_DROPPED]++;
    return false;
  }
  // Checked here first: the call would keep this function from being inlined on the fast path.
  const sched = pf.trafficClasses.length === 0 ? null : pf.scheduler();
  const pcp = f.outerTpid !== 0 ? f.outerPcp : 0;
  if (sched !== null && !sched.admit(src.slot, pcp, len, pf.clock.nowNs())) {
    pc[TX_DROPPED]++;
    return false;
  }
  pc[TX_PACKETS]++;
  pc[TX_BYTES] += len;
  const listeners = pf.wireListeners;
  if (pf.wireCaptures === null && listeners.length === 0) return true;
  pf.writeOut(buf);
  if (pf.wireCaptures !== null) {
    const now = pf.clock.nowNs();
    for (const cap of pf.wireCaptures) cap.record(buf, len, now, false);
  }
  for (let i = 0; i < listeners.length; i++) listeners[i](buf, len);
  return true;
}

import { TX_BYTES, TX_DROPPED, TX_PACKETS } from './counters.js';
import type { FrameView } from './frame.js';
import type { SimPf } from './pf.js';
import type { SimVf } from './vf.js';

/**
 * Send a frame a local port sent out of the uplink, through the traffic-class scheduler
 * (`f`: the frame's view; the PCP of its outer tag picks the class, untagged: 0). A frame
 * the PF's LAG carries leaves on the member the bond picks and is counted on that port.
 */
export function toWire(pf: SimPf, src: SimVf, buf: Buffer, len: number, f: FrameView): boolean {
  const pc = pf.counters;
  const lag = pf.lag?.carries(pf, src === pf.host) ? pf.lag : null;
  if (lag === null && !pf.wireUp) {
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
  let out = pf;
  if (lag !== null) {
    // The hash may read IP and L4 headers: write out a deferred tag insert first.
    pf.writeOut(buf);
    const member = lag.egress(buf, len, f, pf.clock.nowNs());
    if (member === null) {
      pc[TX_DROPPED]++;
      return false;
    }
    out = member;
  }
  const oc = out.counters;
  oc[TX_PACKETS]++;
  oc[TX_BYTES] += len;
  const listeners = out.wireListeners;
  if (out.wireCaptures === null && listeners.length === 0) return true;
  pf.writeOut(buf);
  if (out.wireCaptures !== null) {
    const now = pf.clock.nowNs();
    for (const cap of out.wireCaptures) cap.record(buf, len, now, false);
  }
  for (let i = 0; i < listeners.length; i++) listeners[i](buf, len);
  return true;
}

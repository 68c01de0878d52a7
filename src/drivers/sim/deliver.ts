import {
  MIRRORED,
  RX_BROADCAST,
  RX_BYTES,
  RX_DROPPED,
  RX_ERRORS,
  RX_MULTICAST,
  RX_PACKETS,
} from './counters.js';
import { type FrameView, stripTag, TAG_LEN } from './frame.js';
import type { SimPf } from './pf.js';
import { isMember, type SimVf, VLAN_PORT } from './vf.js';

/** What kind of delivery a frame is to a port: decides which counter it also moves. */
export const UNICAST = 0;
export const BROADCAST = 1;
export const MULTICAST = 2;
export const UNKNOWN = 3;

/**
 * Whether the port's VLAN filter takes the frame. Filtering is always on (every VMDq pool
 * has one): a port-VLAN port takes only its VLAN (the 82599 VMVIR default VLAN, with
 * untagged frames refused, VMOLR.AUPE off); a filtered port takes untagged and
 * priority-tagged frames (VMOLR.AUPE on) and the VIDs it is a member of (the VLVF/VFTA
 * entries of its pool). A tag of another TPID is not a VLAN tag for the port (QinQ: an
 * 802.1ad port sees an 802.1Q-tagged frame as untagged).
 */
export function vlanAccepts(port: SimVf, f: FrameView): boolean {
  const tagged = f.outerTpid === port.tpid;
  if (port.vlanMode === VLAN_PORT) return tagged && f.outerVid === port.portVid;
  return !tagged || isMember(port.vlanBits, f.outerVid);
}

/**
 * Offer a frame to one port. Returns whether its VLAN filter took the frame (the frame is
 * "for" this port, even if then dropped for link or length), which stops a unicast frame
 * from going anywhere else.
 */
export function deliver(
  pf: SimPf,
  port: SimVf,
  buf: Buffer,
  len: number,
  f: FrameView,
  kind: number,
): boolean {
  if (!vlanAccepts(port, f)) return false;
  const c = port.counters;
  if (!port.linkUp) {
    c[RX_DROPPED]++;
    return true;
  }
  // The pool's receive length limit counts the frame as it arrives, tags included.
  if (len > port.maxLen) {
    c[RX_ERRORS]++;
    return true;
  }
  const strip = port.strip && f.outerTpid === port.tpid && f.outerVid !== 0;
  const outLen = strip ? len - TAG_LEN : len;
  c[RX_PACKETS]++;
  c[RX_BYTES] += outLen;
  if (kind === BROADCAST) c[RX_BROADCAST]++;
  else if (kind === MULTICAST) c[RX_MULTICAST]++;
  if (port.captures !== null || port.mirrorIn !== null) {
    pf.writeOut(buf);
    const out = strip ? pf.rxScratch.buf : buf;
    if (strip) stripTag(buf, len, pf.rxScratch);
    if (port.captures !== null) {
      const now = pf.clock.nowNs();
      for (const cap of port.captures) cap.record(out, outLen, now, false);
    }
    if (port.mirrorIn !== null) mirror(pf, port, port.mirrorIn, out, outLen);
  }
  return true;
}

/** Copy a frame to a mirror target, bypassing its filters (it is a monitoring port). */
export function mirror(pf: SimPf, src: SimVf, target: SimVf, buf: Buffer, len: number): void {
  if (!target.linkUp) return;
  pf.writeOut(buf);
  src.counters[MIRRORED]++;
  const c = target.counters;
  c[RX_PACKETS]++;
  c[RX_BYTES] += len;
  if (target.captures !== null) {
    const now = pf.clock.nowNs();
    for (const cap of target.captures) cap.record(buf, len, now, true);
  }
}

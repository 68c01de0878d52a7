import { BROADCAST, deliver, MULTICAST, UNICAST, UNKNOWN } from './deliver.js';
import { type FrameView, isBroadcast } from './frame.js';
import type { SimPf } from './pf.js';
import { toWire } from './uplink.js';
import type { SimVf } from './vf.js';

/**
 * The legacy VEB of one PF: Intel's VMDq pool switching (82576 "VMDq and SR-IOV" / 82599
 * "Virtualization: Tx switching and loopback" / X710 VEB). A frame is switched by its
 * destination MAC (the RAR entries point at pools) and its VLAN (each pool's VLAN filter).
 */

/** The group (multicast) bit of the first octet, in the high 24-bit half of a MAC. */
const GROUP_BIT = 0x010000;

/** What became of a frame a local port (a VF or the host) sent. */
export const FWD_SENT = 0;
/** The uplink shaper dropped it and no local port got it. */
export const FWD_SHAPED = 1;
/** Its destination is local but refused it (or is the sender): it went nowhere. */
export const FWD_LOCAL_DROP = 2;

/**
 * Switch a frame a VF or the host sent. With loopback the VEB delivers locally and only what
 * no local port owns goes to the wire; without it everything goes to the wire (the 82576
 * with DTXSWC loopback off; an external switch may hairpin it back).
 */
export function forward(pf: SimPf, src: SimVf, buf: Buffer, len: number, f: FrameView): number {
  if (!pf.loopback) return toWire(pf, src, buf, len, f) ? FWD_SENT : FWD_SHAPED;
  if ((f.dstHi & GROUP_BIT) !== 0) return forwardGroup(pf, src, buf, len, f);
  const owner = pf.macTable.get(f.dstHi, f.dstLo);
  if (owner !== undefined) {
    // A destination MAC that matches a local pool never goes to the wire: when that pool's
    // VLAN filter refuses the frame, or the pool is the sender, the frame is dropped.
    if (owner === src || !deliver(pf, owner, buf, len, f, UNICAST)) return FWD_LOCAL_DROP;
    return FWD_SENT;
  }
  const local = pf.unknownPorts.length > 0 && floodUnknown(pf, src, buf, len, f);
  return toWire(pf, src, buf, len, f) || local ? FWD_SENT : FWD_SHAPED;
}

function forwardGroup(pf: SimPf, src: SimVf, buf: Buffer, len: number, f: FrameView): number {
  const local = flood(pf, src, buf, len, f);
  return toWire(pf, src, buf, len, f) || local ? FWD_SENT : FWD_SHAPED;
}

/** Switch a frame from the wire; true when some port took it. */
export function fromWire(pf: SimPf, buf: Buffer, len: number, f: FrameView): boolean {
  if ((f.dstHi & GROUP_BIT) !== 0) return flood(pf, null, buf, len, f);
  const owner = pf.macTable.get(f.dstHi, f.dstLo);
  if (owner !== undefined) return deliver(pf, owner, buf, len, f, UNICAST);
  return floodUnknown(pf, null, buf, len, f);
}

/**
 * Broadcast goes to every port that allows broadcast; multicast to every port in
 * all-multicast mode and, when the group hits the PF's multicast table, to every port that
 * allows multicast. Each port's VLAN filter still applies; the sender never gets its own.
 */
export function flood(
  pf: SimPf,
  src: SimVf | null,
  buf: Buffer,
  len: number,
  f: FrameView,
): boolean {
  const bcast = isBroadcast(f);
  const hit = !bcast && pf.multicast.has(f.dstLo);
  const ports = pf.ports;
  let any = false;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    if (p === src) continue;
    if (bcast ? !p.acceptBroadcast : !(p.allMulticast || (hit && p.acceptMulticast))) continue;
    if (deliver(pf, p, buf, len, f, bcast ? BROADCAST : MULTICAST)) any = true;
  }
  return any;
}

/** Unicast no port owns reaches only the ports that accept unknown unicast, in its VLAN. */
function floodUnknown(
  pf: SimPf,
  src: SimVf | null,
  buf: Buffer,
  len: number,
  f: FrameView,
): boolean {
  const ports = pf.unknownPorts;
  let any = false;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    if (p !== src && deliver(pf, p, buf, len, f, UNKNOWN)) any = true;
  }
  return any;
}

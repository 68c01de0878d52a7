import {
  MIRRORED,
  RX_BROADCAST,
  RX_BYTES,
  RX_DROPPED,
  RX_ERRORS,
  RX_MULTICAST,
  RX_PACKETS,
  SPOOFED,
  TX_BYTES,
  TX_DROPPED,
  TX_ERRORS,
  TX_PACKETS,
} from './counters.js';
import { type FrameView, insertTag, isBroadcast, parseFrame, stripTag, TAG_LEN } from './frame.js';
import type { SimPf } from './pf.js';
import { classOf } from './qos.js';
import { type SimVf, VLAN_PORT, VLAN_TRUNK, VLAN_UNTAGGED } from './vf.js';

/**
 * The packet path of one PF: VF transmit (anti-spoof, tag insert, rate limit), the VEB
 * (switch by destination MAC + VLAN, flood group frames), VF receive (filters, strip, MTU)
 * and the uplink (traffic-class shaping). Everything works on (buffer, length) pairs with
 * the PF's preallocated views and scratch buffers: no allocation per frame unless a capture
 * is attached.
 */

/** Why a transmitted frame did not leave the VF. */
export type TxVerdict =
  | 'sent'
  | 'link-down'
  | 'malformed'
  | 'spoofed'
  | 'too-big'
  | 'rate-limited'
  | 'shaped'
  /** Dropped by an eswitch rule (switchdev) that feeds no more specific counter. */
  | 'filtered';

const UNICAST = 0;
const BROADCAST_KIND = 1;
const MULTICAST = 2;
const UNKNOWN = 3;

/** A frame the guest of `vf` sends. */
export function transmit(pf: SimPf, vf: SimVf, buf: Buffer, len: number): TxVerdict {
  const c = vf.counters;
  if (!vf.linkUp) {
    c[TX_DROPPED]++;
    return 'link-down';
  }
  const f = pf.txView;
  if (!parseFrame(buf, len, f)) {
    c[TX_ERRORS]++;
    return 'malformed';
  }
  if (pf.eswitch !== null) return pf.eswitch.transmit(vf, buf, len, f);
  if (vf.macAntiSpoof && !vf.ownsMac(f.srcHi, f.srcLo)) {
    c[SPOOFED]++;
    return 'spoofed';
  }
  const tagged = f.outerTpid === vf.tpid;
  let spoofed = false;
  if (vf.vlanMode === VLAN_PORT) spoofed = tagged;
  else if (vf.vlanMode === VLAN_TRUNK) spoofed = !tagged || vf.vlanBits[f.outerVid] === 0;
  else if (vf.vlanMode === VLAN_UNTAGGED) spoofed = tagged;
  if (spoofed && vf.vlanAntiSpoof) {
    c[SPOOFED]++;
    return 'spoofed';
  }
  if (len - f.headerLen > vf.mtu) {
    c[TX_ERRORS]++;
    return 'too-big';
  }
  if (vf.rateBucket !== null && !vf.rateBucket.take(len, pf.clock.nowNs())) {
    c[TX_DROPPED]++;
    return 'rate-limited';
  }
  let out = buf;
  let outLen = len;
  if (vf.vlanMode === VLAN_PORT) {
    out = pf.txScratch;
    outLen = insertTag(buf, len, vf.tpid, vf.insertTci, out);
  }
  if (!forward(pf, vf, out, outLen)) {
    c[TX_DROPPED]++;
    return 'shaped';
  }
  c[TX_PACKETS]++;
  c[TX_BYTES] += len;
  if (vf.mirrorOut !== null) mirror(pf, vf, vf.mirrorOut, out, outLen);
  return 'sent';
}

/**
 * Switch a frame a VF sent. With loopback the VEB delivers to VFs of the same PF and only
 * what no local VF owns goes to the wire; without it everything goes to the wire (the
 * external switch may hairpin it back). False: the uplink shaper dropped it and nobody
 * got it.
 */
function forward(pf: SimPf, src: SimVf, buf: Buffer, len: number): boolean {
  if (!pf.loopback) return toWire(pf, src, buf, len);
  const f = pf.fwdView;
  parseFrame(buf, len, f);
  if ((buf[0] & 1) !== 0) {
    const local = flood(pf, src, buf, len, f);
    return toWire(pf, src, buf, len) || local;
  }
  const owner = pf.macTable.get(f.dstHi, f.dstLo);
  if (owner !== undefined && owner !== src && deliver(pf, owner, buf, len, f, UNICAST)) {
    return true;
  }
  const local = floodUnknown(pf, src, buf, len, f);
  return toWire(pf, src, buf, len) || local;
}

/** A frame arriving from the wire. Returns whether any VF took it. */
export function receiveFromWire(pf: SimPf, buf: Buffer, len: number): boolean {
  const pc = pf.counters;
  pc[RX_PACKETS]++;
  pc[RX_BYTES] += len;
  const f = pf.txView;
  if (!parseFrame(buf, len, f)) {
    pc[RX_ERRORS]++;
    return false;
  }
  // The uplink's own MTU comes first: a frame too big for the PF never reaches the VEB.
  if (len - f.headerLen > pf.mtu) {
    pc[RX_ERRORS]++;
    return false;
  }
  let taken = false;
  if (!pf.wireUp) taken = false;
  else if (pf.eswitch !== null) taken = pf.eswitch.receive(buf, len);
  else if ((buf[0] & 1) !== 0) taken = flood(pf, null, buf, len, f);
  else {
    const owner = pf.macTable.get(f.dstHi, f.dstLo);
    taken = owner !== undefined && deliver(pf, owner, buf, len, f, UNICAST);
    if (!taken) taken = floodUnknown(pf, null, buf, len, f);
  }
  // The sim's PF has no host netdev: a frame no VF takes is dropped.
  if (!taken) pc[RX_DROPPED]++;
  return taken;
}

function flood(pf: SimPf, src: SimVf | null, buf: Buffer, len: number, f: FrameView): boolean {
  const kind = isBroadcast(f) ? BROADCAST_KIND : MULTICAST;
  const vfs = pf.vfs;
  let any = false;
  for (let i = 0; i < vfs.length; i++) {
    const vf = vfs[i];
    if (vf !== src && deliver(pf, vf, buf, len, f, kind)) any = true;
  }
  return any;
}

function floodUnknown(
  pf: SimPf,
  src: SimVf | null,
  buf: Buffer,
  len: number,
  f: FrameView,
): boolean {
  const vfs = pf.unknownVfs;
  let any = false;
  for (let i = 0; i < vfs.length; i++) {
    const vf = vfs[i];
    if (vf !== src && deliver(pf, vf, buf, len, f, UNKNOWN)) any = true;
  }
  return any;
}

/**
 * Offer a frame to one VF. Returns whether the VF's filters matched it (the frame is "for"
 * this VF, even if then dropped for link or size), which stops unicast from going on.
 */
function deliver(
  pf: SimPf,
  vf: SimVf,
  buf: Buffer,
  len: number,
  f: FrameView,
  kind: number,
): boolean {
  if (kind === BROADCAST_KIND ? !vf.acceptBroadcast : kind === MULTICAST && !vf.acceptMulticast) {
    return false;
  }
  if (kind === UNKNOWN && !vf.acceptUnknown) return false;
  const tagged = f.outerTpid === vf.tpid;
  if (vf.vlanMode === VLAN_UNTAGGED) {
    if (tagged) return false;
  } else if (vf.vlanMode >= VLAN_PORT && (!tagged || vf.vlanBits[f.outerVid] === 0)) {
    return false;
  }
  const c = vf.counters;
  if (!vf.linkUp) {
    c[RX_DROPPED]++;
    return true;
  }
  const strip = vf.strip && tagged;
  const outLen = strip ? len - TAG_LEN : len;
  const payload = len - f.headerLen;
  if (payload > vf.mtu) {
    c[RX_ERRORS]++;
    return true;
  }
  c[RX_PACKETS]++;
  c[RX_BYTES] += outLen;
  if (kind === BROADCAST_KIND) c[RX_BROADCAST]++;
  else if (kind === MULTICAST) c[RX_MULTICAST]++;
  if (vf.captures !== null || vf.mirrorIn !== null) {
    const out = strip ? pf.rxScratch : buf;
    if (strip) stripTag(buf, len, out);
    if (vf.captures !== null) {
      const now = pf.clock.nowNs();
      for (const cap of vf.captures) cap.record(out, outLen, now, false);
    }
    if (vf.mirrorIn !== null) mirror(pf, vf, vf.mirrorIn, out, outLen);
  }
  return true;
}

/** Copy a frame to a mirror target, bypassing its filters (it is a monitoring port). */
function mirror(pf: SimPf, src: SimVf, target: SimVf, buf: Buffer, len: number): void {
  if (!target.linkUp) return;
  src.counters[MIRRORED]++;
  const c = target.counters;
  c[RX_PACKETS]++;
  c[RX_BYTES] += len;
  if (target.captures !== null) {
    const now = pf.clock.nowNs();
    for (const cap of target.captures) cap.record(buf, len, now, true);
  }
}

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

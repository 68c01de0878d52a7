import {
  RX_BYTES,
  RX_DROPPED,
  RX_ERRORS,
  RX_PACKETS,
  SPOOFED,
  TX_BYTES,
  TX_DROPPED,
  TX_ERRORS,
  TX_PACKETS,
} from './counters.js';
import { mirror } from './deliver.js';
import { parseFrame, pushTag, TAG_LEN } from './frame.js';
import type { SimLag } from './lag.js';
import type { TxVerdict } from './path.js';
import type { SimPf } from './pf.js';
import { FWD_LOCAL_DROP, FWD_SENT, forward, fromWire } from './veb.js';
import { isMember, type SimVf, VLAN_PORT } from './vf.js';

/**
 * The packet path of one PF, entered here: a VF's transmit (anti-spoof, tag insert, rate
 * limit), the host interface's transmit, and the uplink's receive. Switching is the VEB's
 * (veb.ts), delivery the port's (deliver.ts), the wire the uplink's (uplink.ts). Everything
 * works on (buffer, length) pairs with the PF's preallocated views and scratch buffers: no
 * allocation per frame unless a capture is attached.
 */

export type { FramePath, TxVerdict } from './path.js';

/**
 * VLAN anti-spoof (82599 PFVFSPOOF VLAN bits, X710 VSI VLAN pruning on transmit): a port-VLAN
 * VF may send only untagged frames (the NIC adds the tag); any other VF only untagged and
 * priority-tagged frames and the VIDs it is a member of.
 */
function vlanSpoofed(vf: SimVf, tagged: boolean, vid: number): boolean {
  if (vf.vlanMode === VLAN_PORT) return tagged;
  return tagged && !isMember(vf.vlanBits, vid);
}

/** A frame the guest of `vf` sends. */
export function transmit(pf: SimPf, vf: SimVf, buf: Buffer, len: number): TxVerdict {
  if (pf.eswitch !== null) return pf.eswitch.fromVf(vf, buf, len);
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
  if (vf.macAntiSpoof && !vf.ownsMac(f.srcHi, f.srcLo)) {
    c[SPOOFED]++;
    return 'spoofed';
  }
  if (vf.vlanAntiSpoof && vlanSpoofed(vf, f.outerTpid === vf.tpid, f.outerVid)) {
    c[SPOOFED]++;
    return 'spoofed';
  }
  if (len > vf.maxLen) {
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
    out = pf.deferTag(buf, len, vf.tpid, vf.insertTci);
    outLen = len + TAG_LEN;
    pushTag(f, vf.tpid, vf.insertTci);
  }
  const verdict = finish(pf, vf, out, outLen, len);
  pf.deferTag(null, 0, 0, 0);
  return verdict;
}

/** Count and mirror what a port sent, by what the switch made of it. */
function finish(pf: SimPf, src: SimVf, out: Buffer, outLen: number, len: number): TxVerdict {
  const c = src.counters;
  const fwd = forward(pf, src, out, outLen, pf.txView);
  if (fwd !== FWD_SENT) {
    c[TX_DROPPED]++;
    return fwd === FWD_LOCAL_DROP ? 'local-drop' : 'shaped';
  }
  c[TX_PACKETS]++;
  c[TX_BYTES] += len;
  if (src.mirrorOut !== null) mirror(pf, src, src.mirrorOut, out, outLen);
  return 'sent';
}

/**
 * A frame the PF's host interface sends (the host's own stack, or one of its VLAN devices,
 * which tag the frame themselves). The PF is trusted: no anti-spoof.
 */
export function transmitFromHost(pf: SimPf, buf: Buffer, len: number): TxVerdict {
  if (pf.eswitch !== null) return pf.eswitch.fromHost(buf, len);
  const host = pf.host;
  const f = pf.txView;
  if (!parseFrame(buf, len, f)) {
    host.counters[TX_ERRORS]++;
    return 'malformed';
  }
  if (len > host.maxLen) {
    host.counters[TX_ERRORS]++;
    return 'too-big';
  }
  return finish(pf, host, buf, len, len);
}

/** A frame arriving from the wire. Returns whether any port took it. */
export function receiveFromWire(pf: SimPf, buf: Buffer, len: number): boolean {
  const lag = pf.lag;
  if (lag?.config.vfLag) return receiveOnLag(pf, lag, buf, len);
  return receiveOnPort(pf, buf, len);
}

function read24(buf: Buffer, o: number): number {
  return (buf[o] << 16) | (buf[o + 1] << 8) | buf[o + 2];
}

/**
 * A frame arriving on one member of a VF-LAG: the bond takes it (or drops it, on the
 * inactive member of an active-backup LAG), then it is switched by the member PF that owns
 * its destination MAC, as both ports feed one eswitch; group frames reach both.
 */
function receiveOnLag(pf: SimPf, lag: SimLag, buf: Buffer, len: number): boolean {
  if (len < 14 || !lag.ingress(pf, pf.clock.nowNs())) {
    pf.counters[RX_DROPPED]++;
    return false;
  }
  const peer = lag.peerOf(pf);
  if ((buf[0] & 1) === 1) {
    const here = receiveOnPort(pf, buf, len);
    return receiveOnPort(peer, buf, len) || here;
  }
  const hi = read24(buf, 0);
  const lo = read24(buf, 3);
  const mine = pf.macTable.get(hi, lo) !== undefined;
  const target = !mine && peer.macTable.get(hi, lo) !== undefined ? peer : pf;
  return receiveOnPort(target, buf, len);
}

/** A frame arriving on this PF's own uplink port. */
function receiveOnPort(pf: SimPf, buf: Buffer, len: number): boolean {
  if (pf.eswitch !== null) return pf.eswitch.fromWire(buf, len);
  const pc = pf.counters;
  pc[RX_PACKETS]++;
  pc[RX_BYTES] += len;
  const f = pf.txView;
  if (!parseFrame(buf, len, f)) {
    pc[RX_ERRORS]++;
    return false;
  }
  // The uplink's own length limit comes first: a frame too long for the PF never reaches
  // the VEB (igb: MTU + header + two VLAN tags, IGB_ETH_PKT_HDR_PAD without the FCS).
  if (len > pf.maxWireLen) {
    pc[RX_ERRORS]++;
    return false;
  }
  const taken = pf.wireUp && fromWire(pf, buf, len, f);
  if (!taken) pc[RX_DROPPED]++;
  return taken;
}

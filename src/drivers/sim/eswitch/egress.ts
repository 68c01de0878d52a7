import {
  MIRRORED,
  RX_BROADCAST,
  RX_BYTES,
  RX_DROPPED,
  RX_ERRORS,
  RX_MULTICAST,
  RX_PACKETS,
} from '../counters.js';
import { FrameView, parseFrame } from '../frame.js';
import type { SimPf } from '../pf.js';
import { toWire } from '../uplink.js';
import type { SimVf } from '../vf.js';
import { TO_HOST, TO_UPLINK } from './compiled.js';

/**
 * Where the eswitch's copies of one frame end up: the wire (through the uplink's shaper),
 * a VF's or the host's receive path, or a monitoring port. One instance per PF, reset per
 * frame by start().
 */
export class Egress {
  private readonly pf: SimPf;
  private src: SimVf | null = null;
  /** Some port took the frame (the wire, or a port whose receive filters let it in). */
  delivered = false;
  /**
   * Length of the frame as the switch carries it: a port's receive limit counts the tag it
   * strips, as the legacy VEB does (the pool's limit sees the frame as it arrives).
   */
  carried = 0;
  /** The last port offered the frame, and whether it took it (for copies of what it got). */
  private last: SimVf | null = null;
  private took = false;
  /** The frame as it leaves: the uplink's scheduler reads its outer PCP after any push/pop. */
  private readonly wireView = new FrameView();

  constructor(pf: SimPf) {
    this.pf = pf;
  }

  start(src: SimVf | null, len: number): void {
    this.src = src;
    this.delivered = false;
    this.carried = len;
    this.last = null;
  }

  send(to: number, buf: Buffer, len: number, monitorOf: number): void {
    const pf = this.pf;
    if (to === TO_UPLINK) {
      // Only a local port's frames go out on the wire (the compiler never hairpins).
      if (this.src === null || !parseFrame(buf, len, this.wireView)) return;
      if (toWire(pf, this.src, buf, len, this.wireView)) this.delivered = true;
      return;
    }
    const port = to === TO_HOST ? pf.host : pf.vfs[to];
    if (port === undefined) return;
    if (monitorOf < 0) {
      this.took = this.receive(port, buf, len);
      this.last = port;
      return;
    }
    const of = pf.vfs[monitorOf];
    // A copy of what a VF receives exists only if it took the frame (as in legacy mode);
    // a copy of what it sends (`of` is the sender) always.
    if (of === this.src || (of === this.last && this.took)) monitorCopy(pf, port, buf, len, of);
  }

  /**
   * A port's receive path after the eswitch: multicast passes only in all-multicast mode or
   * when the group hits the PF's multicast table (the sim NIC's receive filter, kept in
   * switchdev mode as the port's own); then link, length and counters.
   */
  private receive(port: SimVf, buf: Buffer, len: number): boolean {
    if ((buf[0] & 1) !== 0 && !isBroadcast(buf)) {
      const lo = (buf[3] << 16) | (buf[4] << 8) | buf[5];
      if (!port.allMulticast && !(port.acceptMulticast && this.pf.multicast.has(lo))) return false;
    }
    this.delivered = true;
    const c = port.counters;
    if (!port.linkUp) {
      c[RX_DROPPED]++;
      return false;
    }
    if (Math.max(len, this.carried) > port.maxLen) {
      c[RX_ERRORS]++;
      return false;
    }
    c[RX_PACKETS]++;
    c[RX_BYTES] += len;
    if ((buf[0] & 1) !== 0) c[isBroadcast(buf) ? RX_BROADCAST : RX_MULTICAST]++;
    record(this.pf, port, buf, len, false);
    return true;
  }
}

function isBroadcast(buf: Buffer): boolean {
  return (buf[0] & buf[1] & buf[2] & buf[3] & buf[4] & buf[5]) === 0xff;
}

function record(pf: SimPf, port: SimVf, buf: Buffer, len: number, mirrored: boolean): void {
  if (port.captures === null) return;
  const now = pf.clock.nowNs();
  for (const cap of port.captures) cap.record(buf, len, now, mirrored);
}

/** A monitoring port takes every copy whatever its filters; it counts as `of`'s `mirrored`. */
function monitorCopy(pf: SimPf, target: SimVf, buf: Buffer, len: number, of?: SimVf): void {
  if (!target.linkUp) return;
  if (of !== undefined) of.counters[MIRRORED]++;
  target.counters[RX_PACKETS]++;
  target.counters[RX_BYTES] += len;
  record(pf, target, buf, len, true);
}

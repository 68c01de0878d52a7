import type { VlanProto } from '../../model/index.js';
import type { FrameScratch } from './copy.js';

/**
 * Ethernet frame parsing for the simulated NIC's hot path. A frame is a `Buffer` plus a
 * length (so scratch buffers can be reused); parsing fills a preallocated FrameView with
 * plain byte reads and allocates nothing.
 */

export const ETH_HEADER_LEN = 14;
export const TAG_LEN = 4;
/** 802.1Q C-tag. */
export const TPID_8021Q = 0x8100;
/** 802.1ad S-tag (QinQ outer tag). */
export const TPID_8021AD = 0x88a8;
/** Largest frame the sim carries: jumbo MTU + header + two tags, with room to insert one. */
export const MAX_FRAME_LEN = 9216 + ETH_HEADER_LEN + 3 * TAG_LEN;

export function tpidOf(proto: VlanProto): number {
  return proto === '802.1ad' ? TPID_8021AD : TPID_8021Q;
}

function isTpid(type: number): boolean {
  return type === TPID_8021Q || type === TPID_8021AD;
}

/** What the switch needs to know about one frame; one instance is reused for many frames. */
export class FrameView {
  len = 0;
  /** MACs as high and low 24-bit halves (small integers stay unboxed in V8). */
  dstHi = 0;
  dstLo = 0;
  srcHi = 0;
  srcLo = 0;
  /** TPID of the outer tag, 0 when the frame is untagged. */
  outerTpid = 0;
  outerVid = 0;
  outerPcp = 0;
  /** TPID of the inner tag of a QinQ frame, 0 when there is none. */
  innerTpid = 0;
  innerVid = 0;
  /** Ethertype after the tags. */
  etherType = 0;
  /** Destination + source + tags + ethertype: where the payload starts. */
  headerLen = 0;
}

function read24(buf: Buffer, o: number): number {
  return (buf[o] << 16) | (buf[o + 1] << 8) | buf[o + 2];
}

/** True for ff:ff:ff:ff:ff:ff. */
export function isBroadcast(f: FrameView): boolean {
  return f.dstHi === 0xffffff && f.dstLo === 0xffffff;
}

/**
 * Parse Ethernet II with up to two tags (802.1Q, 802.1ad, QinQ). Returns false for a frame
 * too short for its own header (a runt), which the caller counts as an error.
 */
export function parseFrame(buf: Buffer, len: number, out: FrameView): boolean {
  if (len < ETH_HEADER_LEN || len > buf.length) return false;
  out.len = len;
  out.dstHi = read24(buf, 0);
  out.dstLo = read24(buf, 3);
  out.srcHi = read24(buf, 6);
  out.srcLo = read24(buf, 9);
  out.outerTpid = 0;
  out.outerVid = 0;
  out.outerPcp = 0;
  out.innerTpid = 0;
  out.innerVid = 0;
  let type = (buf[12] << 8) | buf[13];
  let off = 12;
  if (isTpid(type)) {
    if (len < ETH_HEADER_LEN + TAG_LEN) return false;
    out.outerTpid = type;
    out.outerPcp = buf[14] >> 5;
    out.outerVid = ((buf[14] & 0x0f) << 8) | buf[15];
    off = 16;
    type = (buf[16] << 8) | buf[17];
    if (isTpid(type)) {
      if (len < ETH_HEADER_LEN + 2 * TAG_LEN) return false;
      out.innerTpid = type;
      out.innerVid = ((buf[18] & 0x0f) << 8) | buf[19];
      off = 20;
      type = (buf[20] << 8) | buf[21];
    }
  }
  out.etherType = type;
  out.headerLen = off + 2;
  return true;
}

/** Write `src` with an outer tag inserted after the MACs into `out`; returns the new length. */
export function insertTag(
  src: Buffer,
  len: number,
  tpid: number,
  tci: number,
  out: FrameScratch,
): number {
  return out.insertTag(src, len, tpid, tci);
}

/** Write `src` without its outer tag into `out`; returns the new length. */
export function stripTag(src: Buffer, len: number, out: FrameScratch): number {
  out.copy(src, 0, 12, 0);
  out.copy(src, 16, len, 12);
  return len - TAG_LEN;
}

/** The view of a frame after insertTag put `tpid`/`tci` outside its outer tag. */
export function pushTag(f: FrameView, tpid: number, tci: number): void {
  f.innerTpid = f.outerTpid;
  f.innerVid = f.outerVid;
  f.outerTpid = tpid;
  f.outerVid = tci & 0x0fff;
  f.outerPcp = tci >> 13;
  f.headerLen += TAG_LEN;
  f.len += TAG_LEN;
}

/** Tag control information: PCP in the top 3 bits, VLAN ID in the low 12. */
export function tci(vid: number, pcp: number): number {
  return ((pcp & 7) << 13) | (vid & 0x0fff);
}

import type { VlanProto } from '../../model/index.js';

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
/** MAC as a 48-bit number: ff:ff:ff:ff:ff:ff. */
export const BROADCAST = 0xffffffffffff;
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
  dst = 0;
  src = 0;
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

/** Reads a MAC at `o` as a 48-bit number (exact in a double). */
export function readMac(buf: Buffer, o: number): number {
  return (
    (buf[o] * 0x10000 + ((buf[o + 1] << 8) | buf[o + 2])) * 0x1000000 +
    ((buf[o + 3] << 16) | (buf[o + 4] << 8) | buf[o + 5])
  );
}

/**
 * Parse Ethernet II with up to two tags (802.1Q, 802.1ad, QinQ). Returns false for a frame
 * too short for its own header (a runt), which the caller counts as an error.
 */
export function parseFrame(buf: Buffer, len: number, out: FrameView): boolean {
  if (len < ETH_HEADER_LEN || len > buf.length) return false;
  out.len = len;
  out.dst = readMac(buf, 0);
  out.src = readMac(buf, 6);
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

/** Copy `src[from, to)` to `dst[at…]`; a plain loop beats Buffer#copy for 64-byte frames. */
function copyBytes(src: Buffer, from: number, to: number, dst: Buffer, at: number): void {
  if (to - from > 256) {
    src.copy(dst, at, from, to);
    return;
  }
  for (let i = from; i < to; i++) dst[at + i - from] = src[i];
}

/** Write `src` with an outer tag inserted after the MACs into `dst`; returns the new length. */
export function insertTag(
  src: Buffer,
  len: number,
  tpid: number,
  tci: number,
  dst: Buffer,
): number {
  copyBytes(src, 0, 12, dst, 0);
  dst[12] = tpid >> 8;
  dst[13] = tpid & 0xff;
  dst[14] = tci >> 8;
  dst[15] = tci & 0xff;
  copyBytes(src, 12, len, dst, 16);
  return len + TAG_LEN;
}

/** Write `src` without its outer tag into `dst`; returns the new length. */
export function stripTag(src: Buffer, len: number, dst: Buffer): number {
  copyBytes(src, 0, 12, dst, 0);
  copyBytes(src, 16, len, dst, 12);
  return len - TAG_LEN;
}

/** Tag control information: PCP in the top 3 bits, VLAN ID in the low 12. */
export function tci(vid: number, pcp: number): number {
  return ((pcp & 7) << 13) | (vid & 0x0fff);
}

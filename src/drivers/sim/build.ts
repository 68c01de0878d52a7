import type { VlanProto } from '../../model/index.js';
import { ETH_HEADER_LEN, TAG_LEN, tci, tpidOf } from './frame.js';
import { macToNum } from './mac.js';

export { macToNum, numToMac } from './mac.js';

export interface TagSpec {
  /** `802.1Q` (0x8100), `802.1ad` (0x88a8) or a raw TPID. Default 802.1Q. */
  proto?: VlanProto | number;
  vid: number;
  pcp?: number;
}

export interface FrameSpec {
  /** A MAC string, or the 48-bit number macToNum() gives for it. */
  dst: string | number;
  src: string | number;
  /** Outer tag first. */
  tags?: readonly TagSpec[];
  /** Default 0x0800 (IPv4). */
  etherType?: number;
  /** Payload bytes; default: a counting pattern of `size` bytes in total. */
  payload?: Buffer;
  /** Total frame length (without FCS) when no payload is given; default 64. */
  size?: number;
}

function writeMac(buf: Buffer, at: number, mac: string | number): void {
  buf.writeUIntBE(typeof mac === 'number' ? mac : macToNum(mac), at, 6);
}

/** No tags: shared, so a spec without VLANs allocates no array. */
export const NO_TAGS: readonly TagSpec[] = [];

function headerLength(spec: FrameSpec): number {
  return ETH_HEADER_LEN + TAG_LEN * (spec.tags?.length ?? 0);
}

/** Payload bytes after a header of `header` bytes: whole bytes, as allocUnsafe rounds down. */
function payloadLength(spec: FrameSpec, header: number): number {
  return spec.payload?.length ?? Math.max(0, Math.floor((spec.size ?? 64) - header));
}

/**
 * Build a real Ethernet frame (for tests, the demo traffic and benches). With `size` the
 * payload is padded so the frame is exactly that long (at least its header).
 */
export function buildFrame(spec: FrameSpec): Buffer {
  // allocUnsafe: every byte is written by writeFrame (header fields, then the payload).
  const header = headerLength(spec);
  const buf = Buffer.allocUnsafe(header + payloadLength(spec, header));
  writeFrame(buf, spec);
  return buf;
}

/**
 * Write the frame buildFrame() would make into the start of `buf` (which must be long
 * enough) and return its length: the demo traffic sends every frame from one buffer.
 */
export function writeFrame(buf: Buffer, spec: FrameSpec): number {
  const tags = spec.tags ?? NO_TAGS;
  const header = headerLength(spec);
  const length = payloadLength(spec, header);
  writeMac(buf, 0, spec.dst);
  writeMac(buf, 6, spec.src);
  let off = 12;
  for (const t of tags) {
    const tpid = typeof t.proto === 'number' ? t.proto : tpidOf(t.proto ?? '802.1Q');
    buf.writeUInt16BE(tpid, off);
    buf.writeUInt16BE(tci(t.vid, t.pcp ?? 0), off + 2);
    off += TAG_LEN;
  }
  buf.writeUInt16BE(spec.etherType ?? 0x0800, off);
  if (spec.payload) spec.payload.copy(buf, header);
  // The counting pattern written in place: building it as a JS array first made buildFrame
  // 12 % of the demo daemon's CPU (512 VFs, two frames each every 250 ms) and its garbage.
  else for (let i = 0; i < length; i++) buf[header + i] = i & 0xff;
  return header + length;
}

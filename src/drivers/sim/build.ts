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
  dst: string;
  src: string;
  /** Outer tag first. */
  tags?: TagSpec[];
  /** Default 0x0800 (IPv4). */
  etherType?: number;
  /** Payload bytes; default: a counting pattern of `size` bytes in total. */
  payload?: Buffer;
  /** Total frame length (without FCS) when no payload is given; default 64. */
  size?: number;
}

function writeMac(buf: Buffer, at: number, mac: string): void {
  const n = macToNum(mac);
  buf.writeUIntBE(n, at, 6);
}

/**
 * Build a real Ethernet frame (for tests, the demo traffic and benches). With `size` the
 * payload is padded so the frame is exactly that long (at least its header).
 */
export function buildFrame(spec: FrameSpec): Buffer {
  const tags = spec.tags ?? [];
  const header = ETH_HEADER_LEN + TAG_LEN * tags.length;
  const length = spec.payload?.length ?? Math.max(0, (spec.size ?? 64) - header);
  // allocUnsafe: every byte is written below (header fields, then the payload).
  const buf = Buffer.allocUnsafe(header + length);
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
  return buf;
}

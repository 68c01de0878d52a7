import { getSystemErrorMap } from 'node:util';
import { attrTable, readStr, readU32 } from './attr.js';
import {
  IFINFOMSG_LEN,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
} from './constants.js';

/** A decoded `struct nlmsghdr` and a view of the bytes after it. */
export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

export interface NlHeader {
  type: number;
  flags: number;
  seq: number;
  pid?: number;
}

/** nlmsghdr + body; nlmsg_len covers the body, which callers keep 4-byte aligned. */
export function encodeMessage(h: NlHeader, body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const out = Buffer.alloc(NLMSG_HDRLEN + payload.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(h.type, 4);
  out.writeUInt16LE(h.flags, 6);
  out.writeUInt32LE(h.seq >>> 0, 8);
  out.writeUInt32LE(h.pid ?? 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/** Rewrites the sequence number of an encoded message in place (the transport owns seqs). */
export function setSeq(msg: Buffer, seq: number): void {
  msg.writeUInt32LE(seq >>> 0, 8);
}

/**
 * Splits one datagram into messages. nlmsg_len is 32-bit, so messages over 64 KiB (a PF
 * with hundreds of VFs) are fine here; a length that runs past the datagram stops the walk.
 */
export function* splitMessages(buf: Buffer): Generator<NlMsg> {
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) return;
    yield {
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    };
    off += (len + 3) & ~3;
  }
}

/** `struct ifinfomsg` (16 bytes). */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}

export function encodeIfinfomsg(m: Partial<IfInfoMsg>): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(m.family ?? 0, 0);
  b.writeUInt16LE(m.type ?? 0, 2);
  b.writeInt32LE(m.index ?? 0, 4);
  b.writeUInt32LE(m.flags ?? 0, 8);
  b.writeUInt32LE(m.change ?? 0, 12);
  return b;
}

export function decodeIfinfomsg(b: Buffer): IfInfoMsg {
  return {
    family: b.readUInt8(0),
    type: b.readUInt16LE(2),
    index: b.readInt32LE(4),
    flags: b.readUInt32LE(8),
    change: b.readUInt32LE(12),
  };
}

/** The kernel's answer to one request: 0 = ACK, else a positive errno and its text. */
export interface NlAck {
  errno: number;
  /** Extended-ack text (NLMSGERR_ATTR_MSG), when the kernel gave one. */
  extack?: string;
  /** Byte offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS). */
  badAttrOffset?: number;
}

/**
 * Decodes the payload of NLMSG_ERROR (`int error; struct nlmsghdr msg; …`) or of a dump's
 * NLMSG_DONE (`int error`, then TLVs). With NETLINK_CAP_ACK only the request's header is
 * echoed (NLM_F_CAPPED); otherwise the whole request is, and the TLVs follow it.
 */
export function decodeAck(msg: NlMsg, done = false): NlAck {
  const p = msg.payload;
  const errno = p.length >= 4 ? -p.readInt32LE(0) || 0 : 0;
  if (!(msg.flags & NLM_F_ACK_TLVS)) return { errno };
  let tlvStart = 4;
  if (!done) {
    const echoed = p.length >= 8 ? p.readUInt32LE(4) : NLMSG_HDRLEN;
    tlvStart += msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : (echoed + 3) & ~3;
  }
  const t = attrTable(p, tlvStart);
  const out: NlAck = { errno };
  const text = readStr(t.get(NLMSGERR_ATTR_MSG));
  if (text) out.extack = text;
  const offs = readU32(t.get(NLMSGERR_ATTR_OFFS));
  if (offs !== undefined) out.badAttrOffset = offs;
  return out;
}

/** `EINVAL`, `invalid argument` for errno 22 (libuv's table, the same text as strerror). */
export function errnoName(errno: number): { code: string; text: string } {
  const e = getSystemErrorMap().get(-errno);
  return e ? { code: e[0], text: e[1] } : { code: `E${errno}`, text: `errno ${errno}` };
}

/**
 * A request the kernel refused. `message` names what was asked (the caller's context), the
 * errno and, when present, the kernel's own explanation.
 */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly extack: string | undefined;
  constructor(context: string, ack: NlAck) {
    const { code, text } = errnoName(ack.errno);
    super(`${context}: ${text} (${code})${ack.extack ? `: kernel says "${ack.extack}"` : ''}`);
    this.name = 'NetlinkError';
    this.errno = ack.errno;
    this.code = code;
    this.extack = ack.extack;
  }
}

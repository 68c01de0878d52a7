import { NLA_HDRLEN, NLA_TYPE_MASK } from './constants.js';

/** Netlink lengths are padded to 4 bytes (NLA_ALIGNTO / NLMSG_ALIGNTO). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** One attribute: its type (flag bits masked off) and a view of its payload. */
export interface Attr {
  type: number;
  data: Buffer;
}

/** `struct nlattr` + payload + zero padding to 4 bytes. */
export function attr(type: number, payload: Buffer): Buffer {
  const len = NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, NLA_HDRLEN);
  return out;
}

/**
 * A nested attribute. iproute2 does not set NLA_F_NESTED on the VF attributes and the
 * kernel's legacy parsers do not require it, so neither do we (keeps the bytes identical).
 */
export function nest(type: number, children: Buffer[]): Buffer {
  return attr(type, Buffer.concat(children));
}

export function u8Attr(type: number, v: number): Buffer {
  return attr(type, Buffer.from([v & 0xff]));
}

export function u16Attr(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return attr(type, b);
}

export function u32Attr(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return attr(type, b);
}

/** NUL-terminated string, as the kernel's NLA_NUL_STRING / NLA_STRING policies accept. */
export function strAttr(type: number, s: string): Buffer {
  return attr(type, Buffer.from(`${s}\0`, 'utf8'));
}

/**
 * Walks attributes in buf[start, end). Stops at a header that is too short or runs past
 * the end (a truncated or malformed list) instead of throwing: callers decide what is
 * required.
 */
export function* attrs(buf: Buffer, start = 0, end = buf.length): Generator<Attr> {
  let off = start;
  while (off + NLA_HDRLEN <= end) {
    const len = buf.readUInt16LE(off);
    if (len < NLA_HDRLEN || off + len > end) return;
    yield {
      type: buf.readUInt16LE(off + 2) & NLA_TYPE_MASK,
      data: buf.subarray(off + NLA_HDRLEN, off + len),
    };
    off += align4(len);
  }
}

/** Attributes by type; a repeated type keeps the last one. */
export function attrTable(buf: Buffer, start = 0, end = buf.length): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of attrs(buf, start, end)) m.set(a.type, a.data);
  return m;
}

/**
 * Where the attributes of a nest of small types are: `at[type]` the offset of its payload
 * in `buf` (-1: absent; a repeated type keeps the last one), `len[type]` its length (0 when
 * absent); types from `at.length` on are skipped. attrs() written out for the hot path: no
 * generator, no Map and no Buffer per attribute. It decodes every VF of every read, and the
 * MAC guard reads 256 VFs ten times a second (bench/guard.ts).
 */
export function scanSlots(buf: Buffer, at: Int32Array, len: Int32Array): void {
  at.fill(-1);
  len.fill(0);
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const l = buf.readUInt16LE(off);
    if (l < NLA_HDRLEN || off + l > buf.length) return;
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (type < at.length) {
      at[type] = off + NLA_HDRLEN;
      len[type] = l - NLA_HDRLEN;
    }
    off += align4(l);
  }
}

export function readU32(b: Buffer | undefined): number | undefined {
  return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}

export function readU16(b: Buffer | undefined): number | undefined {
  return b && b.length >= 2 ? b.readUInt16LE(0) : undefined;
}

export function readU8(b: Buffer | undefined): number | undefined {
  return b && b.length >= 1 ? b.readUInt8(0) : undefined;
}

export function readStr(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

export function macToBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => Number.parseInt(h, 16)));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToMac(b: Buffer, len = 6): string {
  const n = Math.min(len, b.length);
  let s = n > 0 ? HEX[b[0]] : '';
  for (let i = 1; i < n; i++) s += `:${HEX[b[i]]}`;
  return s;
}

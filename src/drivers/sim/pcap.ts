import { readFile, writeFile } from 'node:fs/promises';

/**
 * Classic libpcap files (not pcapng), link type Ethernet: what tcpdump -w and Wireshark's
 * "pcap" format write. Both byte orders and both timestamp resolutions (µs, ns) are read;
 * files are written little-endian with µs (or ns) timestamps.
 */

export interface PcapRecord {
  /** Capture time in ns since the epoch (or since the start of a simulated run). */
  timeNs: number;
  data: Buffer;
  /** Length on the wire when the capture truncated the frame (snaplen). */
  origLen?: number;
}

export interface PcapFile {
  linkType: number;
  nanosecond: boolean;
  snaplen: number;
  records: PcapRecord[];
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
export const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

function magicOf(buf: Buffer, source: string): { le: boolean; ns: boolean } {
  if (buf.length < GLOBAL_HEADER) {
    throw new Error(`${source}: ${buf.length} bytes is too short for a pcap header (24 bytes)`);
  }
  const le = buf.readUInt32LE(0);
  if (le === MAGIC_US || le === MAGIC_NS) return { le: true, ns: le === MAGIC_NS };
  const be = buf.readUInt32BE(0);
  if (be === MAGIC_US || be === MAGIC_NS) return { le: false, ns: be === MAGIC_NS };
  const hint =
    le === MAGIC_PCAPNG
      ? 'it is pcapng; convert it with `editcap -F pcap IN.pcapng OUT.pcap`'
      : 'it is not a capture file';
  throw new Error(
    `${source}: magic 0x${le.toString(16).padStart(8, '0')} is not classic pcap: ${hint}`,
  );
}

/** Parse a classic pcap file. Errors name the source, the offset and what was expected. */
export function decodePcap(buf: Buffer, source = 'pcap'): PcapFile {
  const { le, ns } = magicOf(buf, source);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const snaplen = u32(16);
  const linkType = u32(20) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let off = GLOBAL_HEADER;
  while (off < buf.length) {
    if (off + RECORD_HEADER > buf.length) {
      throw new Error(`${source}: truncated record header at byte ${off}; the file was cut short`);
    }
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    const start = off + RECORD_HEADER;
    if (start + incl > buf.length) {
      throw new Error(
        `${source}: record at byte ${off} claims ${incl} bytes but only ${buf.length - start} remain; the file was cut short`,
      );
    }
    records.push({
      timeNs: sec * 1e9 + (ns ? frac : frac * 1000),
      data: Buffer.from(buf.subarray(start, start + incl)),
      ...(orig !== incl ? { origLen: orig } : {}),
    });
    off = start + incl;
  }
  return { linkType, nanosecond: ns, snaplen, records };
}

export interface EncodeOptions {
  nanosecond?: boolean;
  snaplen?: number;
}

export function encodePcap(records: readonly PcapRecord[], options: EncodeOptions = {}): Buffer {
  const ns = options.nanosecond ?? false;
  const snaplen = options.snaplen ?? 262144;
  const size = records.reduce((n, r) => n + RECORD_HEADER + Math.min(r.data.length, snaplen), 0);
  const buf = Buffer.alloc(GLOBAL_HEADER + size);
  buf.writeUInt32LE(ns ? MAGIC_NS : MAGIC_US, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(snaplen, 16);
  buf.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  let off = GLOBAL_HEADER;
  for (const r of records) {
    const incl = Math.min(r.data.length, snaplen);
    const sec = Math.floor(r.timeNs / 1e9);
    const rest = r.timeNs - sec * 1e9;
    buf.writeUInt32LE(sec, off);
    buf.writeUInt32LE(ns ? Math.round(rest) : Math.floor(rest / 1000), off + 4);
    buf.writeUInt32LE(incl, off + 8);
    buf.writeUInt32LE(r.origLen ?? r.data.length, off + 12);
    r.data.copy(buf, off + RECORD_HEADER, 0, incl);
    off += RECORD_HEADER + incl;
  }
  return buf;
}

export async function readPcapFile(path: string): Promise<PcapFile> {
  const file = decodePcap(await readFile(path), path);
  if (file.linkType !== LINKTYPE_ETHERNET) {
    throw new Error(
      `${path}: link type ${file.linkType} is not Ethernet (1); capture on an Ethernet interface (not "any", which writes Linux cooked frames)`,
    );
  }
  return file;
}

export async function writePcapFile(
  path: string,
  records: readonly PcapRecord[],
  options?: EncodeOptions,
): Promise<void> {
  await writeFile(path, encodePcap(records, options));
}

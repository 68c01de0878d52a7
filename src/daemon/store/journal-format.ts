/**
 * The journal's record format, and merging records into the batch compaction writes. Pure.
 *
 * A record is `magic (u32) | payload length (u32) | CRC-32 of the payload (u32) | payload`,
 * the payload being the JSON of one WriteBatch: everything one change writes, so a change of
 * many VFs is one record and lands whole or not at all. A crash mid-append leaves a record
 * that is short or fails its checksum; reading stops there and reports the bytes after the
 * last whole record as a torn tail (never half a change).
 */
import { crc32 } from 'node:zlib';
import type { GuestState, VfPolicy } from '../../model/index.js';
import type { WriteBatch } from './writer.js';

const MAGIC = 0x4e564a31; // "NVJ1"
const HEADER = 12;

/** One record read back: the batch and its sequence number. */
export interface JournalRecord {
  seq: number;
  batch: WriteBatch;
}

interface Payload {
  seq: number;
  policies: [string, VfPolicy | null][];
  guests: [string, GuestState | null][];
  committed: string | null;
}

export function encodeRecord(seq: number, batch: WriteBatch): Buffer {
  const payload: Payload = {
    seq,
    policies: [...batch.policies],
    guests: [...batch.guests],
    committed: batch.committed,
  };
  const body = Buffer.from(JSON.stringify(payload));
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(body.length, 4);
  head.writeUInt32LE(crc32(body), 8);
  return Buffer.concat([head, body]);
}

export interface Decoded {
  records: JournalRecord[];
  /** Bytes of whole records from the start. */
  good: number;
  /** Bytes after them that are not a whole record (a torn tail), 0 when clean. */
  torn: number;
}

function decodePayload(body: Buffer): JournalRecord | null {
  try {
    const p = JSON.parse(body.toString('utf8')) as Payload;
    if (typeof p.seq !== 'number' || !Array.isArray(p.policies) || !Array.isArray(p.guests))
      return null;
    const committed = typeof p.committed === 'string' ? p.committed : null;
    return {
      seq: p.seq,
      batch: { policies: new Map(p.policies), guests: new Map(p.guests), committed },
    };
  } catch {
    return null;
  }
}

/** Every whole record of a journal file, in order, up to the first that is not whole. */
export function decodeRecords(buf: Buffer): Decoded {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at + HEADER <= buf.length) {
    if (buf.readUInt32LE(at) !== MAGIC) break;
    const len = buf.readUInt32LE(at + 4);
    const end = at + HEADER + len;
    if (end > buf.length) break;
    const body = buf.subarray(at + HEADER, end);
    if (crc32(body) !== buf.readUInt32LE(at + 8)) break;
    const rec = decodePayload(body);
    if (!rec) break;
    records.push(rec);
    at = end;
  }
  return { records, good: at, torn: buf.length - at };
}

/** A batch being merged: later writes of a file replace earlier ones. */
export class MergedBatch implements WriteBatch {
  readonly policies = new Map<string, VfPolicy | null>();
  readonly guests = new Map<string, GuestState | null>();
  committed: string | null = null;
  count = 0;

  add(b: WriteBatch): void {
    for (const [k, v] of b.policies) this.policies.set(k, v);
    for (const [k, v] of b.guests) this.guests.set(k, v);
    if (b.committed !== null) this.committed = b.committed;
    this.count += 1;
  }
}

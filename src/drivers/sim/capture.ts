import type { PcapRecord } from './pcap.js';

export interface CapturedFrame {
  timeNs: number;
  /** A copy of the frame as it arrived at the capture point. */
  data: Buffer;
  /** A mirror copy rather than a frame addressed to this VF. */
  mirrored: boolean;
}

/**
 * Frames seen at one point (a VF's receive side or the wire). Captures copy each frame, so
 * they are for tests, replays and debugging, not for the benches' hot path.
 */
export class Capture {
  readonly point: string;
  readonly frames: CapturedFrame[] = [];
  private readonly detach: (c: Capture) => void;

  constructor(point: string, detach: (c: Capture) => void) {
    this.point = point;
    this.detach = detach;
  }

  record(buf: Buffer, len: number, timeNs: number, mirrored: boolean): void {
    this.frames.push({ timeNs, data: Buffer.from(buf.subarray(0, len)), mirrored });
  }

  /** Stop recording; the frames stay readable. */
  stop(): void {
    this.detach(this);
  }

  toPcap(): PcapRecord[] {
    return this.frames.map((f) => ({ timeNs: f.timeNs, data: f.data }));
  }
}

/** Adds `c` to a capture list that is null while empty (one null check on the hot path). */
export function attach(list: Capture[] | null, c: Capture): Capture[] {
  return list === null ? [c] : [...list, c];
}

export function detachFrom(list: Capture[] | null, c: Capture): Capture[] | null {
  const rest = (list ?? []).filter((x) => x !== c);
  return rest.length === 0 ? null : rest;
}

import { ManualClock } from './clock.js';
import type { Port, SimNic } from './nic.js';
import type { PcapRecord } from './pcap.js';

export interface ReplayOptions {
  pf: string;
  /** Where the frames enter: the uplink or a VF's guest side. */
  from: Port;
}

export interface ReplayResult {
  /** How many frames got each verdict (`sent`, `spoofed`, … from a VF; `taken`/`dropped` from the wire). */
  verdicts: Record<string, number>;
  /** What arrived on the wire, with the capture's own time base. */
  wire: PcapRecord[];
  /** What arrived at each VF (only VFs that got something). */
  vfs: Map<number, PcapRecord[]>;
}

/**
 * Replay a capture through the PF's current policy and record where every frame went.
 * With a ManualClock the NIC's time follows the capture's timestamps, so rate limits see
 * the original pacing; output timestamps are mapped back to the capture's time base.
 */
export function replayPcap(
  nic: SimNic,
  records: readonly PcapRecord[],
  options: ReplayOptions,
): ReplayResult {
  const pf = nic.pf(options.pf);
  const clock = nic.clock;
  const start = clock.nowNs();
  const base = records[0]?.timeNs ?? 0;
  const wire = nic.capture(options.pf, 'wire');
  const vfCaps = pf.vfs.map((vf) => nic.capture(options.pf, vf.index));
  const verdicts: Record<string, number> = {};
  try {
    for (const r of records) {
      if (clock instanceof ManualClock) clock.set(Math.max(start + r.timeNs - base, clock.nowNs()));
      const v = nic.send(options.pf, options.from, r.data);
      const key = typeof v === 'boolean' ? (v ? 'taken' : 'dropped') : v;
      verdicts[key] = (verdicts[key] ?? 0) + 1;
    }
  } finally {
    wire.stop();
    for (const c of vfCaps) c.stop();
  }
  const shift = (rs: PcapRecord[]) => rs.map((x) => ({ ...x, timeNs: x.timeNs - start + base }));
  const vfs = new Map<number, PcapRecord[]>();
  vfCaps.forEach((c, i) => {
    if (c.frames.length > 0) vfs.set(i, shift(c.toPcap()));
  });
  return { verdicts, wire: shift(wire.toPcap()), vfs };
}

import assert from 'node:assert/strict';
import { buildFrame, type FrameSpec } from '../../../src/drivers/sim/build.js';
import { ManualClock } from '../../../src/drivers/sim/clock.js';
import { toVfCounters } from '../../../src/drivers/sim/counters.js';
import { createNic, type Port, type SimNic } from '../../../src/drivers/sim/nic.js';
import { HOST_INDEX } from '../../../src/drivers/sim/vf.js';
import type { VfCounters, VfSettings } from '../../../src/model/index.js';

/** Shared set-up of the frame tests: one PF with a few VFs on a manual clock. */
export const PF = 'sim:nic0/0';
export const WIRE_MAC = '02:ee:00:00:00:01';
/** The PF's own MAC: its host interface's address. */
export const HOST_MAC = '02:fe:00:00:00:00';
export const BCAST = 'ff:ff:ff:ff:ff:ff';
export const MCAST = '01:00:5e:00:00:fb';
export const UNKNOWN = '02:99:00:00:00:99';

export function mac(vf: number): string {
  return `02:00:00:00:00:${vf.toString(16).padStart(2, '0')}`;
}

export interface Rig {
  nic: SimNic;
  clock: ManualClock;
}

/** A NIC with `numVfs` VFs on PF, VF i holding mac(i); `linkSpeedMbps` for QoS tests. */
export function rig(numVfs = 4, linkSpeedMbps = 10000): Rig {
  const clock = new ManualClock();
  const nic = createNic([{ name: 'nic0', ports: 1, totalVfs: 64, linkSpeedMbps }], clock);
  const pf = nic.pf(PF);
  pf.resize(numVfs);
  for (let i = 0; i < numVfs; i++) pf.setVfField(i, 'mac', mac(i), true);
  return { nic, clock };
}

/** Program some settings of a VF as the hypervisor would. */
export function program(nic: SimNic, vf: number, settings: Partial<VfSettings>): void {
  for (const [k, v] of Object.entries(settings)) {
    nic.pf(PF).setVfField(vf, k as keyof VfSettings, v, true);
  }
}

/** Multicast groups a VF (or the host) joined, as its mailbox or the host kernel sets them. */
export function join(nic: SimNic, port: number | 'host', groups: string[]): void {
  nic.pf(PF).setGroups(port === 'host' ? HOST_INDEX : port, groups);
}

export function counters(nic: SimNic, port: number | 'pf' | 'host'): VfCounters {
  const pf = nic.pf(PF);
  if (port === 'pf') return toVfCounters(pf.counters);
  return toVfCounters(port === 'host' ? pf.host.counters : pf.vf(port).counters);
}

export function frame(spec: Partial<FrameSpec>): Buffer {
  return buildFrame({ dst: mac(0), src: WIRE_MAC, ...spec });
}

/** Outer-to-inner tags of a captured frame as `tpid/vid/pcp` strings, for readable asserts. */
export function tagsOf(buf: Buffer): string[] {
  const out: string[] = [];
  let off = 12;
  for (;;) {
    const t = buf.readUInt16BE(off);
    if (t !== 0x8100 && t !== 0x88a8) return out;
    const tci = buf.readUInt16BE(off + 2);
    out.push(`${t.toString(16)}/${tci & 0xfff}/${tci >> 13}`);
    off += 4;
  }
}

/** One frame as it arrived somewhere: its tags joined by `+`, or `untagged`. */
function shape(buf: Buffer): string {
  const tags = tagsOf(buf);
  return tags.length === 0 ? 'untagged' : tags.join('+');
}

/**
 * Where the frames `send` sends arrive: port name (`vf1`, `host`, `wire`) → each frame as it
 * arrived there (mirror copies left out). Ports that got nothing are absent.
 */
export function arrivals(nic: SimNic, send: () => void): Record<string, string[]> {
  const pf = nic.pf(PF);
  const ports: Port[] = [...pf.vfs.map((v) => v.index), 'host', 'wire'];
  const caps = ports.map(
    (p) => [typeof p === 'number' ? `vf${p}` : p, nic.capture(PF, p)] as const,
  );
  try {
    send();
  } finally {
    for (const [, c] of caps) c.stop();
  }
  const out: Record<string, string[]> = {};
  for (const [name, c] of caps) {
    const got = c.frames.filter((f) => !f.mirrored).map((f) => shape(f.data));
    if (got.length > 0) out[name] = got;
  }
  return out;
}

/** Asserts only the counters named in `want`. */
export function assertCounters(got: VfCounters, want: Partial<VfCounters>, msg: string): void {
  const picked = Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof VfCounters]]));
  assert.deepEqual(picked, want, msg);
}

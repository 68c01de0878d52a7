/**
 * Packet rate of the simulated NIC's datapath for 64-byte frames on one core, each path
 * printed with its goal: VF → wire at 10 GbE line rate (14.88 Mpps: MAC + VLAN anti-spoof,
 * port-VLAN tag insert, VEB lookup; the tag's bytes are written when something reads the
 * frame, so the next figure has a wire listener that reads every frame), every other path
 * ≥ 2 Mpps. VF → wire is measured first, as before, and again last, after every other path
 * has run (V8 then has seen every kind of frame). Rates are frames per second
 * of this process's CPU time (the machine is shared: time other processes run does not
 * count), the best of several runs, after warm-up runs. Next to each figure: its cost
 * as a multiple of a same-process baseline, a bare word copy of the frame with its tag and
 * four counter increments (the least any VF → wire path must do). The datapath's entry
 * points are called directly (SimNic's wrappers add a PF lookup by id). Garbage collections during
 * the runs are counted: with no allocation per frame there are none. Last, what a guest's
 * acknowledged change costs on a PF of 8 and of 64 VFs (_sim-change.ts).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { buildFrame } from '../src/drivers/sim/build.js';
import { ManualClock } from '../src/drivers/sim/clock.js';
import { receiveFromWire, transmit, transmitFromHost } from '../src/drivers/sim/datapath.js';
import { createNic, type SimNic } from '../src/drivers/sim/nic.js';
import type { SimPf } from '../src/drivers/sim/pf.js';
import { atLeast, atMost, type Bench } from './_report.js';
import { changeCost } from './_sim-change.js';

const FRAMES = 1_000_000;
const RUNS = 5;
const WARM_UP = 3;
const VFS = 64;
const PF = 'sim:b/0';
const GATEWAY = '02:ee:00:00:00:01';
const GROUP = '01:00:5e:00:00:fb';
/** 10 GbE line rate for 64-byte frames: 10e9 / ((64 + 20) × 8). */
const LINE_RATE_MPPS = 14.88;
const OTHER_MPPS = 2;

function mac(i: number): string {
  return `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;
}

/** 64 VFs on port VLAN 100 with anti-spoof; VF 1 also receives its copy of VF 0 (mirror). */
function setup(): { nic: SimNic; pf: SimPf; clock: ManualClock } {
  const clock = new ManualClock();
  const nic = createNic([{ name: 'b', ports: 1, totalVfs: VFS, linkSpeedMbps: 100000 }], clock);
  const pf = nic.pf(PF);
  pf.resize(VFS);
  for (let i = 0; i < VFS; i++) {
    pf.setVfField(i, 'mac', mac(i), true);
    pf.setVfField(i, 'vlans', [100], true);
    pf.setVfField(i, 'vlanQoS', 2, true);
    pf.setVfField(i, 'macAntiSpoof', true, true);
    pf.setVfField(i, 'vlanAntiSpoof', true, true);
  }
  pf.setHost({ vlans: [100] });
  pf.setGroups(2, [GROUP]);
  return { nic, pf, clock };
}

interface Figure {
  mpps: number;
  /** Median over the runs of (baseline time per frame / this path's), each pair back to back. */
  ratio: number;
  gcs: number;
}

/** Frames per CPU-microsecond of `n` calls of fn. */
function rate(n: number, fn: () => void): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(t0);
  return n / (used.user + used.system);
}

const baseFn = baseline();
for (let w = 0; w < WARM_UP; w++) rate(FRAMES, baseFn);

/**
 * Best of RUNS after warm-up runs (their tier-up compiles allocate, and on a busy machine
 * the optimising compiler's background thread needs a while), with GCs counted. Each run is
 * paired with a baseline run right before it, so the ratio sees the same machine load.
 */
async function measure(n: number, fn: () => void): Promise<Figure> {
  for (let w = 0; w < WARM_UP; w++) rate(n, fn);
  const gcAt: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcAt.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  const windows: [number, number][] = [];
  const ratios: number[] = [];
  let best = 0;
  for (let r = 0; r < RUNS; r++) {
    const b = rate(FRAMES, baseFn);
    const t0 = performance.now();
    const x = rate(n, fn);
    windows.push([t0, performance.now()]);
    best = Math.max(best, x);
    ratios.push(b / x);
  }
  // GC entries are delivered asynchronously: let them arrive before counting those that
  // started while the path ran (not during the baseline runs or the bookkeeping between).
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  const gcs = gcAt.filter((t) => windows.some(([a, b]) => t >= a && t <= b)).length;
  ratios.sort((a, b) => a - b);
  return { mpps: best, ratio: ratios[RUNS >> 1], gcs };
}

/** The baseline: what any VF → wire path with a tag insert must at least do. */
function baseline(): () => void {
  const src = new Int32Array(16);
  const dst = new Int32Array(32);
  const counters = new Float64Array(4);
  return () => {
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
    dst[3] = 0x64400081;
    for (let i = 3; i < 16; i++) dst[i + 1] = src[i];
    counters[0]++;
    counters[1] += 64;
    counters[2]++;
    counters[3] += 68;
  };
}

/** One path's figures: its rate against its goal, its cost against the baseline, its GCs. */
function state(b: Bench, name: string, f: Figure, goal: number, note?: string): void {
  b.figure(name, f.mpps, 'Mpps', atLeast(goal), note);
  b.figure(`${name}: baseline's cost / this path's (median of paired runs)`, f.ratio, '×');
  b.figure(`${name}: GCs during the run`, f.gcs, 'GCs', atMost(0));
}

export async function run(b: Bench): Promise<void> {
  const { nic, pf, clock } = setup();
  const vf0 = pf.vf(0);
  const frame = (dst: string, src: string, vid?: number) =>
    buildFrame({ dst, src, tags: vid === undefined ? [] : [{ vid }], size: 64 });
  const up = frame(GATEWAY, mac(0));
  const down = frame(mac(0), GATEWAY, 100);
  const peer = frame(mac(3), mac(0));
  const fromHost = frame(mac(0), pf.spec.mac, 100);
  const bcast = frame('ff:ff:ff:ff:ff:ff', GATEWAY, 100);
  const mcast = frame(GROUP, GATEWAY, 100);
  const tx = await measure(FRAMES, () => transmit(pf, vf0, up, 64));
  let sink = 0;
  const off = nic.onWire(PF, (buf) => {
    sink += buf[15];
  });
  const txRead = await measure(FRAMES, () => transmit(pf, vf0, up, 64));
  off();
  const local = await measure(FRAMES, () => transmit(pf, vf0, peer, 64));
  const host = await measure(FRAMES, () => transmitFromHost(pf, fromHost, 64));
  const rx = await measure(FRAMES, () => receiveFromWire(pf, down, 64));
  pf.setMirror(0, { targetVf: 1, direction: 'in' });
  const rxCopy = await measure(FRAMES, () => receiveFromWire(pf, down, 64));
  pf.setMirror(0, null);
  const flood = await measure(FRAMES / 16, () => receiveFromWire(pf, bcast, 64));
  const group = await measure(FRAMES / 16, () => receiveFromWire(pf, mcast, 64));
  pf.setTrafficClasses([60, 40]);
  const before = pf.counters[2];
  // 6 ns of virtual time per frame: just under the 100 Gb/s link's rate for 64-byte frames.
  const qos = await measure(FRAMES, () => {
    clock.advance(6);
    transmit(pf, vf0, up, 64);
  });
  const scheduled = pf.counters[2] - before;
  pf.setTrafficClasses([]);
  // Last, after every other path has fed the JIT its types: the mixed steady state.
  const txLast = await measure(FRAMES, () => transmit(pf, vf0, up, 64));
  const check = (what: string, ok: boolean) => {
    if (!ok) throw new Error(`bench sim: ${what} did not go where expected; it measured nothing`);
  };
  check('VF → wire', vf0.counters[2] >= 2 * FRAMES && pf.counters[2] >= 2 * FRAMES);
  check('wire listener', sink === 100 * (RUNS + WARM_UP) * FRAMES);
  check('VF → VF', pf.vf(3).counters[0] >= FRAMES);
  check('host → VF', vf0.counters[0] >= 3 * FRAMES);
  check('broadcast', pf.vf(VFS - 1).counters[10] >= FRAMES / 16 && pf.host.counters[0] > 0);
  check('multicast', pf.vf(VFS - 1).counters[11] >= FRAMES / 16 && pf.host.counters[11] > 0);
  check('the scheduler passing frames', scheduled >= 0.99 * (RUNS + WARM_UP) * FRAMES);
  const ports = VFS + 1;
  const print = (name: string, f: Figure, goal: number, note?: string) =>
    state(b, name, f, goal, note);
  print('VF → wire, 64 B, anti-spoof + 802.1Q insert', tx, LINE_RATE_MPPS);
  print('VF → wire, a wire listener reads every frame', txRead, OTHER_MPPS, 'tag written out');
  print('VF → VF in the same port VLAN (insert + strip)', local, OTHER_MPPS);
  print('host VLAN 100 → VF (port VLAN, strip)', host, OTHER_MPPS);
  print('wire → VF, MAC + VLAN filter + strip', rx, OTHER_MPPS);
  print('wire → VF, stripped copy to a mirror', rxCopy, OTHER_MPPS);
  const per = (f: Figure) => ({ ...f, mpps: f.mpps * ports, ratio: f.ratio / ports });
  const frames = (f: Figure) => `${f.mpps.toFixed(2)} M frames/s`;
  print(`broadcast wire → ${ports} ports, deliveries`, per(flood), OTHER_MPPS, frames(flood));
  print(`multicast (MTA hit) → ${ports} ports, deliveries`, per(group), OTHER_MPPS, frames(group));
  print('VF → wire through the ETS scheduler (2 classes)', qos, OTHER_MPPS);
  print('VF → wire again, after all the paths above', txLast, LINE_RATE_MPPS);
  const base = await measure(FRAMES, baseFn);
  b.figure(`baseline (word copy + counters), best of ${RUNS}`, base.mpps, 'Mpps');
  const change = await changeCost();
  const small = b.figure('sim, one VF change + one-VF observe, PF of 8 VFs', change.small, 'µs');
  const large = b.figure('sim, one VF change + one-VF observe, PF of 64 VFs', change.large, 'µs');
  b.ratio('sim, one VF change + one-VF observe: PF of 64 VFs / of 8', large, small, atMost(1.5));
}

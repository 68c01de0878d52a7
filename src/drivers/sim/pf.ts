import type {
  EswitchMode,
  MirrorState,
  TrafficClassMode,
  VfSettingKey,
  VfSettings,
} from '../../model/index.js';
import type { Capture } from './capture.js';
import type { Clock } from './clock.js';
import { FrameScratch } from './copy.js';
import { type CounterArray, newCounters } from './counters.js';
import { FrameView, MAX_FRAME_LEN } from './frame.js';
import { checkHost, type HostConfig, hostSettings } from './host.js';
import type { SimLag } from './lag.js';
import { macToNum } from './mac.js';
import { MacTable } from './mac-table.js';
import { MulticastTable } from './multicast.js';
import type { FramePath } from './path.js';
import { macTableProblem, mirrorProblem } from './pf-checks.js';
import { schedulerFor, type UplinkScheduler } from './scheduler.js';
import {
  checkGroups,
  checkVfValue,
  cloneSettings,
  defaultVfSettings,
  normaliseValue,
} from './settings.js';
import { HOST_INDEX, SimVf } from './vf.js';

export const DEFAULT_PF_MTU = 1500;
/** The uplink takes the MTU plus header and two VLAN tags (igb's IGB_ETH_PKT_HDR_PAD, no FCS). */
export const WIRE_LEN_OVER_MTU = 22;

/** Static description of one simulated port. */
export interface PfSpec {
  id: string;
  nic: string;
  port: number;
  totalVfs: number;
  linkSpeedMbps: number;
  /** The PF's own (burned-in) MAC, its host interface's address. */
  mac: string;
  /** NUMA node of the NIC (sysfs `numa_node`; -1: the host has no NUMA). */
  numaNode?: number;
}

/**
 * One simulated PF (NIC port): its VFs, its host interface, its VEB's MAC and multicast
 * tables, its uplink and their counters. Configuration goes through the methods here (which
 * validate and recompile the datapath view); frames go through datapath.ts.
 */
export class SimPf {
  readonly spec: PfSpec;
  readonly clock: Clock;
  numVfs = 0;
  private pfMtu = DEFAULT_PF_MTU;
  /** Longest frame the uplink accepts from the wire. */
  maxWireLen = DEFAULT_PF_MTU + WIRE_LEN_OVER_MTU;
  loopback = true;
  eswitchMode: EswitchMode = 'legacy';
  /** Set by a switchdev datapath to take this PF's frames over from the legacy VEB. */
  eswitch: FramePath | null = null;
  trafficClasses: number[] = [];
  trafficClassModes: TrafficClassMode[] = [];
  /**
   * Whether the uplink can carry frames: the cable, or for a VF-LAG member either member's
   * cable. When down, VFs with linkState auto are down too.
   */
  wireUp = true;
  /** The cable itself (setWire), and when it last changed (the LAG's failover clock). */
  cableUp = true;
  cableChangedNs = 0;
  /** The LAG this PF is a member of (lag.ts), or null. */
  lag: SimLag | null = null;
  vfs: SimVf[] = [];
  hostConfig: HostConfig;
  /** The PF's host interface as a port of the VEB. */
  host: SimVf;
  /** Every port of the VEB: the VFs, then the host. */
  ports: SimVf[] = [];
  readonly counters: CounterArray = newCounters();
  /** Destination MAC → the port that owns it (primary MAC or a MAC filter). */
  readonly macTable = new MacTable<SimVf>();
  readonly multicast = new MulticastTable();
  /** Ports that accept unknown unicast, so flooding it does not scan every port. */
  unknownPorts: SimVf[] = [];
  private sched: UplinkScheduler | null = null;
  private schedStale = true;
  wireCaptures: Capture[] | null = null;
  wireListeners: ((frame: Buffer, len: number) => void)[] = [];
  /** Scratch space so tag insert/strip and parsing allocate nothing per frame. */
  readonly txView = new FrameView();
  readonly txScratch = new FrameScratch(MAX_FRAME_LEN + 8);
  readonly rxScratch = new FrameScratch(MAX_FRAME_LEN + 8);
  /** A port-VLAN tag insert into txScratch not written yet (see deferTag). */
  private tagSrc: Buffer | null = null;
  private tagLen = 0;
  private tagTpid = 0;
  private tagTci = 0;

  constructor(spec: PfSpec, clock: Clock) {
    this.spec = spec;
    this.clock = clock;
    this.hostConfig = { mac: spec.mac, vlans: [], promisc: false, allmulti: false };
    const s = hostSettings(this.hostConfig, this.pfMtu);
    this.host = new SimVf(HOST_INDEX, s, cloneSettings(s));
    this.refresh();
  }

  get id(): string {
    return this.spec.id;
  }

  /** The PF MTU: the host interface's, the ceiling of every VF's, and the uplink's limit. */
  get mtu(): number {
    return this.pfMtu;
  }

  set mtu(mtu: number) {
    this.pfMtu = mtu;
    this.maxWireLen = mtu + WIRE_LEN_OVER_MTU;
    this.setHost({});
  }

  /**
   * The frame `src` with a tag inserted, as txScratch's buffer, whose bytes are written only
   * when something reads them (writeOut): a capture, a mirror, a wire listener. The switch
   * decides on the frame's view, so a frame nobody looks at is never copied, as a NIC's MAC
   * inserts the tag on the way out; counters and the scheduler count the tagged length.
   * `deferTag(null, …)` ends the frame.
   */
  deferTag(src: Buffer | null, len: number, tpid: number, tci: number): Buffer {
    this.tagSrc = src;
    this.tagLen = len;
    this.tagTpid = tpid;
    this.tagTci = tci;
    return this.txScratch.buf;
  }

  /** Before reading a frame's bytes: write out a deferred tag insert if `buf` is that frame. */
  writeOut(buf: Buffer): void {
    const src = this.tagSrc;
    if (src === null || buf !== this.txScratch.buf) return;
    this.tagSrc = null;
    this.txScratch.insertTag(src, this.tagLen, this.tagTpid, this.tagTci);
  }

  /** "vf 3 on sim:nic0/0", the prefix of every error about a VF. */
  where(vf: number): string {
    return vf === HOST_INDEX ? `host interface of ${this.id}` : `vf ${vf} on ${this.id}`;
  }

  vf(index: number): SimVf {
    const vf = this.vfs[index];
    if (!vf) {
      throw new Error(
        `${this.where(index)} does not exist: the PF has ${this.numVfs} VFs (0-${this.numVfs - 1}); raise numVfs first`,
      );
    }
    return vf;
  }

  private context() {
    return { wireUp: this.wireUp, nowNs: this.clock.nowNs() };
  }

  /**
   * Recompile one port after a change of its settings, groups or mirror; without `only`,
   * every port and every table (VFs recreated, the link, the traffic classes). The PF-wide
   * tables are rebuilt only when the port's part of them changed, so that a guest's allmulti
   * or MTU change costs the same on a PF of 8 VFs and of 64 (issue 16). setGroups keeps the
   * multicast table itself.
   */
  refresh(only?: SimVf): void {
    if (only === undefined) {
      this.refreshAll();
      return;
    }
    const { macs, acceptUnknown } = only;
    only.compile(this.context());
    // Other VFs' mirrors point at VF objects, which live until the next resize.
    if (!only.isHost) only.linkMirror(this.vfs);
    if (only.acceptUnknown !== acceptUnknown) this.findUnknownPorts();
    if (!sameMacs(macs, only.macs)) this.fillMacTable();
    this.schedStale = true;
  }

  private refreshAll(): void {
    const ctx = this.context();
    this.ports = [...this.vfs, this.host];
    for (const p of this.ports) p.compile(ctx);
    for (const vf of this.vfs) vf.linkMirror(this.vfs);
    this.findUnknownPorts();
    this.fillMacTable();
    this.multicast.rebuild(this.ports.map((p) => p.groups));
    this.host.slot = this.vfs.length;
    this.schedStale = true;
  }

  private findUnknownPorts(): void {
    this.unknownPorts = this.ports.filter((v) => v.acceptUnknown);
  }

  private fillMacTable(): void {
    let n = this.host.macs.length;
    for (const vf of this.vfs) n += vf.macs.length;
    this.macTable.clear(n);
    // The PF's own address comes first (igb keeps it in RAR[0]); then a lower VF index wins
    // a MAC two VFs claim (validation refuses that configuration).
    for (const m of this.host.macs) this.macTable.add(m, this.host);
    for (const vf of this.vfs) for (const m of vf.macs) this.macTable.add(m, vf);
  }

  /**
   * What shares the uplink between traffic classes and ports; null without traffic classes.
   * Built on first use after a change, since a plan changes many VFs in a row.
   */
  scheduler(): UplinkScheduler | null {
    if (this.schedStale) {
      this.sched = schedulerFor(
        this.spec.linkSpeedMbps,
        this.trafficClasses,
        this.trafficClassModes,
        this.ports.map((p) => p.settings),
        this.clock.nowNs(),
      );
      this.schedStale = false;
    }
    return this.sched;
  }

  /** Create `n` VFs with default settings; like the kernel, every existing VF is recreated. */
  resize(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.spec.totalVfs) {
      throw new Error(
        `${this.id}: numVfs ${n} is out of range 0-${this.spec.totalVfs} (totalVfs); lower numVfs`,
      );
    }
    this.numVfs = n;
    this.vfs = Array.from(
      { length: n },
      (_, i) => new SimVf(i, defaultVfSettings(this.mtu), defaultVfSettings(this.mtu)),
    );
    this.refresh();
  }

  /**
   * Set one VF setting after checking it. `programmed` also records it as what the
   * hypervisor wants (a guest reset returns to it); guest changes pass false.
   */
  setVfField(index: number, field: VfSettingKey, value: unknown, programmed: boolean): void {
    const vf = this.vf(index);
    const problem = checkVfValue(field, value, {
      pfMtu: this.mtu,
      linkSpeedMbps: this.spec.linkSpeedMbps,
    });
    if (problem) throw new Error(`${this.where(index)}: ${field}: ${problem}`);
    const v = normaliseValue(field, value);
    const full = macTableProblem(this.vfs, index, field, v);
    if (full) throw new Error(`${this.where(index)}: ${field}: ${full}`);
    (vf.settings as unknown as Record<string, unknown>)[field] = v;
    if (programmed) {
      (vf.programmed as unknown as Record<string, unknown>)[field] = normaliseValue(field, v);
    }
    this.refresh(vf);
  }

  /** Replace every setting of a VF at once (guest reset, release). */
  replaceVfSettings(index: number, settings: VfSettings): void {
    const vf = this.vf(index);
    vf.settings = cloneSettings(settings);
    this.refresh(vf);
  }

  /** The multicast groups a port joined (its whole list, as the VF mailbox sends it). */
  setGroups(index: number, groups: unknown): void {
    const port = index === HOST_INDEX ? this.host : this.vf(index);
    const problem = checkGroups(groups);
    if (problem) throw new Error(`${this.where(index)}: multicast groups: ${problem}`);
    const old = port.groups;
    port.groups = [...new Set((groups as string[]).map(macToNum))];
    this.multicast.replace(old, port.groups);
    this.refresh(port);
  }

  /** Change the host interface: its MAC, its VLAN devices, its modes. */
  setHost(change: Partial<HostConfig>): void {
    const problems = checkHost(change);
    if (problems.length > 0) throw new Error(`${this.where(HOST_INDEX)}: ${problems.join('; ')}`);
    this.hostConfig = { ...this.hostConfig, ...change };
    this.host.settings = hostSettings(this.hostConfig, this.mtu);
    this.host.programmed = cloneSettings(this.host.settings);
    this.refresh(this.host);
  }

  setMirror(index: number, mirror: MirrorState | null): void {
    const vf = this.vf(index);
    const problem = mirror ? mirrorProblem(index, mirror, this.numVfs) : null;
    if (problem) throw new Error(`${this.where(index)}: ${problem}`);
    vf.mirror = mirror ? { targetVf: mirror.targetVf, direction: mirror.direction } : null;
    this.refresh(vf);
  }

  setTrafficClasses(classes: number[], modes: TrafficClassMode[] = this.trafficClassModes): void {
    this.trafficClasses = [...classes];
    this.trafficClassModes = modes.map((m) => ({ ...m }));
    this.refresh();
  }

  setWire(up: boolean): void {
    if (up === this.cableUp) return;
    this.cableUp = up;
    this.cableChangedNs = this.clock.nowNs();
    this.linkChanged();
    this.lag?.peerOf(this).linkChanged();
  }

  /** Recompute `wireUp` after a cable or LAG change. */
  linkChanged(): void {
    const up = this.lag?.config.vfLag ? this.lag.anyCableUp() : this.cableUp;
    if (up === this.wireUp) return;
    this.wireUp = up;
    this.refresh();
  }

  /**
   * Forget everything, as after a PF reset: VFs back to defaults, mirrors, groups and
   * counters gone. The host interface keeps its MAC, VLAN devices and groups (the host
   * kernel programs them again after the reset).
   */
  reset(): void {
    this.mtu = DEFAULT_PF_MTU;
    this.loopback = true;
    this.eswitchMode = 'legacy';
    this.eswitch = null;
    this.trafficClasses = [];
    this.trafficClassModes = [];
    this.counters.fill(0);
    this.host.counters.fill(0);
    this.resize(this.numVfs);
  }
}

/** Whether a port's compiled MAC list is unchanged (a reordered list counts as changed). */
function sameMacs(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

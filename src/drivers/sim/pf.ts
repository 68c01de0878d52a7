import {
  type EswitchMode,
  type MirrorState,
  type VfSettingKey,
  type VfSettings,
  ZERO_MAC,
} from '../../model/index.js';
import type { Capture } from './capture.js';
import type { Clock } from './clock.js';
import { type CounterArray, newCounters } from './counters.js';
import type { SimEswitch } from './eswitch/switch.js';
import { FrameView, MAX_FRAME_LEN } from './frame.js';
import { MacTable } from './mac-table.js';
import { classBuckets, type TokenBucket } from './qos.js';
import {
  checkVfValue,
  cloneSettings,
  defaultVfSettings,
  MACS_PER_PF,
  normaliseValue,
} from './settings.js';
import { SimVf } from './vf.js';

export const DEFAULT_PF_MTU = 1500;

/** Static description of one simulated port. */
export interface PfSpec {
  id: string;
  nic: string;
  port: number;
  totalVfs: number;
  linkSpeedMbps: number;
}

/**
 * One simulated PF (NIC port): its VFs, its VEB's MAC table, its uplink and their counters.
 * Configuration goes through the methods here (which validate and recompile the datapath
 * view); frames go through datapath.ts.
 */
export class SimPf {
  readonly spec: PfSpec;
  readonly clock: Clock;
  numVfs = 0;
  mtu = DEFAULT_PF_MTU;
  loopback = true;
  eswitchMode: EswitchMode = 'legacy';
  /** In switchdev mode: the rules that switch frames in place of the VEB. */
  eswitch: SimEswitch | null = null;
  trafficClasses: number[] = [];
  /** The cable: when down, VFs with linkState auto are down too. */
  wireUp = true;
  vfs: SimVf[] = [];
  readonly counters: CounterArray = newCounters();
  /** Destination MAC → the VF that owns it (primary MAC or a MAC filter). */
  readonly macTable = new MacTable();
  /** VFs that accept unknown unicast, so flooding it does not scan every VF. */
  unknownVfs: SimVf[] = [];
  classBuckets: (TokenBucket | null)[] = [];
  wireCaptures: Capture[] | null = null;
  wireListeners: ((frame: Buffer, len: number) => void)[] = [];
  /** Scratch space so tag insert/strip and parsing allocate nothing per frame. */
  readonly txView = new FrameView();
  readonly fwdView = new FrameView();
  readonly txScratch = Buffer.alloc(MAX_FRAME_LEN + 8);
  readonly rxScratch = Buffer.alloc(MAX_FRAME_LEN + 8);

  constructor(spec: PfSpec, clock: Clock) {
    this.spec = spec;
    this.clock = clock;
  }

  get id(): string {
    return this.spec.id;
  }

  /** "vf 3 on sim:nic0/0", the prefix of every error about a VF. */
  where(vf: number): string {
    return `vf ${vf} on ${this.id}`;
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
    return {
      wireUp: this.wireUp,
      linkSpeedMbps: this.spec.linkSpeedMbps,
      trafficClasses: this.trafficClasses,
      nowNs: this.clock.nowNs(),
    };
  }

  /** Recompile one VF (or all) and the MAC table after a change. */
  refresh(only?: SimVf): void {
    const ctx = this.context();
    for (const vf of only ? [only] : this.vfs) vf.compile(ctx);
    for (const vf of this.vfs) vf.linkMirror(this.vfs);
    this.unknownVfs = this.vfs.filter((v) => v.acceptUnknown);
    this.macTable.clear();
    // Lower VF index wins a MAC two VFs claim (validation refuses that configuration).
    for (const vf of this.vfs) for (const m of vf.macs) this.macTable.add(m, vf);
  }

  /** Create `n` VFs with default settings; like the kernel, every existing VF is recreated. */
  resize(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.spec.totalVfs) {
      throw new Error(
        `${this.id}: numVfs ${n} is out of range 0-${this.spec.totalVfs} (totalVfs); lower numVfs`,
      );
    }
    this.numVfs = n;
    // New VFs have new representors: the rules of the old ones are gone, as in the kernel.
    this.eswitch?.table.clear();
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
    this.checkPfTables(index, field, v);
    (vf.settings as unknown as Record<string, unknown>)[field] = v;
    if (programmed) {
      (vf.programmed as unknown as Record<string, unknown>)[field] = normaliseValue(field, v);
    }
    this.refresh(vf);
  }

  /** Replace every setting of a VF at once (guest reset). */
  replaceVfSettings(index: number, settings: VfSettings): void {
    const vf = this.vf(index);
    vf.settings = cloneSettings(settings);
    this.refresh(vf);
  }

  /** The PF-wide MAC filter table is shared by all VFs (STYLE: name the limit and the fix). */
  private checkPfTables(index: number, field: VfSettingKey, value: unknown): void {
    if (field !== 'macFilters' && field !== 'mac') return;
    const others = this.vfs.filter((v) => v.index !== index).reduce((n, v) => n + v.macs.length, 0);
    const own = this.vfs[index].settings;
    const mine =
      field === 'mac'
        ? 1 + own.macFilters.length
        : (own.mac === ZERO_MAC ? 0 : 1) + (value as string[]).length;
    if (others + mine > MACS_PER_PF) {
      throw new Error(
        `${this.where(index)}: ${field}: the PF's MAC filter table holds ${MACS_PER_PF} entries and ${others} are used by other VFs; remove MACs elsewhere`,
      );
    }
  }

  setMirror(index: number, mirror: MirrorState | null): void {
    const vf = this.vf(index);
    if (mirror) {
      const t = mirror.targetVf;
      if (!Number.isInteger(t) || t < 0 || t >= this.numVfs || t === index) {
        throw new Error(
          `${this.where(index)}: mirror target vf ${t} is not another VF of this PF (0-${this.numVfs - 1}, not ${index}); pick another target`,
        );
      }
      if (!['in', 'out', 'all'].includes(mirror.direction)) {
        throw new Error(
          `${this.where(index)}: mirror direction "${mirror.direction}" is not in, out or all`,
        );
      }
    }
    vf.mirror = mirror ? { targetVf: mirror.targetVf, direction: mirror.direction } : null;
    this.refresh(vf);
  }

  setTrafficClasses(classes: number[]): void {
    this.trafficClasses = [...classes];
    this.classBuckets = classBuckets(this.spec.linkSpeedMbps, classes, this.clock.nowNs());
    this.refresh();
  }

  setWire(up: boolean): void {
    this.wireUp = up;
    this.refresh();
  }

  /** Forget everything, as after a PF reset: VFs back to defaults, mirrors and counters gone. */
  reset(): void {
    this.mtu = DEFAULT_PF_MTU;
    this.loopback = true;
    this.eswitchMode = 'legacy';
    this.eswitch = null;
    this.trafficClasses = [];
    this.classBuckets = [];
    this.counters.fill(0);
    this.resize(this.numVfs);
  }
}

import {
  type ApplyResult,
  type ObservedLag,
  type ObservedPf,
  type ObservedVf,
  type Plan,
  type VfSettings,
  vfKey,
} from '../../model/index.js';
import type {
  DriverEvent,
  GuestRequestHandler,
  NicDriver,
  ObserveOptions,
  PfInfo,
} from '../driver.js';
import { applyPlan, type Snapshots } from './apply.js';
import { SIM_DRIVER, simCapabilities } from './caps.js';
import { toVfCounters } from './counters.js';
import type { DemoTraffic } from './demo.js';
import { observeEswitch } from './eswitch/apply.js';
import type { SimNic } from './nic.js';
import { type SimPciLayout, simPciLayout, vfPciAddr } from './pci.js';
import type { SimPf } from './pf.js';
import { cloneSettings, frozenSettings, sameSettings } from './settings.js';
import type { SimVf } from './vf.js';

function lagOf(nic: SimNic, pf: SimPf): { lag?: ObservedLag } {
  const lag = nic.observeLag(pf.id);
  return lag ? { lag } : {};
}

/**
 * The NicDriver over a SimNic. The NIC itself is public (`driver.nic`) so tests, benches and
 * the demo traffic can inject and capture frames; the daemon uses only the interface.
 */
export class SimDriver implements NicDriver {
  readonly name = SIM_DRIVER;
  readonly nic: SimNic;
  private readonly demo: DemoTraffic | null;
  private readonly snapshots: Snapshots = new Map();
  private readonly listeners = new Set<(event: DriverEvent) => void>();
  private unsubscribe: (() => void) | null = null;
  private readonly pci: Map<string, SimPciLayout>;
  private lagTimer: NodeJS.Timeout | null = null;

  constructor(nic: SimNic, demo: DemoTraffic | null) {
    this.nic = nic;
    this.demo = demo;
    this.pci = simPciLayout([...nic.pfs.values()]);
  }

  /** Who the PF is: the same in discover() and observe(). */
  private identity(pf: SimPf) {
    return {
      id: pf.id,
      driver: SIM_DRIVER,
      pciAddr: this.pci.get(pf.id)?.pf,
      netdev: `${pf.spec.nic}p${pf.spec.port}`,
      totalVfs: pf.spec.totalVfs,
      numVfs: pf.numVfs,
      linkSpeedMbps: pf.spec.linkSpeedMbps,
      numaNode: pf.spec.numaNode ?? 0,
    };
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.nic.on((e) => {
      for (const l of [...this.listeners]) l(e);
    });
    this.demo?.start();
    // The LAGs' link monitors also run without traffic, so a failover is reported (and its
    // event sent) when it happens, not when the next frame comes: every 10 ms, below any
    // sensible miimon.
    this.lagTimer = setInterval(() => this.nic.pollLags(), 10);
    this.lagTimer.unref();
  }

  async stop(): Promise<void> {
    this.demo?.stop();
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.lagTimer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.listeners.clear();
    this.nic.setGuestRequestHandler(null);
  }

  async discover(): Promise<PfInfo[]> {
    return [...this.nic.pfs.values()].map((pf) => ({
      ...this.identity(pf),
      capabilities: simCapabilities(pf),
    }));
  }

  /**
   * The settings each VF was last observed with, frozen, handed out again while the VF's
   * settings equal them. The stats refresh observes every VF once a second and the daemon
   * keeps each observation until the next: a fresh copy every time was ~0.5 MiB/s at
   * 512 VFs that lived just long enough to reach V8's old generation, which RSS showed as a
   * climb between collections.
   */
  private readonly lastSettings = new WeakMap<SimVf, Readonly<VfSettings>>();

  private observedSettings(vf: SimVf): VfSettings {
    const last = this.lastSettings.get(vf);
    if (last && sameSettings(last, vf.settings)) return last;
    const now = frozenSettings(vf.settings);
    this.lastSettings.set(vf, now);
    return now;
  }

  /** Each VF's names (PCI address, netdev), made once: they never change. */
  private readonly vfNames = new WeakMap<SimVf, { pciAddr: string | undefined; netdev: string }>();

  private namesOf(pf: SimPf, index: number, vf: SimVf) {
    let n = this.vfNames.get(vf);
    if (!n) {
      const pci = this.pci.get(pf.id);
      n = {
        pciAddr: pci ? vfPciAddr(pci, index) : undefined,
        netdev: `${pf.spec.nic}p${pf.spec.port}v${index}`,
      };
      this.vfNames.set(vf, n);
    }
    return n;
  }

  private observeVf(pf: SimPf, index: number): ObservedVf {
    const vf = pf.vfs[index];
    const names = this.namesOf(pf, index, vf);
    const out: ObservedVf = {
      kind: 'observed',
      pf: pf.id,
      vf: index,
      netdev: names.netdev,
      settings: this.observedSettings(vf),
      mirror: vf.mirror ? { ...vf.mirror } : null,
      counters: toVfCounters(vf.counters),
      linkUp: vf.linkUp,
    };
    if (names.pciAddr !== undefined) out.pciAddr = names.pciAddr;
    // switchdev: the representor the VF's rules hang on, named and numbered the way mlx5
    // does it (`pf0vf3`-style port name, devlink port index per VF), one switch per NIC.
    if (pf.eswitchMode === 'switchdev')
      out.switchPort = {
        representor: `${pf.spec.nic}p${pf.spec.port}r${index}`,
        devlinkPort: `sim/${pf.spec.nic}/${pf.spec.port * 0x10000 + index + 1}`,
        switchId: pf.spec.nic,
        via: 'devlink',
      };
    return out;
  }

  private pfsOf(id?: string): SimPf[] {
    return id === undefined ? [...this.nic.pfs.values()] : [this.nic.pf(id)];
  }

  async observe(options: ObserveOptions = {}): Promise<ObservedPf[]> {
    return this.pfsOf(options.pf).map((pf) => ({
      kind: 'observed',
      ...this.identity(pf),
      linkUp: pf.cableUp,
      mtu: pf.mtu,
      loopback: pf.loopback,
      eswitchMode: pf.eswitchMode,
      trafficClasses: [...pf.trafficClasses],
      trafficClassModes: pf.trafficClassModes.map((m) => ({ ...m })),
      counters: toVfCounters(pf.counters),
      vfs:
        options.vf === undefined
          ? pf.vfs.map((_, i) => this.observeVf(pf, i))
          : pf.vfs[options.vf]
            ? [this.observeVf(pf, options.vf)]
            : [],
      ...observeEswitch(pf),
      ...lagOf(this.nic, pf),
    }));
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    return applyPlan(this.nic, plan, this.snapshots);
  }

  /** Restore the VF from the snapshot taken before nicvisor first changed it. */
  async release(pfId: string, vf: number): Promise<void> {
    const pf = this.nic.pf(pfId);
    pf.vf(vf);
    const key = vfKey(pfId, vf);
    const snap = this.snapshots.get(key);
    if (!snap) return;
    const v = pf.vf(vf);
    v.programmed = cloneSettings(snap.settings);
    pf.replaceVfSettings(vf, snap.settings);
    pf.setMirror(vf, snap.mirror);
    this.snapshots.delete(key);
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  setGuestRequestHandler(handler: GuestRequestHandler | null): void {
    this.nic.setGuestRequestHandler(handler);
  }
}

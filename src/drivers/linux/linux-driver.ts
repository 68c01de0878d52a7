import type {
  ApplyResult,
  MirrorState,
  ObservedPf,
  ObservedVf,
  PfCapabilities,
  Plan,
  PlanStep,
  StepOutcome,
  VfCounters,
  VfSettings,
} from '../../model/index.js';
import { vfKey, zeroCounters } from '../../model/index.js';
import type { DriverEvent, NicDriver, ObserveOptions, PfInfo } from '../driver.js';
import { UnsupportedError } from '../driver.js';
import { applyPfStep } from './apply-pf.js';
import { applyVfSteps, describeRefusal, type VfApplyContext } from './apply-vfs.js';
import { linuxCapabilities } from './capabilities.js';
import { vfCounters } from './counters.js';
import { DriftWatcher } from './drift.js';
import type { DevlinkHandle, DevlinkPort, EswitchModeName } from './netlink/genl.js';
import type { LinkInfo } from './netlink/link-decode.js';
import { NetlinkError } from './netlink/message.js';
import type { VfInfo } from './netlink/vf-decode.js';
import { Devlink, Rtnl } from './rtnl.js';
import {
  changeOf,
  differingGroups,
  type KernelState,
  kernelState,
  observedSettings,
} from './settings.js';
import { SnapshotStore } from './snapshot.js';
import { Sysfs, type SysfsPf } from './sysfs.js';

export interface LinuxDriverOptions {
  /** `/sys`, or a fake tree in tests. */
  sysfsRoot: string;
  /** Snapshots of VFs' original settings go to STATEDIR/linux-snapshots. */
  stateDir: string;
  /** VF limits for PFs without `sriov_totalvfs` (PF id → count), from the PF policies. */
  totalVfsOverrides?: ReadonlyMap<string, number>;
  /** Slow poll for drift the kernel does not announce (default 1000 ms). */
  pollIntervalMs?: number;
}

/** One PF the driver manages: what sysfs says, and what it can do. */
export interface PfEntry {
  sys: SysfsPf;
  caps: PfCapabilities;
  devlink: DevlinkHandle;
  eswitch: EswitchModeName;
}

const key = (pf: string, vf: number) => vfKey(pf, vf);

/**
 * The linux driver: sysfs for PFs and VF counts, rtnetlink for VF attributes and counters,
 * devlink for the eswitch mode. The kernel gives no hook into a guest's mailbox, so guest
 * requests reach nicvisor only through its API (capabilities say `mailbox: false`).
 */
export class LinuxDriver implements NicDriver {
  readonly name = 'linux';
  private readonly sysfs: Sysfs;
  private readonly rtnl = new Rtnl();
  private readonly devlink = new Devlink();
  private readonly snapshots: SnapshotStore;
  private readonly pfs = new Map<string, PfEntry>();
  /** What the kernel holds for each VF, as last read or acknowledged. */
  private readonly known = new Map<string, KernelState>();
  /** Fields the kernel does not hold, as last applied. */
  private readonly recorded = new Map<string, Partial<VfSettings>>();
  private readonly lastNumVfs = new Map<string, number>();
  private readonly listeners = new Set<(e: DriverEvent) => void>();
  private watcher: DriftWatcher | null = null;
  private applying = 0;
  /** Bumped when an apply starts or ends: a drift check that overlapped one is discarded. */
  private applyEpoch = 0;
  private started = false;

  constructor(private readonly opts: LinuxDriverOptions) {
    this.sysfs = new Sysfs(opts.sysfsRoot);
    this.snapshots = new SnapshotStore(opts.stateDir);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.watcher = new DriftWatcher(
      this.opts.pollIntervalMs ?? 1000,
      (reason) => this.checkDrift(reason),
      (e) => this.emit({ type: 'changed', pf: '*', reason: `drift check failed: ${e.message}` }),
    );
    // Each socket's worker thread takes a while to boot (about 1 s under emulation): together.
    const opened = await Promise.allSettled([
      this.snapshots.load(),
      this.rtnl.open(),
      this.devlink.open(),
      this.watcher.start(),
    ]);
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed) {
      await this.closeAll();
      throw (failed as PromiseRejectedResult).reason;
    }
    this.started = true;
    await this.refresh();
  }

  private async closeAll(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = null;
    await this.rtnl.close();
    await this.devlink.close();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.closeAll();
    this.listeners.clear();
  }

  /** Re-reads sysfs (PFs come and go with driver reloads; their ifindex changes). */
  private async refresh(): Promise<PfEntry[]> {
    const found = await this.sysfs.listPfs();
    const links = await this.rtnl.getLinks(
      found.map((p) => p.ifindex),
      false,
    );
    const next = new Map<string, PfEntry>();
    for (const [i, sys] of found.entries()) {
      const link = links[i] instanceof NetlinkError ? undefined : (links[i] as LinkInfo);
      const devlink = { bus: sys.bus, dev: sys.id };
      const mode = await this.devlink.getEswitchMode(devlink);
      const totalVfs =
        sys.totalVfs ??
        this.opts.totalVfsOverrides?.get(sys.id) ??
        (sys.driver === 'netdevsim' ? await this.sysfs.netdevsimMaxVfs(sys) : undefined) ??
        linuxCapabilities({
          driver: sys.driver,
          totalVfs: 0,
          linkSpeedMbps: 0,
          maxMtu: 0,
          hasDevlinkEswitch: false,
        }).totalVfs;
      const caps = linuxCapabilities({
        driver: sys.driver,
        totalVfs: totalVfs || sys.numVfs,
        linkSpeedMbps: sys.speedMbps,
        maxMtu: link?.maxMtu,
        hasDevlinkEswitch: mode !== undefined,
      });
      next.set(sys.id, { sys, caps, devlink, eswitch: mode ?? 'legacy' });
    }
    // Swapped in whole, so a failed refresh leaves the previous view in place.
    this.pfs.clear();
    for (const [id, e] of next) this.pfs.set(id, e);
    return [...this.pfs.values()];
  }

  async discover(): Promise<PfInfo[]> {
    this.requireStarted();
    const entries = await this.refresh();
    return entries.map((e) => ({
      id: e.sys.id,
      driver: e.caps.driver,
      pciAddr: e.sys.bus === 'pci' ? e.sys.id : undefined,
      netdev: e.sys.netdev,
      totalVfs: e.caps.totalVfs,
      numVfs: e.sys.numVfs,
      linkSpeedMbps: e.sys.speedMbps,
      capabilities: e.caps,
    }));
  }

  private requireStarted(): void {
    if (!this.started) throw new Error('linux driver is not started (call start() first)');
  }

  /** Reads the given PFs' links (pipelined); a PF whose netdev vanished triggers a refresh. */
  private async readLinks(entries: PfEntry[], stats: boolean): Promise<Map<string, LinkInfo>> {
    let res = await this.rtnl.getLinks(
      entries.map((e) => e.sys.ifindex),
      stats,
    );
    if (res.some((r) => r instanceof NetlinkError)) {
      await this.refresh();
      entries = entries.map((e) => this.pfs.get(e.sys.id)).filter((e): e is PfEntry => !!e);
      res = await this.rtnl.getLinks(
        entries.map((e) => e.sys.ifindex),
        stats,
      );
    }
    const out = new Map<string, LinkInfo>();
    entries.forEach((e, i) => {
      const r = res[i];
      if (!(r instanceof NetlinkError)) out.set(e.sys.id, r);
    });
    return out;
  }

  async observe(options: ObserveOptions = {}): Promise<ObservedPf[]> {
    this.requireStarted();
    const entries = [...this.pfs.values()].filter((e) => !options.pf || e.sys.id === options.pf);
    const links = await this.readLinks(entries, options.stats ?? false);
    const out: ObservedPf[] = [];
    for (const e of entries) {
      const link = links.get(e.sys.id);
      if (!link) continue;
      e.eswitch = (await this.devlink.getEswitchMode(e.devlink)) ?? 'legacy';
      out.push(await this.observedPf(e, link));
    }
    return out;
  }

  private async observedPf(e: PfEntry, link: LinkInfo): Promise<ObservedPf> {
    const sysVfs = new Map((await this.sysfs.listVfs(e.sys)).map((v) => [v.vf, v]));
    const vfs: ObservedVf[] = [];
    for (const info of link.vfs) {
      const k = key(e.sys.id, info.vf);
      this.known.set(k, kernelState(info));
      const sv = sysVfs.get(info.vf);
      const vfMtu = sv?.netdev ? await this.sysfs.netdevMtu(sv.netdev) : undefined;
      vfs.push({
        kind: 'observed',
        pf: e.sys.id,
        vf: info.vf,
        pciAddr: sv?.pciAddr,
        netdev: sv?.netdev,
        settings: observedSettings(info, this.recorded.get(k), vfMtu),
        mirror: null,
        counters: vfCounters(info.stats),
        linkUp: info.linkState === 'enable' || (info.linkState === 'auto' && link.lowerUp),
      });
    }
    const numVfs = link.numVfs ?? e.sys.numVfs;
    this.lastNumVfs.set(e.sys.id, numVfs);
    return {
      kind: 'observed',
      id: e.sys.id,
      driver: e.caps.driver,
      pciAddr: e.sys.bus === 'pci' ? e.sys.id : undefined,
      netdev: link.name,
      totalVfs: e.caps.totalVfs,
      numVfs,
      linkUp: link.lowerUp,
      linkSpeedMbps: e.sys.speedMbps,
      mtu: link.mtu,
      loopback: true,
      eswitchMode: e.eswitch,
      trafficClasses: [],
      counters: link.stats ? pfCounters(link) : zeroCounters(),
      vfs,
    };
  }

  async readCounters(pf?: string): Promise<Map<string, VfCounters>> {
    const pfs = await this.observe({ stats: true, pf });
    const out = new Map<string, VfCounters>();
    for (const p of pfs) for (const v of p.vfs) out.set(key(p.id, v.vf), v.counters);
    return out;
  }

  /** The VF-level part of apply() sees the driver through this narrow context. */
  private vfContext(): VfApplyContext {
    return {
      rtnl: this.rtnl,
      pf: (id) => {
        const e = this.pfs.get(id);
        return (
          e && { netdev: e.sys.netdev, ifindex: e.sys.ifindex, caps: e.caps, driver: e.sys.driver }
        );
      },
      kernelStates: async (keys) => {
        const missing = [
          ...new Set(keys.filter((k) => !this.known.has(key(k.pf, k.vf))).map((k) => k.pf)),
        ];
        if (missing.length > 0) {
          const entries = missing.map((id) => this.pfs.get(id)).filter((e): e is PfEntry => !!e);
          const links = await this.readLinks(entries, false);
          for (const [id, link] of links)
            for (const v of link.vfs) this.known.set(key(id, v.vf), kernelState(v));
        }
        const out = new Map<string, KernelState>();
        for (const k of keys) {
          const s = this.known.get(key(k.pf, k.vf));
          if (s) out.set(key(k.pf, k.vf), s);
        }
        return out;
      },
      remember: (pf, vf, s) => {
        this.known.set(key(pf, vf), s);
      },
      record: (pf, vf, field, value) => {
        const r = this.recorded.get(key(pf, vf)) ?? {};
        (r as Record<string, unknown>)[field] = value;
        this.recorded.set(key(pf, vf), r);
      },
      linkNow: async (pf) => {
        const e = this.pfs.get(pf);
        return e ? this.sysfs.linkNow(e.sys.netdev) : 'link unknown';
      },
      takeOver: async (pf, vf, before) => {
        if (this.snapshots.get(pf, vf)) return;
        await this.snapshots.save({ pf, vf, takenAt: new Date().toISOString(), settings: before });
      },
    };
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    this.requireStarted();
    this.applying++;
    this.applyEpoch++;
    try {
      const outcomes: StepOutcome[] = [];
      let i = 0;
      while (i < plan.steps.length) {
        const step = plan.steps[i];
        if (step.kind === 'setVf') {
          // Consecutive VF steps go out together: one message per VF, all in one send.
          let j = i;
          while (j < plan.steps.length && plan.steps[j].kind === 'setVf') j++;
          const run = plan.steps.slice(i, j) as Array<Extract<PlanStep, { kind: 'setVf' }>>;
          outcomes.push(...(await applyVfSteps(this.vfContext(), run)));
          i = j;
          continue;
        }
        outcomes.push(await this.applyOther(step));
        i++;
      }
      return { outcomes };
    } finally {
      this.applying--;
      this.applyEpoch++;
    }
  }

  private async applyOther(step: Exclude<PlanStep, { kind: 'setVf' }>): Promise<StepOutcome> {
    if (step.kind === 'setMirror') {
      const e = new UnsupportedError(
        'linux',
        'mirror',
        'no NIC mirroring through the kernel in legacy mode',
      );
      return { step, status: 'failed', error: `PF ${step.pf} vf ${step.vf}: ${e.message}` };
    }
    let entry = this.pfs.get(step.pf);
    if (!entry) {
      await this.refresh();
      entry = this.pfs.get(step.pf);
    }
    if (!entry) {
      return {
        step,
        status: 'failed',
        error: `PF ${step.pf} not found; fix: check the PCI address in the policy against \`nicvisor show pfs\``,
      };
    }
    const outcome = await applyPfStep(
      { rtnl: this.rtnl, devlink: this.devlink, sysfs: this.sysfs, entry },
      step,
    );
    if (outcome.status === 'done' && step.kind !== 'setPf') {
      // New VFs or a new eswitch mode: the kernel's VFs and ifindexes are new.
      this.forgetPf(step.pf);
      if (step.kind === 'setNumVfs') this.lastNumVfs.set(step.pf, step.to);
      await this.refresh();
    }
    return outcome;
  }

  async setMirror(pf: string, vf: number, _mirror: MirrorState | null): Promise<void> {
    throw new UnsupportedError(
      'linux',
      'mirror',
      `PF ${pf} vf ${vf}: no NIC mirroring through the kernel in legacy mode`,
    );
  }

  /**
   * Puts back the settings the VF had before nicvisor first changed it. Only what differs is
   * sent (igb refuses even an unchanged rate while its link is down), group by group so one
   * refusal does not keep the rest from being restored.
   */
  async release(pf: string, vf: number): Promise<void> {
    this.requireStarted();
    const snap = this.snapshots.get(pf, vf);
    const k = key(pf, vf);
    this.recorded.delete(k);
    if (!snap) return;
    const e = this.pfs.get(pf);
    if (!e)
      throw new Error(
        `PF ${pf} not found while releasing vf ${vf}; its snapshot stays in ${this.snapshots.dir}`,
      );
    const now = (await this.vfContext().kernelStates([{ pf, vf }])).get(k);
    const groups = differingGroups(snap.settings, now).filter(
      (g) => g !== 'linkState' || !e.caps.unsupportedVfFields.linkState,
    );
    const changes = groups.map((g) => ({
      ifindex: e.sys.ifindex,
      change: changeOf(vf, snap.settings, [g]),
    }));
    const acks = await this.rtnl.setVfs(changes);
    const errors = acks
      .map((ack, i) =>
        ack.errno === 0
          ? null
          : describeRefusal(pf, e.sys.netdev, e.sys.driver, changes[i].change, ack),
      )
      .filter((x): x is string => x !== null);
    this.known.delete(k);
    if (errors.length > 0) {
      throw new Error(
        `restoring vf ${vf} from ${this.snapshots.dir}: ${errors.join('; ')}; the snapshot is kept, release again to retry`,
      );
    }
    await this.snapshots.remove(pf, vf);
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setGuestRequestHandler(): void {
    // No mailbox: the kernel gives no hook into a guest's requests (capabilities.mailbox).
  }

  private emit(e: DriverEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** switchdev representors of a PF's VFs (devlink `pcivf` ports with their netdev). */
  async representors(pf: string): Promise<DevlinkPort[]> {
    const e = this.pfs.get(pf);
    if (!e) return [];
    return (await this.devlink.ports(e.devlink)).filter(
      (p) => p.vfNumber !== undefined && p.flavour === 4,
    );
  }

  /** Compares the kernel with what nicvisor last knew; reports resets and changed VFs. */
  private async checkDrift(reason: string): Promise<void> {
    if (process.env.NICVISOR_DEBUG)
      console.log(`# drift check (${reason}) applying=${this.applying}`);
    if (!this.started || this.applying > 0) return;
    const epoch = this.applyEpoch;
    const before = new Map([...this.pfs.values()].map((e) => [e.sys.id, e.sys.ifindex]));
    await this.refresh();
    const links = await this.readLinks([...this.pfs.values()], false);
    // nicvisor's own changes are not drift: read again on the next notification or poll.
    if (epoch !== this.applyEpoch) return;
    for (const [id, ifindex] of before) {
      const e = this.pfs.get(id);
      const link = links.get(id);
      if (!e || !link) {
        this.emit({ type: 'pfReset', pf: id, reason: `PF ${id} disappeared (${reason})` });
        this.forgetPf(id);
        continue;
      }
      const numVfs = link.numVfs ?? e.sys.numVfs;
      const lastNum = this.lastNumVfs.get(id);
      this.lastNumVfs.set(id, numVfs);
      if (e.sys.ifindex !== ifindex || (lastNum !== undefined && lastNum !== numVfs)) {
        const why =
          e.sys.ifindex !== ifindex
            ? `netdev ${e.sys.netdev} was re-created (driver reload)`
            : `numVfs changed ${lastNum} → ${numVfs}`;
        this.forgetPf(id);
        for (const v of link.vfs) this.known.set(key(id, v.vf), kernelState(v));
        this.emit({ type: 'pfReset', pf: id, reason: `PF ${id}: ${why} (${reason})` });
        continue;
      }
      this.compareVfs(id, link.vfs, reason);
    }
  }

  private compareVfs(pf: string, vfs: VfInfo[], reason: string): void {
    const changed: number[] = [];
    for (const v of vfs) {
      const k = key(pf, v.vf);
      const was = this.known.get(k);
      const now = kernelState(v);
      this.known.set(k, now);
      // Every VF is watched, not only those this process changed: after a daemon restart
      // the VFs already in sync were never touched, yet their drift matters as much.
      if (was && JSON.stringify(was) !== JSON.stringify(now)) changed.push(v.vf);
    }
    // A reset puts a VF back to the driver's blank state; someone's `ip link` changes a field.
    const blank = changed.every((vf) => isBlank(this.known.get(key(pf, vf))));
    if (changed.length > 1 || (changed.length === 1 && blank)) {
      this.emit({
        type: 'pfReset',
        pf,
        reason: `PF ${pf}: vfs ${changed.join(',')} lost their settings (${reason})`,
      });
    } else if (changed.length === 1) {
      this.emit({
        type: 'changed',
        pf,
        vf: changed[0],
        reason: `PF ${pf} vf ${changed[0]} changed behind nicvisor's back (${reason})`,
      });
    }
  }

  private forgetPf(pf: string): void {
    for (const k of [...this.known.keys()]) if (k.startsWith(`${pf}#`)) this.known.delete(k);
  }
}

function pfCounters(link: LinkInfo): VfCounters {
  const s = link.stats!;
  return {
    ...zeroCounters(),
    rxPackets: s.rxPackets,
    rxBytes: s.rxBytes,
    txPackets: s.txPackets,
    txBytes: s.txBytes,
    rxErrors: s.rxErrors,
    txErrors: s.txErrors,
    rxDropped: s.rxDropped,
    txDropped: s.txDropped,
    rxMulticast: s.multicast,
  };
}

/** What a VF looks like after its PF driver (re)creates it: no MAC, VLAN, trust or rates. */
function isBlank(s: KernelState | undefined): boolean {
  return (
    !!s &&
    s.mac === '00:00:00:00:00:00' &&
    s.vlan === 0 &&
    !s.trust &&
    s.minTxRate === 0 &&
    s.maxTxRate === 0 &&
    s.linkState === 'auto'
  );
}

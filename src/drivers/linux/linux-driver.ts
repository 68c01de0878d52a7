import type {
  ApplyResult,
  EswitchOutcome,
  MirrorState,
  ObservedPf,
  Plan,
  PlanStep,
  StepOutcome,
} from '../../model/index.js';
import { capabilitiesIn, vfKey } from '../../model/index.js';
import type {
  DriverEvent,
  GuestRequestHandler,
  NicDriver,
  ObserveOptions,
  PfInfo,
} from '../driver.js';
import { UnsupportedError } from '../driver.js';
import { applyPfStep } from './apply-pf.js';
import { applyVfSteps, type VfApplyContext } from './apply-vfs.js';
import { bindPci, driverOf } from './bind.js';
import { DriftDetector } from './drift-detector.js';
import { DriftWatcher, GUARD_POLL } from './drift-watcher.js';
import { LinuxEswitches } from './eswitch/linux-eswitch.js';
import { changeEswitchMode } from './eswitch/mode.js';
import type { SwitchPorts } from './eswitch/representors.js';
import type { TcPlacement } from './eswitch/tc-lines.js';
import { spawnTc, type TcRunner } from './eswitch/tc-run.js';
import { LinuxLags } from './lags.js';
import { MacGuard } from './mac-guard.js';
import { observedPf } from './observe.js';
import { type PfEntry, PfRegistry } from './pf-registry.js';
import { restoreVf } from './release.js';
import { Devlink, Rtnl } from './rtnl.js';
import { type KernelState, kernelState } from './settings.js';
import { SnapshotStore } from './snapshot.js';
import { Sysfs } from './sysfs.js';
import { VfCache } from './vf-cache.js';

export type { PfEntry } from './pf-registry.js';

export interface LinuxDriverOptions {
  /** `/sys`, or a fake tree in tests. */
  sysfsRoot: string;
  /** Snapshots of VFs' original settings go to STATEDIR/linux-snapshots. */
  stateDir: string;
  /** VF limits for PFs without `sriov_totalvfs` (PF id → count), from the PF policies. */
  totalVfsOverrides?: ReadonlyMap<string, number>;
  /** Slow poll for drift the kernel does not announce (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * Fast poll of the VFs the MAC guard watches (guarded trust, watch mode; default 100 ms):
   * a guest's own MAC change sends no notification, so this bounds the exposure window.
   */
  guardIntervalMs?: number;
  /**
   * Where eswitch rules may run: `both` (default: the NIC if it can, else the kernel's
   * software datapath; `in_hw` says which), `skip_sw` (hardware or refuse), `skip_hw`.
   */
  tcPlacement?: TcPlacement;
  /** Runs `tc` (tests inject a fake); default: the `tc` binary. */
  tc?: TcRunner;
  /** How long a mode change or new VFs may take to show their representors (default 10 s). */
  representorTimeoutMs?: number;
}

type SetVf = Extract<PlanStep, { kind: 'setVf' }>;

const NOT_FOUND = 'fix: check the PCI address in the policy against `nicvisor show pfs`';

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
  private readonly pfs: PfRegistry;
  private readonly cache = new VfCache();
  private readonly drift: DriftDetector;
  private readonly guard: MacGuard;
  private guestHandler: GuestRequestHandler | null = null;
  private readonly lags: LinuxLags;
  private readonly eswitches: LinuxEswitches;
  /** PF loopback in switchdev mode: the rules enforce it, so it is recorded as applied. */
  private readonly loopback = new Map<string, boolean>();
  /** VF mirrors in switchdev mode (`mirred mirror` rules), recorded as applied. */
  private readonly mirrors = new Map<string, MirrorState | null>();
  private readonly listeners = new Set<(e: DriverEvent) => void>();
  private watcher: DriftWatcher | null = null;
  private applying = 0;
  /** Bumped when an apply starts or ends: a drift check that overlapped one is discarded. */
  private applyEpoch = 0;
  private started = false;

  constructor(private readonly opts: LinuxDriverOptions) {
    this.sysfs = new Sysfs(opts.sysfsRoot);
    this.snapshots = new SnapshotStore(opts.stateDir);
    this.pfs = new PfRegistry(this.sysfs, this.rtnl, this.devlink, opts.totalVfsOverrides);
    this.guard = new MacGuard({
      cache: this.cache,
      read: (ids) =>
        this.pfs.readLinks(
          this.pfs.all().filter((e) => ids.includes(e.sys.id)),
          false,
        ),
      setMac: async (pf, vf, mac) => {
        const e = this.pfs.get(pf);
        if (!e) return { errno: 19 };
        const [ack] = await this.rtnl.setVfs([{ ifindex: e.sys.ifindex, change: { vf, mac } }]);
        return ack;
      },
      handler: () => this.guestHandler,
      emit: (e) => this.emit(e),
      epoch: () => this.applyEpoch,
    });
    this.drift = new DriftDetector(
      this.pfs,
      this.cache,
      (e) => this.emit(e),
      (pf, vf) => this.guard.watches(pf, vf),
    );
    this.lags = new LinuxLags(this.rtnl, this.pfs, (e) => this.emit(e));
    this.eswitches = new LinuxEswitches(
      this.sysfs,
      this.devlink,
      opts.tc ?? spawnTc(),
      opts.tcPlacement ?? 'both',
      (pf) => this.lags.vfLagOf(pf),
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.watcher = new DriftWatcher(
      this.opts.pollIntervalMs ?? 1000,
      (reason) => this.checkDrift(reason),
      // A failed check may hide drift: ask for a re-plan of every PF rather than stay quiet.
      (e) => {
        for (const p of this.pfs.all()) {
          this.emit({ type: 'changed', pf: p.sys.id, reason: `drift check failed: ${e.message}` });
        }
      },
      // A TC notification: the eswitch check reads that netdev again, and only it.
      (ifindex) => this.eswitches.touched(ifindex),
      this.opts.guardIntervalMs ?? 100,
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
    this.eswitches.watch(true);
    await this.pfs.refresh();
  }

  private async closeAll(): Promise<void> {
    this.eswitches.watch(false);
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

  private requireStarted(): void {
    if (!this.started) throw new Error('linux driver is not started (call start() first)');
  }

  async discover(): Promise<PfInfo[]> {
    this.requireStarted();
    return (await this.pfs.refresh()).map((e) => ({
      id: e.sys.id,
      driver: e.caps.driver,
      pciAddr: e.sys.bus === 'pci' ? e.sys.id : undefined,
      netdev: e.sys.netdev,
      totalVfs: e.caps.totalVfs,
      numVfs: e.sys.numVfs,
      linkSpeedMbps: e.sys.speedMbps,
      numaNode: e.sys.numaNode,
      capabilities: e.caps,
    }));
  }

  /** Equivalent to: `ip -d [-s] link show PF` for every PF, in one pipelined request. */
  async observe(options: ObserveOptions = {}): Promise<ObservedPf[]> {
    this.requireStarted();
    const entries = this.pfs.all().filter((e) => !options.pf || e.sys.id === options.pf);
    const links = await this.pfs.readLinks(entries, options.stats ?? false);
    const lags = await this.lags.observe(entries, links);
    const out: ObservedPf[] = [];
    for (const e of entries) {
      const link = links.get(e.sys.id);
      if (!link) continue;
      e.eswitch = (await this.devlink.getEswitchMode(e.devlink)) ?? 'legacy';
      const o = await observedPf(e, link, this.sysfs, this.cache);
      this.drift.seen(o.id, o.numVfs);
      if (e.eswitch === 'switchdev') {
        const { eswitch, switchPorts } = await this.eswitches.observe(e, o.numVfs);
        o.eswitch = eswitch;
        o.loopback = this.loopback.get(o.id) ?? true;
        for (const v of o.vfs) {
          const sp = switchPorts.get(v.vf);
          if (sp) v.switchPort = sp;
          v.mirror = this.mirrors.get(vfKey(o.id, v.vf)) ?? null;
        }
      }
      const lag = lags.get(e.sys.id);
      out.push(lag ? { ...o, lag } : o);
    }
    return out;
  }

  /**
   * Current kernel state of these VFs: cached, else read (one request for all PFs). A VF not
   * taken over yet is always read afresh: its snapshot must hold what the kernel has now,
   * not what an earlier read saw (plain reads never overwrite the cache, see VfCache).
   */
  private async kernelStates(keys: Array<{ pf: string; vf: number }>) {
    const fresh = keys.filter(
      (k) => !this.cache.kernel(k.pf, k.vf) || !this.snapshots.get(k.pf, k.vf),
    );
    const pfIds = new Set(fresh.map((k) => k.pf));
    if (pfIds.size > 0) {
      const entries = this.pfs.all().filter((e) => pfIds.has(e.sys.id));
      const links = await this.pfs.readLinks(entries, false);
      for (const k of fresh) {
        const info = links.get(k.pf)?.vfs.find((v) => v.vf === k.vf);
        if (info) this.cache.remember(k.pf, k.vf, kernelState(info));
      }
    }
    const out = new Map<string, KernelState>();
    for (const k of keys) {
      const s = this.cache.kernel(k.pf, k.vf);
      if (s) out.set(vfKey(k.pf, k.vf), s);
    }
    return out;
  }

  /** The VF-level part of apply() sees the driver through this narrow context. */
  private vfContext(): VfApplyContext {
    return {
      rtnl: this.rtnl,
      pf: (id) => {
        const e = this.pfs.get(id);
        if (!e) return undefined;
        const switchdev = e.eswitch === 'switchdev';
        const caps = capabilitiesIn(e.caps, e.eswitch);
        return {
          netdev: e.sys.netdev,
          ifindex: e.sys.ifindex,
          caps,
          driver: e.sys.driver,
          switchdev,
        };
      },
      kernelStates: (keys) => this.kernelStates(keys),
      remember: (pf, vf, s) => this.cache.remember(pf, vf, s),
      record: (pf, vf, field, value) => {
        if (field === 'macGuard') this.guard.watch(pf, vf, value === true);
        this.cache.record(pf, vf, field, value);
      },
      linkNow: async (pf) => {
        const e = this.pfs.get(pf);
        return e ? this.sysfs.linkNow(e.sys.netdev) : 'link is unknown';
      },
      settleForRate: async (pf, maxRate, deadline) => {
        const e = this.pfs.get(pf);
        // An administratively down PF gets no carrier however long we wait.
        if (!e || !(await this.sysfs.adminUp(e.sys.netdev))) return false;
        const netdev = e.sys.netdev;
        if (!(await this.sysfs.carrier(netdev))) {
          return this.sysfs.waitForCarrier(netdev, deadline - Date.now());
        }
        const speed = await this.sysfs.speedMbps(netdev);
        if (speed !== undefined && speed > 0 && maxRate > speed) return false;
        await new Promise((r) => setTimeout(r, 250));
        return Date.now() < deadline;
      },
      takeOver: async (vfs) => {
        const takenAt = new Date().toISOString();
        await this.snapshots.saveAll(
          vfs
            .filter((v) => !this.snapshots.get(v.pf, v.vf))
            .map((v) => ({ pf: v.pf, vf: v.vf, takenAt, settings: v.before })),
        );
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
        if (step.kind !== 'setVf') {
          outcomes.push(await this.applyOther(step));
          i++;
          continue;
        }
        // Consecutive VF steps go out together: one message per VF, all in one send.
        let j = i;
        while (j < plan.steps.length && plan.steps[j].kind === 'setVf') j++;
        const run = plan.steps.slice(i, j) as SetVf[];
        outcomes.push(...(await applyVfSteps(this.vfContext(), run)));
        i = j;
      }
      if (!plan.eswitch || plan.eswitch.length === 0) return { outcomes };
      // After the steps: the eswitch mode and the VFs (so their representors) exist by now.
      const eswitch: EswitchOutcome[] = [];
      for (const d of plan.eswitch)
        eswitch.push(await this.eswitches.apply(this.pfs.get(d.pf), d.pf, d));
      return { outcomes, eswitch };
    } finally {
      this.applying--;
      this.applyEpoch++;
    }
  }

  private async applyOther(step: Exclude<PlanStep, { kind: 'setVf' }>): Promise<StepOutcome> {
    if (step.kind === 'setMirror' && this.pfs.get(step.pf)?.eswitch === 'switchdev') {
      // The compiled rules carry the mirror (mirred mirror); the plan's rule diff installs it.
      this.mirrors.set(vfKey(step.pf, step.vf), step.to);
      return { step, status: 'done' };
    }
    if (step.kind === 'setMirror') {
      const why = 'no NIC mirroring through the kernel in legacy mode';
      const e = new UnsupportedError('linux', 'mirror', why);
      return { step, status: 'failed', error: `PF ${step.pf} vf ${step.vf}: ${e.message}` };
    }
    if (step.kind === 'setLag') {
      try {
        await this.lags.apply(step.lag, step.to);
        // A new bond has no clsact; a VF-LAG's members now (or no longer) use it as their
        // uplink: their rules move with the next plan, asked for at once.
        this.eswitches.forgetDev(step.lag);
        const moved = [step.from, step.to].filter((c) => c?.vfLag).flatMap((c) => c?.members ?? []);
        for (const pf of new Set(moved)) {
          this.emit({ type: 'changed', pf, reason: `LAG ${step.lag}: the eswitch uplink moved` });
        }
        return { step, status: 'done' };
      } catch (e) {
        return { step, status: 'failed', error: (e as Error).message };
      }
    }
    const entry =
      this.pfs.get(step.pf) ?? (await this.pfs.refresh()).find((e) => e.sys.id === step.pf);
    if (!entry) return { step, status: 'failed', error: `PF ${step.pf} not found; ${NOT_FOUND}` };
    if (step.kind === 'setPf' && step.field === 'loopback' && entry.eswitch === 'switchdev') {
      // The compiled rules switch VF to VF (loopback on) or hairpin via the wire (off).
      this.loopback.set(step.pf, step.to as boolean);
      return { step, status: 'done' };
    }
    const ctx = { rtnl: this.rtnl, devlink: this.devlink, sysfs: this.sysfs, entry };
    const outcome =
      step.kind === 'setEswitchMode'
        ? await changeEswitchMode(ctx, step, (e, n) => this.awaitRepresentors(e, n))
        : await applyPfStep(ctx, step);
    if (outcome.status === 'done' && step.kind !== 'setPf') {
      // New VFs or a new eswitch mode: the kernel's VFs, ifindexes and representors are new.
      this.cache.forgetPf(step.pf);
      this.eswitches.forget(step.pf);
      if (step.kind === 'setNumVfs') this.drift.seen(step.pf, step.to);
      const fresh = (await this.pfs.refresh()).find((e) => e.sys.id === step.pf);
      if (step.kind === 'setNumVfs' && fresh?.eswitch === 'switchdev') {
        if (!(await this.awaitRepresentors(fresh, step.to))) {
          const ms = this.opts.representorTimeoutMs ?? 10000;
          return {
            step,
            status: 'failed',
            error: `PF ${step.pf}: ${step.to} VFs created but their representors did not all appear within ${ms} ms (devlink port show)`,
          };
        }
      }
    }
    return outcome;
  }

  /** Gives the VF back as it was before nicvisor first changed it (see release.ts). */
  async release(pf: string, vf: number): Promise<void> {
    this.requireStarted();
    const e = this.pfs.get(pf);
    this.guard.forget(pf, vf);
    if (!this.snapshots.get(pf, vf)) {
      this.cache.forgetVf(pf, vf);
      return;
    }
    if (!e) {
      throw new Error(
        `PF ${pf} not found while releasing vf ${vf}; its snapshot stays in ${this.snapshots.dir}`,
      );
    }
    // Restore compares with what the kernel holds now, never with a cached read.
    this.cache.forgetVf(pf, vf);
    const now = (await this.kernelStates([{ pf, vf }])).get(vfKey(pf, vf));
    try {
      await restoreVf(this.rtnl, this.snapshots, e, vf, now);
    } finally {
      this.cache.forgetVf(pf, vf);
    }
  }

  /** Bind the VF's PCI device to `driver` (see bind.ts). */
  async bindVf(
    pf: string,
    vf: number,
    driver: string,
  ): Promise<{ pciAddr: string; previous: string | null }> {
    this.requireStarted();
    const e = this.pfs.get(pf);
    if (!e) throw new Error(`PF ${pf} not found while binding vf ${vf}; ${NOT_FOUND}`);
    const v = (await this.sysfs.listVfs(e.sys)).find((x) => x.vf === vf);
    if (!v?.pciAddr) throw new Error(`vf ${vf} of ${pf} has no PCI device to bind`);
    const previous = await bindPci(this.opts.sysfsRoot, v.pciAddr, driver);
    this.cache.forgetVf(pf, vf);
    return { pciAddr: v.pciAddr, previous };
  }

  /** The driver the VF's PCI device is bound to now (see bind.ts). */
  async vfBinding(pf: string, vf: number): Promise<{ pciAddr: string; driver: string | null }> {
    this.requireStarted();
    const e = this.pfs.get(pf);
    if (!e) throw new Error(`PF ${pf} not found while reading vf ${vf}'s driver; ${NOT_FOUND}`);
    const v = (await this.sysfs.listVfs(e.sys)).find((x) => x.vf === vf);
    if (!v?.pciAddr) throw new Error(`vf ${vf} of ${pf} has no PCI device`);
    return { pciAddr: v.pciAddr, driver: await driverOf(this.opts.sysfsRoot, v.pciAddr) };
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * No mailbox: the kernel gives no hook into a guest's requests (capabilities.mailbox). The
   * handler decides the MACs the guard finds on VFs it watches (guarded trust, watch mode).
   */
  setGuestRequestHandler(handler: GuestRequestHandler | null): void {
    this.guestHandler = handler;
  }

  private emit(e: DriverEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * The switch ports of a PF: the uplink and its VFs' representors (devlink `pcivf` ports,
   * `phys_port_name` fallback). Equivalent to: `devlink -j port show`.
   */
  async representors(pf: string): Promise<SwitchPorts | null> {
    const e = this.pfs.get(pf);
    return e ? this.eswitches.ports(e) : null;
  }

  private awaitRepresentors(e: PfEntry, n: number): Promise<boolean> {
    return this.eswitches.waitForRepresentors(e, n, this.opts.representorTimeoutMs ?? 10000);
  }

  private async checkDrift(reason: string): Promise<void> {
    if (!this.started || this.applying > 0) return;
    const epoch = this.applyEpoch;
    // A failed guard poll is not reported: the slow poll reads the same PFs and reports its
    // failure once a second, where this one would ask for a re-plan ten times a second.
    if (reason === GUARD_POLL) return this.guard.poll().catch(() => {});
    const links = await this.drift.check(reason, () => epoch !== this.applyEpoch);
    if (links) await this.guard.check(links, epoch);
    // Follow the bonds too: a link notification may be a failover (reported as a lag event).
    const all = this.pfs.all();
    await this.lags.observe(all, await this.pfs.readLinks(all, false));
    // Rules: the ledger against `tc -j filter show`; a rule deleted or changed behind its
    // back is put back at once, as last applied (one read, one batch), and the PF is
    // re-planned for the rest (foreign filters, a representor still missing).
    for (const e of this.pfs.all()) {
      if (epoch !== this.applyEpoch) return;
      const healed = await this.eswitches
        .heal(e)
        .catch((err: Error) => ({ why: `read failed: ${err.message}`, repaired: 0, failed: [] }));
      if (healed && epoch === this.applyEpoch) {
        const back = healed.repaired > 0 ? `; ${healed.repaired} put back` : '';
        const left = healed.failed.length > 0 ? `; not put back: ${healed.failed[0]}` : '';
        this.emit({
          type: 'changed',
          pf: e.sys.id,
          reason: `eswitch rules drifted: ${healed.why}${back}${left}`,
        });
      }
    }
  }
}

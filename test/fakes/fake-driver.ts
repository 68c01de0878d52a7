/**
 * An in-memory NicDriver for daemon tests: PFs with VFs whose settings apply() really
 * changes and observe() really reads back, a mailbox (guest requests answered through the
 * handler, applied on ack like the sim NIC), `resetPf` (the NIC forgets every VF setting,
 * as a PF reset does), counters, and a `failWhen` hook for fault injection.
 */
import type {
  DriverEvent,
  GuestRequestHandler,
  NicDriver,
  ObserveOptions,
  PfInfo,
} from '../../src/drivers/driver.js';
import type {
  ApplyResult,
  Decision,
  GuestRequest,
  MirrorState,
  ObservedPf,
  ObservedVf,
  PfCapabilities,
  Plan,
  PlanStep,
  StepOutcome,
  TrafficClassMode,
  VfCounters,
} from '../../src/model/index.js';
import { defaultVfSettings, VfSettings, vfKey, zeroCounters } from '../../src/model/index.js';

/** A fresh VF, as every driver reports one (model's defaultVfSettings). */
export function neutralSettings(mtu = 1500): VfSettings {
  return defaultVfSettings(mtu);
}

export function fakeCapabilities(totalVfs: number): PfCapabilities {
  return {
    driver: 'fake',
    totalVfs,
    linkSpeedMbps: 25000,
    maxMtu: 9216,
    macsPerVf: 16,
    vlansPerVf: 16,
    macsPerPf: 1024,
    vlansPerPf: 4094,
    vlanProtos: ['802.1Q', '802.1ad'],
    eswitchModes: ['legacy', 'switchdev'],
    mailbox: true,
    mirroring: true,
    unsupportedVfFields: {},
    unsupportedPfFields: {},
  };
}

interface FakeVf {
  settings: VfSettings;
  mirror: MirrorState | null;
  counters: VfCounters;
}

interface FakePf {
  id: string;
  totalVfs: number;
  mtu: number;
  loopback: boolean;
  trafficClasses: number[];
  trafficClassModes: TrafficClassMode[];
  eswitchMode: 'legacy' | 'switchdev';
  vfs: FakeVf[];
}

const clone = <T>(v: T): T => structuredClone(v);

/** A NIC refuses what it cannot hold, as the conformance suite requires of every driver. */
function checkVfValue(field: keyof VfSettings, to: unknown): void {
  const parsed = VfSettings.shape[field].safeParse(to);
  if (!parsed.success) throw new Error(`${field} ${JSON.stringify(to)}: ${parsed.error.message}`);
  if (field !== 'vlans' && field !== 'vlanFilters') return;
  const bad = (to as number[]).find((v) => !Number.isInteger(v) || v < 1 || v > 4094);
  if (bad !== undefined) throw new Error(`VLAN ${bad} is out of range 1-4094`);
}

export class FakeDriver implements NicDriver {
  readonly name = 'fake';
  readonly pfs = new Map<string, FakePf>();
  private readonly listeners = new Set<(e: DriverEvent) => void>();
  private handler: GuestRequestHandler | null = null;
  /** Steps executed by apply() (done ones). */
  stepsDone = 0;
  observeCalls = 0;
  /** Return an error message to make a step fail (fault injection). */
  failWhen: ((step: PlanStep, index: number) => string | null) | null = null;
  /** Throw from observe() (fault injection). */
  failObserve: string | null = null;
  /** Called after observe() took its read (to change the NIC behind a reader's back). */
  afterObserve: (() => void) | null = null;

  constructor(pfIds: string[], totalVfs = 64) {
    for (const id of pfIds) {
      this.pfs.set(id, {
        id,
        totalVfs,
        mtu: 1500,
        loopback: true,
        trafficClasses: [],
        trafficClassModes: [],
        eswitchMode: 'legacy',
        vfs: [],
      });
    }
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.listeners.clear();
    this.handler = null;
  }

  async discover(): Promise<PfInfo[]> {
    return [...this.pfs.values()].map((p) => ({
      id: p.id,
      driver: 'fake',
      totalVfs: p.totalVfs,
      numVfs: p.vfs.length,
      linkSpeedMbps: 25000,
      capabilities: fakeCapabilities(p.totalVfs),
    }));
  }

  async observe(options: ObserveOptions = {}): Promise<ObservedPf[]> {
    this.observeCalls += 1;
    if (this.failObserve) throw new Error(this.failObserve);
    const read = this.read(options);
    this.afterObserve?.();
    return read;
  }

  private read(options: ObserveOptions): ObservedPf[] {
    return [...this.pfs.values()]
      .filter((p) => !options.pf || p.id === options.pf)
      .map((p) => ({
        kind: 'observed',
        id: p.id,
        driver: 'fake',
        totalVfs: p.totalVfs,
        numVfs: p.vfs.length,
        linkUp: true,
        linkSpeedMbps: 25000,
        mtu: p.mtu,
        loopback: p.loopback,
        eswitchMode: p.eswitchMode,
        trafficClasses: [...p.trafficClasses],
        trafficClassModes: clone(p.trafficClassModes),
        counters: zeroCounters(),
        vfs: p.vfs.map(
          (v, i): ObservedVf => ({
            kind: 'observed',
            pf: p.id,
            vf: i,
            settings: clone(v.settings),
            mirror: clone(v.mirror),
            counters: { ...v.counters },
            linkUp: v.settings.linkState !== 'disable',
          }),
        ),
      }));
  }

  private execute(step: PlanStep): void {
    const pf = this.pfs.get(step.pf);
    if (!pf) throw new Error(`no PF ${step.pf}`);
    switch (step.kind) {
      case 'setNumVfs':
        if (step.to > pf.totalVfs) throw new Error(`numVfs ${step.to} > totalVfs ${pf.totalVfs}`);
        pf.vfs = Array.from({ length: step.to }, () => ({
          settings: neutralSettings(pf.mtu),
          mirror: null,
          counters: zeroCounters(),
        }));
        return;
      case 'setPf':
        if (step.field === 'mtu') pf.mtu = step.to as number;
        else if (step.field === 'loopback') pf.loopback = step.to as boolean;
        else if (step.field === 'trafficClassModes')
          pf.trafficClassModes = clone(step.to as TrafficClassMode[]);
        else pf.trafficClasses = clone(step.to as number[]);
        return;
      case 'setEswitchMode':
        pf.eswitchMode = step.to;
        return;
      case 'setVf': {
        const vf = pf.vfs[step.vf];
        if (!vf)
          throw new Error(`VF ${step.vf} of ${step.pf} does not exist (numVfs ${pf.vfs.length})`);
        checkVfValue(step.field, step.to);
        (vf.settings as unknown as Record<string, unknown>)[step.field] = clone(step.to);
        return;
      }
      case 'setMirror': {
        const vf = pf.vfs[step.vf];
        if (!vf) throw new Error(`VF ${step.vf} of ${step.pf} does not exist`);
        const t = step.to?.targetVf;
        if (t !== undefined && (t === step.vf || !pf.vfs[t]))
          throw new Error(`mirror target vf ${t}: must be another VF, 0-${pf.vfs.length - 1}`);
        vf.mirror = clone(step.to);
      }
    }
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    const outcomes: StepOutcome[] = [];
    const failedVfs = new Set<string>();
    plan.steps.forEach((step, i) => {
      const key =
        step.kind === 'setVf' || step.kind === 'setMirror' ? vfKey(step.pf, step.vf) : step.pf;
      if (failedVfs.has(key)) {
        outcomes.push({ step, status: 'skipped', error: 'an earlier step of this VF failed' });
        return;
      }
      const injected = this.failWhen?.(step, i) ?? null;
      try {
        if (injected) throw new Error(injected);
        this.execute(step);
        this.stepsDone += 1;
        outcomes.push({ step, status: 'done' });
      } catch (err) {
        failedVfs.add(key);
        outcomes.push({ step, status: 'failed', error: (err as Error).message });
      }
    });
    return { outcomes };
  }

  async release(pf: string, vf: number): Promise<void> {
    const p = this.pfs.get(pf);
    const v = p?.vfs[vf];
    if (!p || !v) return;
    v.settings = neutralSettings(p.mtu);
    v.mirror = null;
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  setGuestRequestHandler(handler: GuestRequestHandler | null): void {
    this.handler = handler;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private emit(e: DriverEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** The NIC forgets every VF setting (PF reset behind the daemon's back). */
  resetPf(pf: string): void {
    const p = this.pfs.get(pf)!;
    for (const v of p.vfs) {
      v.settings = neutralSettings(p.mtu);
      v.mirror = null;
    }
    this.emit({ type: 'pfReset', pf, reason: 'test reset' });
  }

  /** Change one VF setting silently (someone ran `ip link`), without an event. */
  poke(pf: string, vf: number, patch: Partial<VfSettings>): void {
    Object.assign(this.pfs.get(pf)!.vfs[vf].settings, patch);
  }

  /** A guest sends a mailbox request; the NIC applies it when the answer is ack. */
  async guestRequest(pf: string, vf: number, request: GuestRequest): Promise<Decision> {
    if (!this.handler) return { result: 'nack', reason: 'no handler' };
    const d = await this.handler(pf, vf, request);
    if (d.result === 'ack') {
      const s = this.pfs.get(pf)!.vfs[vf].settings;
      if (request.type === 'setMac') s.mac = request.mac.toLowerCase();
      if (request.type === 'setMtu') s.mtu = request.mtu;
      if (request.type === 'setPromisc') s.promisc = request.enable;
      if (request.type === 'setAllmulti') s.allmulti = request.enable;
    }
    return d;
  }

  /**
   * A trusted guest changes its own MAC (no mailbox: the NIC takes it at once), as a guest
   * on a kernel NIC with trust on does. With `macGuard` set (guarded trust, watch mode) the
   * driver then asks the handler and reverts a refused MAC, as the linux driver's MacGuard
   * does (tested on its own in test/drivers/linux/mac-guard.test.ts).
   */
  async guestSetsOwnMac(pf: string, vf: number, mac: string): Promise<Decision | null> {
    const s = this.pfs.get(pf)!.vfs[vf].settings;
    const held = s.mac;
    s.mac = mac.toLowerCase();
    if (!s.macGuard) return null;
    const d = this.handler
      ? await this.handler(pf, vf, { type: 'setMac', mac: s.mac }, 'watch')
      : { result: 'nack' as const, reason: 'no handler' };
    const base = { type: 'macGuard' as const, pf, vf, mac: s.mac, held, reason: d.reason, ms: 0 };
    if (d.result === 'ack') this.emit({ ...base, action: 'kept' });
    else {
      s.mac = held;
      this.emit({ ...base, action: 'reverted' });
    }
    return d;
  }

  /** Traffic: add to a VF's counters. */
  count(pf: string, vf: number, packets: number, bytes: number): void {
    const c = this.pfs.get(pf)!.vfs[vf].counters;
    c.rxPackets += packets;
    c.rxBytes += bytes;
  }

  zeroCounters(pf: string): void {
    for (const v of this.pfs.get(pf)!.vfs) v.counters = zeroCounters();
  }
}

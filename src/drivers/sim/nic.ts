import {
  type Decision,
  GuestRequest,
  type LagConfig,
  type ObservedLag,
  type VfSettingKey,
} from '../../model/index.js';
import type { DriverEvent, GuestRequestHandler } from '../driver.js';
import { attach, Capture, detachFrom } from './capture.js';
import type { Clock } from './clock.js';
import { receiveFromWire, type TxVerdict, transmit, transmitFromHost } from './datapath.js';
import { defaultHostMac, type HostConfig } from './host.js';
import { SimLag } from './lag.js';
import { carryOutRequest } from './mailbox.js';
import { SimPf } from './pf.js';

/** Where frames are injected or captured: a VF, the PF's host interface, or the uplink. */
export type Port = number | 'host' | 'wire';

export type NicListener = (event: DriverEvent) => void;

/**
 * The simulated SR-IOV NIC(s): PFs by id (`sim:NIC/PORT`), a clock, an event stream and the
 * guest mailbox. Tests, benches and the demo traffic use it directly; the daemon reaches it
 * only through SimDriver.
 */
export class SimNic {
  readonly pfs: ReadonlyMap<string, SimPf>;
  readonly clock: Clock;
  private readonly listeners = new Set<NicListener>();
  private handler: GuestRequestHandler | null = null;
  /** The LAGs by name (lag.ts). */
  readonly lags = new Map<string, SimLag>();

  constructor(pfs: ReadonlyMap<string, SimPf>, clock: Clock) {
    this.pfs = pfs;
    this.clock = clock;
  }

  pf(id: string): SimPf {
    const pf = this.pfs.get(id);
    if (!pf) {
      throw new Error(`unknown PF "${id}": the sim has ${[...this.pfs.keys()].join(', ')}`);
    }
    return pf;
  }

  /** A frame sent by the guest of `vf`. */
  sendFromVf(pfId: string, vf: number, frame: Buffer, len = frame.length): TxVerdict {
    const pf = this.pf(pfId);
    return transmit(pf, pf.vf(vf), frame, len);
  }

  /** A frame arriving on the PF's uplink; true when some VF took it. */
  sendFromWire(pfId: string, frame: Buffer, len = frame.length): boolean {
    return receiveFromWire(this.pf(pfId), frame, len);
  }

  /** A frame sent by the host through the PF's own netdev (or a VLAN device on it). */
  sendFromHost(pfId: string, frame: Buffer, len = frame.length): TxVerdict {
    return transmitFromHost(this.pf(pfId), frame, len);
  }

  send(pfId: string, from: Port, frame: Buffer): TxVerdict | boolean {
    if (from === 'wire') return this.sendFromWire(pfId, frame);
    if (from === 'host') return this.sendFromHost(pfId, frame);
    return this.sendFromVf(pfId, from, frame);
  }

  /** Configure the PF's host interface: its MAC, VLAN devices, promiscuous/allmulti modes. */
  setHost(pfId: string, change: Partial<HostConfig>): void {
    this.pf(pfId).setHost(change);
  }

  /** Record copies of what arrives at a VF (delivered and mirrored) or leaves on the wire. */
  capture(pfId: string, at: Port): Capture {
    const pf = this.pf(pfId);
    if (at === 'wire') {
      const c = new Capture(`${pfId} wire`, (x) => {
        pf.wireCaptures = detachFrom(pf.wireCaptures, x);
      });
      pf.wireCaptures = attach(pf.wireCaptures, c);
      return c;
    }
    const vf = at === 'host' ? pf.host : pf.vf(at);
    const c = new Capture(`${pf.where(vf.index)}`, (x) => {
      vf.captures = detachFrom(vf.captures, x);
    });
    vf.captures = attach(vf.captures, c);
    return c;
  }

  /** Call `fn` for every frame leaving on the wire (no copy: `frame` is reused after). */
  onWire(pfId: string, fn: (frame: Buffer, len: number) => void): () => void {
    const pf = this.pf(pfId);
    pf.wireListeners = [...pf.wireListeners, fn];
    return () => {
      pf.wireListeners = pf.wireListeners.filter((x) => x !== fn);
    };
  }

  on(listener: NicListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(event: DriverEvent): void {
    for (const l of [...this.listeners]) l(event);
  }

  /**
   * The NIC forgets its configuration, as after a PF reset or driver reload. A member of a
   * LAG leaves it (the kernel re-creates the PF netdev outside the bond), so the LAG is gone
   * until nicvisor builds it again.
   */
  resetPf(pfId: string, reason = 'PF reset (simulated)'): void {
    const pf = this.pf(pfId);
    const lag = pf.lag;
    if (lag) {
      this.dissolve(lag);
      this.emit({
        type: 'lag',
        pf: pfId,
        lag: lag.config.name,
        reason: `${reason}: LAG dissolved`,
      });
    }
    pf.reset();
    this.emit({ type: 'pfReset', pf: pfId, reason });
  }

  /**
   * Build, change or remove a LAG (null). Its members must be two ports of this NIC that are
   * in no other LAG; a VF-LAG needs both on one NIC. A change rebuilds the LAG (counters
   * start again), as re-creating a kernel bond does.
   */
  setLag(name: string, config: LagConfig | null): void {
    const old = this.lags.get(name);
    if (config === null) {
      if (old) this.dissolve(old);
      return;
    }
    if (config.name !== name) throw new Error(`LAG ${name}: config names LAG ${config.name}`);
    const [a, b] = config.members.map((id) => this.pf(id));
    if (a === b) throw new Error(`LAG ${name}: member ${a.id} is listed twice; bond two ports`);
    for (const m of [a, b]) {
      if (m.lag && m.lag !== old) {
        throw new Error(
          `LAG ${name}: ${m.id} is already a member of LAG ${m.lag.config.name}; remove it there first`,
        );
      }
    }
    if (config.vfLag && a.spec.nic !== b.spec.nic) {
      throw new Error(
        `LAG ${name}: VF-LAG needs two ports of one NIC; ${a.id} is on ${a.spec.nic} and ${b.id} on ${b.spec.nic}`,
      );
    }
    if (old) this.dissolve(old);
    const lag = new SimLag(config, a, b);
    lag.listener = (l, reason) =>
      this.emit({ type: 'lag', pf: l.config.members[0], lag: l.config.name, reason });
    a.lag = lag;
    b.lag = lag;
    a.linkChanged();
    b.linkChanged();
    this.lags.set(name, lag);
  }

  private dissolve(lag: SimLag): void {
    lag.listener = null;
    this.lags.delete(lag.config.name);
    for (const m of lag.members) {
      if (m.pf.lag === lag) m.pf.lag = null;
      m.pf.linkChanged();
    }
  }

  /** Run the LAGs' link monitors up to now (the daemon calls it every few ms). */
  pollLags(): void {
    const now = this.clock.nowNs();
    for (const lag of this.lags.values()) lag.poll(now);
  }

  /** The LAG of a PF as the driver reads it back, or undefined. */
  observeLag(pfId: string): ObservedLag | undefined {
    const lag = this.pf(pfId).lag;
    if (!lag) return undefined;
    return { config: structuredClone(lag.config), status: lag.status(this.clock.nowNs()) };
  }

  /** Someone changed a VF behind the hypervisor's back (`ip link set … vf N …`). */
  poke(pfId: string, vf: number, field: VfSettingKey, value: unknown): void {
    this.pf(pfId).setVfField(vf, field, value, true);
    this.emit({
      type: 'changed',
      pf: pfId,
      vf,
      reason: `${field} set to ${JSON.stringify(value)} outside nicvisor`,
    });
  }

  /** Plug or unplug the uplink cable. */
  setWireLink(pfId: string, up: boolean): void {
    this.pf(pfId).setWire(up);
    this.emit({ type: 'changed', pf: pfId, reason: `uplink ${up ? 'up' : 'down'}` });
  }

  setGuestRequestHandler(handler: GuestRequestHandler | null): void {
    this.handler = handler;
  }

  /**
   * A guest writes a request into its VF's mailbox. The NIC asks the hypervisor and applies
   * the change only on `ack`; the answer goes back to the guest.
   */
  async guestRequest(pfId: string, vf: number, request: unknown): Promise<Decision> {
    const pf = this.pf(pfId);
    pf.vf(vf);
    const parsed = GuestRequest.safeParse(request);
    if (!parsed.success) {
      return { result: 'nack', reason: `malformed request: ${parsed.error.issues[0]?.message}` };
    }
    if (!this.handler) {
      return { result: 'nack', reason: 'no hypervisor answers the mailbox (nicvisor not running)' };
    }
    let decision: Decision;
    try {
      decision = await this.handler(pfId, vf, parsed.data);
    } catch (err) {
      return { result: 'nack', reason: `hypervisor failed to answer: ${(err as Error).message}` };
    }
    if (decision.result !== 'ack') return decision;
    try {
      carryOutRequest(pf, vf, parsed.data);
    } catch (err) {
      return {
        result: 'nack',
        reason: `acknowledged, but the NIC could not apply it: ${(err as Error).message}`,
      };
    }
    return decision;
  }

  /** Drop every listener and handler (driver stop). */
  close(): void {
    this.listeners.clear();
    this.handler = null;
    for (const pf of this.pfs.values()) pf.wireListeners = [];
    for (const lag of this.lags.values()) lag.listener = null;
  }
}

/** One simulated NIC, as in `MainConfig.sim.nics`. */
export interface NicSpec {
  name: string;
  ports: number;
  totalVfs: number;
  linkSpeedMbps: number;
  numaNode?: number;
}

/** PF ids of one NIC spec: `sim:NIC/0`, `sim:NIC/1`, … */
export function createNic(specs: readonly NicSpec[], clock: Clock): SimNic {
  const pfs = new Map<string, SimPf>();
  specs.forEach((nic, n) => {
    for (let port = 0; port < nic.ports; port++) {
      const id = `sim:${nic.name}/${port}`;
      const { totalVfs, linkSpeedMbps, numaNode } = nic;
      const mac = defaultHostMac(n, port);
      const spec = { id, nic: nic.name, port, totalVfs, linkSpeedMbps, mac, numaNode };
      pfs.set(id, new SimPf(spec, clock));
    }
  });
  return new SimNic(pfs, clock);
}

import { type Decision, vfKey, ZERO_MAC } from '../../model/index.js';
import type { DriverEvent, GuestRequestHandler } from '../driver.js';
import type { LinkInfo } from './netlink/link-decode.js';
import type { NlAck } from './netlink/message.js';
import type { VfCache } from './vf-cache.js';

/** What the guard needs from the driver, narrow so tests drive it with a fake kernel. */
export interface MacGuardDeps {
  cache: VfCache;
  /** Config-only read of these PFs (RTM_GETLINK with RTEXT_FILTER_VF|SKIP_STATS). */
  read(pfs: string[]): Promise<Map<string, LinkInfo>>;
  /** Equivalent to: `ip link set PF vf N mac MAC` (IFLA_VF_MAC through the netlink worker). */
  setMac(pf: string, vf: number, mac: string): Promise<NlAck>;
  /** Who decides (the daemon, through the guest request handler); null: nobody, so revert. */
  handler(): GuestRequestHandler | null;
  emit(e: DriverEvent): void;
  /** Bumped when an apply starts or ends: its own MAC changes are not the guest's. */
  epoch(): number;
  now?: () => number;
}

/** A MAC a guarded VF's guest set itself, as one read found it. */
interface Seen {
  pf: string;
  vf: number;
  mac: string;
  /** The MAC nicvisor last set or accepted: what a refused change is reverted to. */
  held: string;
  at: number;
}

/**
 * Guarded trust in watch mode (docs/ha.md): the NIC trusts the VF, so an unmodified guest
 * driver changes its own MAC (igb: `trust on` lets igbvf override the PF-set MAC), and the
 * kernel announces none of it — the change arrives as a mailbox message the PF driver
 * handles itself. So every read of a watched VF is compared with the MAC nicvisor last set
 * or accepted; a new one is put to the daemon as the guest's `setMac` (the same decision,
 * audit and durable guest state as a mailbox request) and, when refused, written back at
 * once. The window between the guest's change and the revert is what the bench measures.
 */
export class MacGuard {
  private readonly keys = new Map<string, { pf: string; vf: number }>();

  constructor(private readonly d: MacGuardDeps) {}

  /** The applied settings turn the guard on or off for a VF (the `macGuard` setting). */
  watch(pf: string, vf: number, on: boolean): void {
    if (on) this.keys.set(vfKey(pf, vf), { pf, vf });
    else this.keys.delete(vfKey(pf, vf));
  }

  watches(pf: string, vf: number): boolean {
    return this.keys.has(vfKey(pf, vf));
  }

  /** PFs with at least one watched VF. */
  pfs(): string[] {
    return [...new Set([...this.keys.values()].map((k) => k.pf))];
  }

  /** The fast poll: read only the PFs with watched VFs, then check them. */
  async poll(): Promise<void> {
    const pfs = this.pfs();
    if (pfs.length === 0) return;
    const epoch = this.d.epoch();
    const links = await this.d.read(pfs);
    if (epoch !== this.d.epoch()) return;
    await this.check(links, epoch);
  }

  /**
   * Compares each watched VF in `links` (read at `epoch`) with the MAC nicvisor knows and
   * decides every change. Changes are decided one after the other: the daemon reads the
   * PF afresh for each, so a failover in which one VF gives a MAC up and its peer takes it
   * within one read is granted in either order; two VFs taking one MAC at once are both
   * refused (each sees the other hold it).
   */
  async check(links: ReadonlyMap<string, LinkInfo>, epoch: number): Promise<void> {
    const now = this.d.now ?? performance.now.bind(performance);
    const found: Seen[] = [];
    const byPf = new Map<string, Map<number, LinkInfo['vfs'][number]>>();
    for (const [pf, link] of links) byPf.set(pf, new Map(link.vfs.map((v) => [v.vf, v])));
    for (const { pf, vf } of this.keys.values()) {
      const info = byPf.get(pf)?.get(vf);
      const known = this.d.cache.kernel(pf, vf);
      if (!info || !known) continue;
      const mac = info.mac.toLowerCase();
      // All zeros is a VF the PF driver re-created (reset): the drift detector's case.
      if (mac === known.mac || mac === ZERO_MAC) continue;
      found.push({ pf, vf, mac, held: known.mac, at: now() });
    }
    for (const s of found) {
      if (epoch !== this.d.epoch()) return;
      await this.decide(s, epoch, now);
    }
  }

  private async decide(s: Seen, epoch: number, now: () => number): Promise<void> {
    const handler = this.d.handler();
    const decision: Decision = handler
      ? await handler(s.pf, s.vf, { type: 'setMac', mac: s.mac }, 'watch').catch(
          (e: Error): Decision => ({ result: 'nack', reason: `deciding failed: ${e.message}` }),
        )
      : { result: 'nack', reason: 'no daemon answers guest requests' };
    const base = { type: 'macGuard' as const, pf: s.pf, vf: s.vf, mac: s.mac, held: s.held };
    const known = this.d.cache.kernel(s.pf, s.vf);
    if (decision.result === 'ack') {
      if (known) this.d.cache.remember(s.pf, s.vf, { ...known, mac: s.mac });
      this.d.emit({ ...base, action: 'kept', reason: decision.reason, ms: now() - s.at });
      return;
    }
    // The decision took a while (the daemon reads the PF and writes its audit): an apply
    // meanwhile may have set the VF on purpose. Revert only what still holds the refused
    // MAC, to what nicvisor knows now.
    const target = known?.mac ?? s.held;
    if (epoch !== this.d.epoch()) {
      const again = (await this.d.read([s.pf])).get(s.pf)?.vfs.find((v) => v.vf === s.vf);
      if (!again || again.mac.toLowerCase() !== s.mac) return;
    }
    const ack = await this.d.setMac(s.pf, s.vf, target);
    if (ack.errno === 0) {
      if (known) this.d.cache.remember(s.pf, s.vf, { ...known, mac: target });
      this.d.emit({
        ...base,
        held: target,
        action: 'reverted',
        reason: decision.reason,
        ms: now() - s.at,
      });
      return;
    }
    // Keep what the kernel holds, so the next read does not ask again every poll; the
    // daemon's drift repair takes over (desired MAC vs. observed) and reports its failure.
    if (known) this.d.cache.remember(s.pf, s.vf, { ...known, mac: s.mac });
    const why = `${decision.reason}; revert to ${target} failed: errno ${ack.errno}${ack.extack ? ` (${ack.extack})` : ''}`;
    this.d.emit({ ...base, action: 'revertFailed', reason: why, ms: now() - s.at });
  }

  /** The VF was given back or its PF is gone. */
  forget(pf: string, vf?: number): void {
    for (const v of [...this.keys.values()])
      if (v.pf === pf && (vf === undefined || v.vf === vf)) this.watch(v.pf, v.vf, false);
  }
}

import type {
  EswitchOutcome,
  EswitchPort,
  ObservedRuleSet,
  RuleDiff,
  VfSwitchPort,
} from '../../../model/index.js';
import { vfPort } from '../../../model/index.js';
import type { PfEntry } from '../pf-registry.js';
import type { Devlink } from '../rtnl.js';
import type { Sysfs } from '../sysfs.js';
import { findRepresentors, portIds, portMap, type SwitchPorts } from './representors.js';
import { type Healed, TcEswitch } from './tc-eswitch.js';
import type { TcPlacement } from './tc-lines.js';
import type { TcRunner } from './tc-run.js';

const LEGACY =
  'is in legacy mode and has no eswitch rules; put the PF in switchdev mode (eswitchMode: "switchdev" in its PF policy)';

/**
 * The switchdev side of the linux driver: per PF its representors (found afresh on every
 * use through devlink, keyed by VF number, so renamed netdevs are followed; with their
 * ifindexes, so a representor that vanished and came back gets its rules again) and its
 * TcEswitch ledger.
 */
export class LinuxEswitches {
  private readonly byPf = new Map<string, TcEswitch>();
  /** ifindex → the PF and netdev of every port seen: where a TC notification belongs. */
  private readonly byIfindex = new Map<number, { pf: string; dev: string }>();
  private watching = false;

  constructor(
    private readonly sysfs: Sysfs,
    private readonly devlink: Devlink,
    private readonly tc: TcRunner,
    private readonly placement: TcPlacement,
  ) {}

  private of(pf: string): TcEswitch {
    let sw = this.byPf.get(pf);
    if (!sw) {
      sw = new TcEswitch(pf, this.tc, this.placement);
      sw.watch(this.watching);
      this.byPf.set(pf, sw);
    }
    return sw;
  }

  /** The VFs were recreated or the mode changed: every filter went with the old ports. */
  forget(pf: string): void {
    this.byPf.get(pf)?.forget();
  }

  /** Equivalent to: `devlink -j port show` for the PF's device (+ phys_port_name fallback). */
  async ports(e: PfEntry): Promise<SwitchPorts> {
    const sp = await findRepresentors(
      e.sys.netdev,
      await this.devlink.ports(e.devlink),
      this.sysfs,
    );
    const pf = e.sys.id;
    if (sp.uplinkIfindex !== undefined)
      this.byIfindex.set(sp.uplinkIfindex, { pf, dev: sp.uplink });
    for (const r of sp.vfs)
      if (r.ifindex !== undefined) this.byIfindex.set(r.ifindex, { pf, dev: r.netdev });
    return sp;
  }

  /** TC notifications are heard from now on (see TcEswitch.watch). */
  watch(on: boolean): void {
    this.watching = on;
    for (const sw of this.byPf.values()) sw.watch(on);
  }

  /** A TC notification named this ifindex (null: some were lost). */
  touched(ifindex: number | null): void {
    if (ifindex === null) {
      for (const sw of this.byPf.values()) sw.touched(null);
      return;
    }
    const at = this.byIfindex.get(ifindex);
    if (at) this.byPf.get(at.pf)?.touched(at.dev);
  }

  /** Rules read back (counters, in_hw) and each VF's switch port. */
  async observe(
    e: PfEntry,
    numVfs: number,
  ): Promise<{ eswitch: ObservedRuleSet; switchPorts: Map<number, VfSwitchPort> }> {
    const sp = await this.ports(e);
    const rules = await this.of(e.sys.id).observe(portMap(sp), portIds(sp));
    const ports: EswitchPort[] = ['uplink'];
    for (let i = 0; i < numVfs; i++) ports.push(vfPort(i));
    const switchPorts = new Map<number, VfSwitchPort>();
    for (const r of sp.vfs) {
      const p: VfSwitchPort = { representor: r.netdev, via: r.via };
      if (r.devlinkPort) p.devlinkPort = r.devlinkPort;
      if (r.switchId) p.switchId = r.switchId;
      switchPorts.set(r.vf, p);
    }
    return { eswitch: { pf: e.sys.id, ports, rules }, switchPorts };
  }

  async apply(e: PfEntry | undefined, pf: string, diff: RuleDiff): Promise<EswitchOutcome> {
    const all = [...diff.add, ...diff.change];
    const fail = (error: string): EswitchOutcome => ({
      diff,
      status: 'failed',
      failures: all.map((rule) => ({ rule, error })),
    });
    if (!e) return fail(`PF ${pf} not found; check the PCI address against \`nicvisor show pfs\``);
    if (e.eswitch !== 'switchdev') return fail(`PF ${pf} (${e.sys.netdev}) ${LEGACY}`);
    try {
      const sp = await this.ports(e);
      return await this.of(pf).apply(diff, portMap(sp), portIds(sp));
    } catch (err) {
      return fail(`PF ${pf}: ${(err as Error).message}`);
    }
  }

  /** Why the kernel's filters are no longer what was installed, or null (the drift poll). */
  async drifted(e: PfEntry): Promise<string | null> {
    const sw = this.byPf.get(e.sys.id);
    if (!sw || sw.size === 0 || e.eswitch !== 'switchdev') return null;
    const sp = await this.ports(e);
    return sw.drifted(portMap(sp), portIds(sp));
  }

  /**
   * The drift check that repairs: rules gone or changed behind nicvisor's back are put back
   * as last applied, in one read and one batch (TcEswitch.heal); null when nothing drifted.
   */
  async heal(e: PfEntry): Promise<Healed | null> {
    const sw = this.byPf.get(e.sys.id);
    if (!sw || sw.size === 0 || e.eswitch !== 'switchdev') return null;
    const sp = await this.ports(e);
    return sw.heal(portMap(sp), portIds(sp));
  }

  /**
   * Waits until every VF has its representor (a mode change or new VFs: the kernel driver
   * creates them asynchronously), polling devlink every 100 ms; false after `timeoutMs`.
   */
  async waitForRepresentors(e: PfEntry, numVfs: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const sp = await this.ports(e);
      if (sp.vfs.length >= numVfs) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

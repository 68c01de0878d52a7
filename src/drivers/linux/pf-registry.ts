import { linuxCapabilities, type PfCapabilities, pciSlotSwitchId } from '../../model/index.js';
import type { DevlinkHandle, EswitchModeName } from './netlink/genl.js';
import type { LinkInfo } from './netlink/link-decode.js';
import { NetlinkError } from './netlink/message.js';
import type { Devlink, Rtnl } from './rtnl.js';
import type { Sysfs, SysfsPf } from './sysfs.js';

/** One PF the driver manages: what sysfs says, and what it can do. */
export interface PfEntry {
  sys: SysfsPf;
  caps: PfCapabilities;
  devlink: DevlinkHandle;
  eswitch: EswitchModeName;
}

/**
 * The PFs as last discovered. PFs come and go with driver reloads and their ifindex changes,
 * so reads that hit a vanished netdev re-discover and retry once.
 */
export class PfRegistry {
  private readonly pfs = new Map<string, PfEntry>();

  constructor(
    private readonly sysfs: Sysfs,
    private readonly rtnl: Rtnl,
    private readonly devlink: Devlink,
    private readonly totalVfsOverrides: ReadonlyMap<string, number> | undefined,
  ) {}

  get(id: string): PfEntry | undefined {
    return this.pfs.get(id);
  }

  all(): PfEntry[] {
    return [...this.pfs.values()];
  }

  /** The VF limit: sriov_totalvfs, else the PF policy's, else netdevsim's debugfs, else known. */
  private async totalVfs(sys: SysfsPf): Promise<number> {
    const known = linuxCapabilities({
      driver: sys.driver,
      totalVfs: 0,
      linkSpeedMbps: 0,
      maxMtu: 0,
      hasDevlinkEswitch: false,
    }).totalVfs;
    const n =
      sys.totalVfs ??
      this.totalVfsOverrides?.get(sys.id) ??
      (sys.driver === 'netdevsim' ? await this.sysfs.netdevsimMaxVfs(sys) : undefined) ??
      known;
    return n || sys.numVfs;
  }

  /** `phys_switch_id` (the ports of one eswitch), else the PCI slot (legacy mode on mlx5). */
  private async switchId(sys: SysfsPf): Promise<string | undefined> {
    const own = (await this.sysfs.switchPort(sys.netdev)).switchId;
    return own ?? (sys.bus === 'pci' ? pciSlotSwitchId(sys.id) : undefined);
  }

  /** Re-reads sysfs, the PFs' links and eswitch modes. */
  async refresh(): Promise<PfEntry[]> {
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
      const caps = linuxCapabilities({
        driver: sys.driver,
        totalVfs: await this.totalVfs(sys),
        linkSpeedMbps: sys.speedMbps,
        maxMtu: link?.maxMtu,
        hasDevlinkEswitch: mode !== undefined,
        switchId: await this.switchId(sys),
      });
      next.set(sys.id, { sys, caps, devlink, eswitch: mode ?? 'legacy' });
    }
    // Swapped in whole, so a failed refresh leaves the previous view in place.
    this.pfs.clear();
    for (const [id, e] of next) this.pfs.set(id, e);
    return this.all();
  }

  /** Reads the given PFs' links (pipelined); a PF whose netdev vanished triggers a refresh. */
  async readLinks(entries: PfEntry[], stats: boolean): Promise<Map<string, LinkInfo>> {
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
}

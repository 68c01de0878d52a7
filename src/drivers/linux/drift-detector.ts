import { ZERO_MAC } from '../../model/index.js';
import type { DriverEvent } from '../driver.js';
import type { LinkInfo } from './netlink/link-decode.js';
import type { VfInfo } from './netlink/vf-decode.js';
import type { PfRegistry } from './pf-registry.js';
import { type KernelState, kernelState } from './settings.js';
import type { VfCache } from './vf-cache.js';

/** What a VF looks like after its PF driver (re)creates it: no MAC, VLAN, trust or rates. */
function isBlank(s: KernelState): boolean {
  return (
    s.mac === '00:00:00:00:00:00' &&
    s.vlan === 0 &&
    !s.trust &&
    s.minTxRate === 0 &&
    s.maxTxRate === 0 &&
    s.linkState === 'auto'
  );
}

/**
 * Compares the kernel with what nicvisor last knew and reports the difference: `pfReset`
 * when the PF's netdev was re-created (driver reload), its VF count changed, several VFs
 * changed at once or one went blank; `changed` for a single VF edited (`ip link` by hand).
 * Every VF is watched, not only those this process changed: after a daemon restart the VFs
 * already in sync were never touched, yet their drift matters as much.
 */
export class DriftDetector {
  private readonly lastNumVfs = new Map<string, number>();

  constructor(
    private readonly pfs: PfRegistry,
    private readonly cache: VfCache,
    private readonly emit: (e: DriverEvent) => void,
    /** VFs whose MAC the guard owns (mac-guard.ts): a guest's MAC change is not drift. */
    private readonly guarded: (pf: string, vf: number) => boolean = () => false,
  ) {}

  /** The VF count nicvisor saw or set itself (not drift). */
  seen(pf: string, numVfs: number): void {
    this.lastNumVfs.set(pf, numVfs);
  }

  /**
   * `stale()` turns true when an apply ran meanwhile: its own changes are not drift (then
   * null, else the links read, for the MAC guard).
   */
  async check(reason: string, stale: () => boolean): Promise<Map<string, LinkInfo> | null> {
    const before = new Map(this.pfs.all().map((e) => [e.sys.id, e.sys.ifindex]));
    await this.pfs.refresh();
    const links = await this.pfs.readLinks(this.pfs.all(), false);
    if (stale()) return null;
    for (const [id, ifindex] of before) {
      const e = this.pfs.get(id);
      const link = links.get(id);
      if (!e || !link) {
        this.cache.forgetPf(id);
        this.emit({ type: 'pfReset', pf: id, reason: `PF ${id} disappeared (${reason})` });
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
        this.cache.forgetPf(id);
        this.cache.rememberLink(id, link);
        this.emit({ type: 'pfReset', pf: id, reason: `PF ${id}: ${why} (${reason})` });
        continue;
      }
      this.compareVfs(id, link.vfs, reason);
    }
    return links;
  }

  private compareVfs(pf: string, vfs: VfInfo[], reason: string): void {
    const changed: number[] = [];
    let blank = true;
    for (const v of vfs) {
      const was = this.cache.kernel(pf, v.vf);
      const now = kernelState(v);
      // The guard decides a guarded VF's new MAC; it is drift only when the VF went blank.
      if (was && now.mac !== ZERO_MAC && this.guarded(pf, v.vf)) now.mac = was.mac;
      this.cache.remember(pf, v.vf, now);
      if (was && JSON.stringify(was) !== JSON.stringify(now)) {
        changed.push(v.vf);
        blank &&= isBlank(now);
      }
    }
    if (changed.length > 1 || (changed.length === 1 && blank)) {
      const why = `vfs ${changed.join(',')} lost their settings`;
      this.emit({ type: 'pfReset', pf, reason: `PF ${pf}: ${why} (${reason})` });
    } else if (changed.length === 1) {
      const why = `vf ${changed[0]} changed behind nicvisor's back`;
      this.emit({ type: 'changed', pf, vf: changed[0], reason: `PF ${pf} ${why} (${reason})` });
    }
  }
}

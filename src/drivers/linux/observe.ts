import type { ObservedPf, ObservedVf } from '../../model/index.js';
import { countersOf } from './counters.js';
import type { LinkInfo } from './netlink/link-decode.js';
import type { PfEntry } from './pf-registry.js';
import { observedSettings } from './settings.js';
import type { Sysfs } from './sysfs.js';
import type { VfCache } from './vf-cache.js';

/**
 * One PF as the model's ObservedPf: VF settings from rtnetlink plus recorded fields, VF PCI
 * addresses and netdevs from sysfs. The PF's VEB cannot be switched off through the kernel,
 * so loopback is always reported on; there are no traffic classes.
 */
export async function observedPf(
  e: PfEntry,
  link: LinkInfo,
  sysfs: Sysfs,
  cache: VfCache,
): Promise<ObservedPf> {
  cache.learnLink(e.sys.id, link);
  const sysVfs = new Map((await sysfs.listVfs(e.sys)).map((v) => [v.vf, v]));
  const vfs: ObservedVf[] = [];
  for (const info of link.vfs) {
    const sv = sysVfs.get(info.vf);
    const vfMtu = sv?.netdev ? await sysfs.netdevMtu(sv.netdev) : undefined;
    vfs.push({
      kind: 'observed',
      pf: e.sys.id,
      vf: info.vf,
      pciAddr: sv?.pciAddr,
      netdev: sv?.netdev,
      settings: observedSettings(
        info,
        cache.recordedOf(e.sys.id, info.vf),
        vfMtu,
        e.eswitch === 'switchdev',
      ),
      mirror: null,
      counters: countersOf(info.stats),
      linkUp: info.linkState === 'enable' || (info.linkState === 'auto' && link.lowerUp),
    });
  }
  return {
    kind: 'observed',
    id: e.sys.id,
    driver: e.caps.driver,
    pciAddr: e.sys.bus === 'pci' ? e.sys.id : undefined,
    netdev: link.name,
    totalVfs: e.caps.totalVfs,
    numVfs: link.numVfs ?? e.sys.numVfs,
    linkUp: link.lowerUp,
    linkSpeedMbps: e.sys.speedMbps,
    numaNode: e.sys.numaNode,
    mtu: link.mtu,
    loopback: true,
    eswitchMode: e.eswitch,
    trafficClasses: [],
    counters: countersOf(link.stats),
    vfs,
  };
}

import type { EswitchPort } from '../../../model/index.js';
import {
  DEVLINK_PORT_FLAVOUR_PCI_VF,
  DEVLINK_PORT_FLAVOUR_PHYSICAL,
} from '../netlink/constants.js';
import type { DevlinkPort } from '../netlink/genl.js';
import type { Sysfs } from '../sysfs.js';

/** One VF's switch port: VF ↔ representor ↔ devlink port ↔ switch id. */
export interface Representor {
  vf: number;
  netdev: string;
  /** Its ifindex: new when the netdev was recreated, the same across a rename. */
  ifindex?: number;
  /** `bus/dev/index` of its devlink port, when devlink reported it. */
  devlinkPort?: string;
  /** `phys_switch_id`: the same for every port of one eswitch. */
  switchId?: string;
  /** How it was found. */
  via: 'devlink' | 'phys_port_name';
}

export interface SwitchPorts {
  /** The uplink representor (the PF netdev itself on mlx5, ice and netdevsim). */
  uplink: string;
  uplinkIfindex?: number;
  switchId?: string;
  vfs: Representor[];
}

/** `pf0vf3`, `c1pf0vf3` (mlx5 with controllers) → PF 0, VF 3. */
const VF_PORT = /^(?:c\d+)?pf(\d+)vf(\d+)$/;

/**
 * The representors of one PF in switchdev mode: devlink ports of flavour `pcivf` (with their
 * `vfnum` and netdev, current names, so a renamed representor is still found); where
 * devlink lists none, the netdevs whose `phys_port_name` is `pfNvfM` and whose
 * `phys_switch_id` is the PF's. Equivalent to: `devlink -j port show` and
 * `cat /sys/class/net/*\/phys_port_name`.
 */
export async function findRepresentors(
  pfNetdev: string,
  devlinkPorts: readonly DevlinkPort[],
  sysfs: Sysfs,
): Promise<SwitchPorts> {
  const own = await sysfs.switchPort(pfNetdev);
  const physical = devlinkPorts.find(
    (p) => p.flavour === DEVLINK_PORT_FLAVOUR_PHYSICAL && p.netdev !== undefined,
  );
  const uplink = physical?.netdev ?? pfNetdev;
  const uplinkIfindex = physical?.ifindex ?? (await sysfs.netdevIfindex(uplink));
  const pfNumber = devlinkPorts.find((p) => p.pfNumber !== undefined)?.pfNumber ?? 0;
  const byVf = new Map<number, Representor>();
  for (const p of devlinkPorts) {
    if (p.flavour !== DEVLINK_PORT_FLAVOUR_PCI_VF || p.vfNumber === undefined || !p.netdev)
      continue;
    const { switchId } = await sysfs.switchPort(p.netdev);
    byVf.set(p.vfNumber, {
      vf: p.vfNumber,
      netdev: p.netdev,
      ifindex: p.ifindex ?? (await sysfs.netdevIfindex(p.netdev)),
      devlinkPort: `${p.bus}/${p.dev}/${p.index}`,
      switchId,
      via: 'devlink',
    });
  }
  if (byVf.size === 0 && own.switchId) {
    for (const netdev of await sysfs.netdevs()) {
      const { portName, switchId } = await sysfs.switchPort(netdev);
      const m = portName ? VF_PORT.exec(portName) : null;
      if (!m || switchId !== own.switchId || Number(m[1]) !== pfNumber) continue;
      const vf = Number(m[2]);
      const ifindex = await sysfs.netdevIfindex(netdev);
      byVf.set(vf, { vf, netdev, ifindex, switchId, via: 'phys_port_name' });
    }
  }
  const vfs = [...byVf.values()].sort((a, b) => a.vf - b.vf);
  return { uplink, uplinkIfindex, switchId: own.switchId, vfs };
}

/** Port → netdev for the rules: the uplink and every VF that has a representor. */
export function portMap(ports: SwitchPorts): Map<EswitchPort, string> {
  const m = new Map<EswitchPort, string>([['uplink', ports.uplink]]);
  for (const r of ports.vfs) m.set(`vf${r.vf}`, r.netdev);
  return m;
}

/** Port → ifindex, where known: how the ledger tells a renamed netdev from a new one. */
export function portIds(ports: SwitchPorts): Map<EswitchPort, number> {
  const m = new Map<EswitchPort, number>();
  if (ports.uplinkIfindex !== undefined) m.set('uplink', ports.uplinkIfindex);
  for (const r of ports.vfs) if (r.ifindex !== undefined) m.set(`vf${r.vf}`, r.ifindex);
  return m;
}

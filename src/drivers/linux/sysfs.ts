import { readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errnoName } from './netlink/message.js';

/** One VF as sysfs shows it (`device/virtfnN` → the VF's PCI device). */
export interface SysfsVf {
  vf: number;
  pciAddr: string;
  /** The VF's netdev in this namespace, when a VF driver is bound and it was not moved. */
  netdev?: string;
  driver?: string;
}

/** An SR-IOV capable PF found under `class/net`. */
export interface SysfsPf {
  /** PCI address (`0000:01:00.0`), or the device name on other buses (`netdevsim10`). */
  id: string;
  bus: string;
  netdev: string;
  ifindex: number;
  driver: string;
  vendor?: string;
  device?: string;
  /** `sriov_totalvfs`; absent on netdevsim (see knownTotalVfs). */
  totalVfs?: number;
  numVfs: number;
  /** 0 when unknown (link down, or a device without a speed). */
  speedMbps: number;
  mtu: number;
  devPath: string;
  /** `device/numa_node` (-1: the host has no NUMA); absent on buses without one (netdevsim). */
  numaNode?: number;
}

async function read(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function readInt(path: string): Promise<number | undefined> {
  const s = await read(path);
  if (s === undefined) return undefined;
  const n = Number.parseInt(s, s.startsWith('0x') ? 16 : 10);
  return Number.isFinite(n) ? n : undefined;
}

async function linkName(path: string): Promise<string | undefined> {
  try {
    return basename(await readlink(path));
  } catch {
    return undefined;
  }
}

async function list(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/** switchdev representors share the PF's device; their port names are `pfNvfM` / `pfN`. */
const REPRESENTOR_PORT = /^(c\d+)?pf\d+(vf\d+|sf\d+)?$/;

/**
 * Reads and writes the kernel's SR-IOV files under a sysfs root given by the caller (the
 * real `/sys`, or a fake tree in tests).
 */
export class Sysfs {
  constructor(readonly root: string) {}

  /** Every netdev whose device has `sriov_numvfs`, representors and VFs left out. */
  async listPfs(): Promise<SysfsPf[]> {
    const out: SysfsPf[] = [];
    const seen = new Set<string>();
    for (const netdev of (await list(join(this.root, 'class/net'))).sort()) {
      const pf = await this.readPf(netdev);
      if (!pf || seen.has(pf.devPath)) continue;
      seen.add(pf.devPath);
      out.push(pf);
    }
    return out;
  }

  /** The PF behind one netdev, or undefined when it is not an SR-IOV PF. */
  async readPf(netdev: string): Promise<SysfsPf | undefined> {
    const net = join(this.root, 'class/net', netdev);
    const dev = join(net, 'device');
    const numVfs = await readInt(join(dev, 'sriov_numvfs'));
    if (numVfs === undefined) return undefined;
    const port = await read(join(net, 'phys_port_name'));
    if (port && REPRESENTOR_PORT.test(port)) return undefined;
    // A representor or VF netdev may vanish between readdir and here (eswitch mode change).
    const devPath = await realpath(dev).catch(() => undefined);
    if (!devPath) return undefined;
    const bus = (await linkName(join(dev, 'subsystem'))) ?? 'pci';
    const speed = await readInt(join(net, 'speed'));
    return {
      id: basename(devPath),
      bus,
      netdev,
      ifindex: (await readInt(join(net, 'ifindex'))) ?? 0,
      driver: (await linkName(join(dev, 'driver'))) ?? 'unknown',
      vendor: await read(join(dev, 'vendor')),
      device: await read(join(dev, 'device')),
      totalVfs: await readInt(join(dev, 'sriov_totalvfs')),
      numVfs,
      speedMbps: speed !== undefined && speed > 0 ? speed : 0,
      mtu: (await readInt(join(net, 'mtu'))) ?? 0,
      devPath,
      numaNode: await readInt(join(dev, 'numa_node')),
    };
  }

  /**
   * netdevsim has no `sriov_totalvfs`; its limit is the debugfs knob `max_vfs` (debugfs is
   * mounted under the sysfs root at kernel/debug).
   */
  async netdevsimMaxVfs(pf: SysfsPf): Promise<number | undefined> {
    return readInt(join(this.root, 'kernel/debug/netdevsim', pf.id, 'max_vfs'));
  }

  /** Every netdev name in this namespace. */
  async netdevs(): Promise<string[]> {
    return (await list(join(this.root, 'class/net'))).sort();
  }

  /**
   * A switch port's identity: `phys_port_name` (`p0`, `pf0vf3`) and `phys_switch_id` (shared
   * by the ports of one eswitch); undefined where the driver has none (EOPNOTSUPP).
   */
  async switchPort(netdev: string): Promise<{ portName?: string; switchId?: string }> {
    const net = join(this.root, 'class/net', netdev);
    const portName = await read(join(net, 'phys_port_name'));
    const switchId = await read(join(net, 'phys_switch_id'));
    return { portName: portName || undefined, switchId: switchId || undefined };
  }

  /** The ifindex of any netdev (a representor that comes back gets a new one). */
  async netdevIfindex(netdev: string): Promise<number | undefined> {
    return readInt(join(this.root, 'class/net', netdev, 'ifindex'));
  }

  /** MTU of any netdev (a VF's, when its driver runs in this namespace). */
  async netdevMtu(netdev: string): Promise<number | undefined> {
    return readInt(join(this.root, 'class/net', netdev, 'mtu'));
  }

  async carrier(netdev: string): Promise<boolean> {
    return (await readInt(join(this.root, 'class/net', netdev, 'carrier'))) === 1;
  }

  /** IFF_UP: the administrator (or nicvisor's host config) brought the netdev up. */
  async adminUp(netdev: string): Promise<boolean> {
    return (((await readInt(join(this.root, 'class/net', netdev, 'flags'))) ?? 0) & 1) === 1;
  }

  /** Waits until the netdev has carrier again; false on timeout. */
  async waitForCarrier(netdev: string, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!(await this.carrier(netdev))) {
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  }

  /** Link speed in Mbps as the kernel reports it (absent or -1 when unknown). */
  async speedMbps(netdev: string): Promise<number | undefined> {
    return readInt(join(this.root, 'class/net', netdev, 'speed'));
  }

  /** `link down`, or `link up at N Mbps`, from carrier and speed. */
  async linkNow(netdev: string): Promise<string> {
    const net = join(this.root, 'class/net', netdev);
    if ((await readInt(join(net, 'carrier'))) !== 1) return 'link is down';
    return `link is up at ${(await readInt(join(net, 'speed'))) ?? '?'} Mbps`;
  }

  async readNumVfs(pf: SysfsPf): Promise<number> {
    return (await readInt(join(pf.devPath, 'sriov_numvfs'))) ?? 0;
  }

  /** The VFs' PCI devices (none on netdevsim, whose VFs exist only as indices). */
  async listVfs(pf: SysfsPf): Promise<SysfsVf[]> {
    const out: SysfsVf[] = [];
    for (const name of await list(pf.devPath)) {
      const m = /^virtfn(\d+)$/.exec(name);
      if (!m) continue;
      const link = join(pf.devPath, name);
      const nets = await list(join(link, 'net'));
      const vf: SysfsVf = { vf: Number(m[1]), pciAddr: (await linkName(link)) ?? '' };
      if (nets.length > 0) vf.netdev = nets[0];
      const driver = await linkName(join(link, 'driver'));
      if (driver) vf.driver = driver;
      out.push(vf);
    }
    return out.sort((a, b) => a.vf - b.vf);
  }

  /**
   * Equivalent to: `echo 0 > sriov_numvfs; echo N > sriov_numvfs`. The kernel refuses N→M
   * without going through 0 (EBUSY), so 0 is always written first. Then waits until the
   * kernel reports N VFs (and, on PCI, N `virtfn` links).
   */
  async setNumVfs(pf: SysfsPf, n: number, timeoutMs = 10000): Promise<void> {
    const file = join(pf.devPath, 'sriov_numvfs');
    const current = await this.readNumVfs(pf);
    if (current === n) return;
    if (current !== 0) await this.write(pf, file, 0);
    if (n > 0) await this.write(pf, file, n);
    await this.waitForVfs(pf, n, timeoutMs);
  }

  /**
   * Detaches a VF from its driver (mlx5 wants its VFs unbound for an eswitch mode change).
   * Equivalent to: `echo ADDR > /sys/bus/pci/devices/ADDR/driver/unbind`.
   */
  async unbindVf(pciAddr: string): Promise<void> {
    await writeFile(join(this.root, 'bus/pci/devices', pciAddr, 'driver/unbind'), pciAddr);
  }

  /** Lets the kernel bind a VF again. Equivalent to: `echo ADDR > /sys/bus/pci/drivers_probe`. */
  async probeVf(pciAddr: string): Promise<void> {
    await writeFile(join(this.root, 'bus/pci/drivers_probe'), pciAddr);
  }

  private async write(pf: SysfsPf, file: string, n: number): Promise<void> {
    try {
      await writeFile(file, String(n));
    } catch (e) {
      throw numVfsError(pf, n, e as NodeJS.ErrnoException);
    }
  }

  private async waitForVfs(pf: SysfsPf, n: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const num = await this.readNumVfs(pf);
      const links = pf.bus === 'pci' ? (await this.listVfs(pf)).length : n;
      if (num === n && links === n) return;
      if (Date.now() >= until) {
        throw new Error(
          `PF ${pf.id} (${pf.netdev}): asked for ${n} VFs but after ${timeoutMs} ms sriov_numvfs reads ${num} and ${links} virtfn links exist; check dmesg for the ${pf.driver} driver's error`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The kernel's refusal of a VF count, with what it means and what to do. */
export function numVfsError(pf: SysfsPf, n: number, e: NodeJS.ErrnoException): Error {
  const code = e.code ?? 'EIO';
  const text = e.errno ? errnoName(-e.errno).text : e.message;
  const limit = pf.totalVfs !== undefined ? `0-${pf.totalVfs}` : 'the device limit';
  const hint: Record<string, string> = {
    EBUSY: 'VFs are in use or the count was not 0 first; detach the VFs from their guests',
    ENOMEM: `the device accepts fewer VFs (allowed ${limit}); lower numVfs or raise the device limit (netdevsim: debugfs max_vfs)`,
    ERANGE: `more than sriov_totalvfs; allowed ${limit}`,
    EINVAL: `the driver refused the count; allowed ${limit}`,
    EPERM: 'run nicvisor as root',
    EACCES: 'run nicvisor as root',
  };
  return Object.assign(
    new Error(
      `PF ${pf.id} (${pf.netdev}): cannot set sriov_numvfs to ${n}: ${text} (${code}); ${hint[code] ?? 'see dmesg'}`,
    ),
    { code },
  );
}

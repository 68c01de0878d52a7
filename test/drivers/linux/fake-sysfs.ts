import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export interface FakePf {
  pci: string;
  netdev: string;
  ifindex: number;
  driver: string;
  vfDriver?: string;
  vendor?: string;
  device?: string;
  totalVfs?: number;
  numVfs: number;
  speed?: number;
  /** VF netdev names, index = VF (undefined: no driver bound). */
  vfNetdevs?: Array<string | undefined>;
}

/**
 * A sysfs tree with the kernel's real shape: `class/net/X` is a symlink into the device's
 * `net/X`, which links back with `device`; the PF has `virtfnN` links to each VF and each
 * VF a `physfn` link back; `driver` and `subsystem` are links into `bus/`.
 */
export class FakeSysfs {
  readonly root = mkdtempSync(join(tmpdir(), 'nicvisor-sysfs-'));

  private link(target: string, at: string): void {
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(relative(dirname(at), target), at);
  }

  private file(path: string, content: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${content}\n`);
  }

  private netdev(devDir: string, name: string, ifindex: number, speed?: number): void {
    const net = join(devDir, 'net', name);
    this.file(join(net, 'ifindex'), String(ifindex));
    this.file(join(net, 'mtu'), '1500');
    if (speed !== undefined) this.file(join(net, 'speed'), String(speed));
    this.link(devDir, join(net, 'device'));
    this.link(net, join(this.root, 'class/net', name));
  }

  addPciPf(pf: FakePf): string {
    const bus = join(this.root, 'devices/pci0000:00/0000:00:01.0');
    const dev = join(bus, pf.pci);
    this.file(join(dev, 'vendor'), pf.vendor ?? '0x8086');
    this.file(join(dev, 'device'), pf.device ?? '0x10c9');
    if (pf.totalVfs !== undefined) this.file(join(dev, 'sriov_totalvfs'), String(pf.totalVfs));
    this.file(join(dev, 'sriov_numvfs'), String(pf.numVfs));
    this.link(join(this.root, 'bus/pci/drivers', pf.driver), join(dev, 'driver'));
    this.link(join(this.root, 'bus/pci'), join(dev, 'subsystem'));
    this.netdev(dev, pf.netdev, pf.ifindex, pf.speed);
    for (let i = 0; i < pf.numVfs; i++) this.addVf(pf, bus, dev, i);
    return dev;
  }

  private addVf(pf: FakePf, bus: string, pfDev: string, i: number): void {
    const [dom, b] = pf.pci.split(':');
    const vfDev = join(bus, `${dom}:${b}:10.${i}`);
    this.link(pfDev, join(vfDev, 'physfn'));
    this.link(vfDev, join(pfDev, `virtfn${i}`));
    this.link(vfDev, join(this.root, 'bus/pci/devices', `${dom}:${b}:10.${i}`));
    this.file(join(vfDev, 'driver_override'), '(null)');
    const name = pf.vfNetdevs?.[i];
    if (name !== undefined) {
      this.link(join(this.root, 'bus/pci/drivers', pf.vfDriver ?? 'igbvf'), join(vfDev, 'driver'));
      this.netdev(vfDev, name, pf.ifindex + 10 + i);
    }
  }

  /** A netdevsim device: no sriov_totalvfs, limit in debugfs `max_vfs`, no VF devices. */
  addNetdevsim(id: string, netdev: string, ifindex: number, numVfs: number, maxVfs: number): void {
    const dev = join(this.root, 'devices', id);
    this.file(join(dev, 'sriov_numvfs'), String(numVfs));
    this.link(join(this.root, 'bus/netdevsim/drivers/netdevsim'), join(dev, 'driver'));
    this.link(join(this.root, 'bus/netdevsim'), join(dev, 'subsystem'));
    this.netdev(dev, netdev, ifindex);
    this.file(join(this.root, 'kernel/debug/netdevsim', id, 'max_vfs'), String(maxVfs));
  }

  /** A switchdev representor: same device as the PF, port name `pf0vfN`. */
  addRepresentor(devDir: string, name: string, ifindex: number, port: string): void {
    this.netdev(devDir, name, ifindex);
    this.file(join(devDir, 'net', name, 'phys_port_name'), port);
  }

  /** What the kernel does after `echo N > sriov_numvfs` on a PCI PF: VF devices appear. */
  createVfs(pf: FakePf, n: number): void {
    const bus = join(this.root, 'devices/pci0000:00/0000:00:01.0');
    for (let i = 0; i < n; i++) this.addVf({ ...pf, vfNetdevs: [] }, bus, join(bus, pf.pci), i);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

// Runs inside the lab VM booted with --igb (test/lab/vm/igb.sh): proves that a VF can be
// handed to user space through vfio-pci and taken back by its kernel driver, the way VFs
// go to DPDK or to a VM. The VM has no IOMMU, so vfio runs in its no-IOMMU mode, which
// Debian's kernel lacks and the lab's vfio.ko has (test/lab/image/build-modules.sh).
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IGB_NETDEV, sh, skipUnless, waitFor } from './env.js';

const skip = skipUnless('igb');
const NETDEV = IGB_NETDEV;
const PF = `/sys/class/net/${NETDEV}/device`;
const PCI = '/sys/bus/pci';

const dev = (addr: string) => join(PCI, 'devices', addr);

function driverOf(addr: string): string | null {
  const link = join(dev(addr), 'driver');
  return existsSync(link) ? basename(readlinkSync(link)) : null;
}

/**
 * Binds a PCI device to `driver` the way dpdk-devbind does: driver_override, then a probe.
 * With sriov_drivers_autoprobe 0 the kernel probes a VF only when driver_override names a
 * driver (pci_device_can_probe()), so a plain write to drivers/igbvf/bind gets ENODEV.
 */
function bind(addr: string, driver: string): void {
  const current = driverOf(addr);
  if (current === driver) return;
  writeFileSync(join(dev(addr), 'driver_override'), driver);
  if (current) writeFileSync(join(PCI, 'drivers', current, 'unbind'), addr);
  writeFileSync(join(PCI, 'drivers_probe'), addr);
  writeFileSync(join(dev(addr), 'driver_override'), '\n');
}

describe('vfio-pci on an igb VF (no-IOMMU mode)', { skip }, () => {
  let vf = '';
  let autoprobe = '1';
  let groupFile = '';

  before(() => {
    sh('modprobe vfio enable_unsafe_noiommu_mode=1 && modprobe vfio_pci && modprobe igbvf');
    autoprobe = readFileSync(join(PF, 'sriov_drivers_autoprobe'), 'utf8').trim();
    sh(`echo 0 > ${PF}/sriov_numvfs; echo 0 > ${PF}/sriov_drivers_autoprobe`);
    sh(`echo 1 > ${PF}/sriov_numvfs`);
    vf = basename(readlinkSync(join(PF, 'virtfn0')));
  });
  after(() => {
    sh(`echo 0 > ${PF}/sriov_numvfs; echo ${autoprobe} > ${PF}/sriov_drivers_autoprobe`);
  });

  it('vfio has the no-IOMMU mode on', () => {
    const p = '/sys/module/vfio/parameters/enable_unsafe_noiommu_mode';
    assert.equal(readFileSync(p, 'utf8').trim(), 'Y');
  });

  it('binds the VF to vfio-pci: a no-IOMMU group whose device file opens', () => {
    assert.equal(driverOf(vf), null, 'VF created without a driver (autoprobe off)');
    bind(vf, 'vfio-pci');
    assert.equal(driverOf(vf), 'vfio-pci');
    const group = basename(readlinkSync(join(dev(vf), 'iommu_group')));
    assert.equal(
      readFileSync(`/sys/kernel/iommu_groups/${group}/name`, 'utf8').trim(),
      'vfio-noiommu',
    );
    groupFile = `/dev/vfio/noiommu-${group}`;
    assert.ok(existsSync(groupFile), `${groupFile} exists`);
    const fds = [openSync('/dev/vfio/vfio', 'r+'), openSync(groupFile, 'r+')];
    for (const fd of fds) closeSync(fd);
  });

  it('gives the VF back to igbvf, which makes its netdev again', async () => {
    bind(vf, 'igbvf');
    assert.equal(driverOf(vf), 'igbvf');
    await waitFor(() => existsSync(join(dev(vf), 'net')), 30_000, `a netdev under ${vf}`);
    assert.equal(existsSync(groupFile), false, `${groupFile} is gone with the group`);
  });
});

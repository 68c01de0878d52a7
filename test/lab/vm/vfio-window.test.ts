// Runs inside the lab VM booted with --igb (test/lab/vm/igb.sh), after vfio.test.ts: the
// states a daemon killed inside a bind leaves on a real igb VF, repaired by the same
// bindPci the daemon's restart calls (daemon/pools/claims.ts repairBindings and the
// interrupted release). What the kernel does here, the unit test's PCI bus model assumes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bindPci, driverOf } from '../../../src/drivers/linux/bind.js';
import { IGB_NETDEV, sh, skipUnless, waitFor } from './env.js';

const skip = skipUnless('igb');
const PF = `/sys/class/net/${IGB_NETDEV}/device`;
const PCI = '/sys/bus/pci';
const dev = (addr: string) => join(PCI, 'devices', addr);
const override = (addr: string) => readFileSync(join(dev(addr), 'driver_override'), 'utf8').trim();

describe('vfio-pci crash window on an igb VF', { skip }, () => {
  let vf = '';
  let autoprobe = '1';

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

  it('a VF with no driver is bound (override, probe) and the override cleared', async () => {
    assert.equal(await driverOf('/sys', vf), null);
    assert.equal(await bindPci('/sys', vf, 'igbvf'), null);
    assert.equal(await driverOf('/sys', vf), 'igbvf');
    assert.equal(override(vf), '(null)');
  });

  it('killed between unbinding igbvf and binding vfio-pci: the repair binds vfio-pci', async () => {
    writeFileSync(join(dev(vf), 'driver_override'), 'vfio-pci');
    writeFileSync(join(PCI, 'drivers/igbvf/unbind'), vf);
    assert.equal(await driverOf('/sys', vf), null, 'the state the kill left');
    assert.equal(await bindPci('/sys', vf, 'vfio-pci'), null);
    assert.equal(await driverOf('/sys', vf), 'vfio-pci');
  });

  it('killed inside the release’s rebind: the repair binds igbvf, whose netdev comes back', async () => {
    writeFileSync(join(dev(vf), 'driver_override'), 'igbvf');
    writeFileSync(join(PCI, 'drivers/vfio-pci/unbind'), vf);
    assert.equal(await driverOf('/sys', vf), null);
    assert.equal(await bindPci('/sys', vf, 'igbvf'), null);
    assert.equal(await driverOf('/sys', vf), 'igbvf');
    await waitFor(() => existsSync(join(dev(vf), 'net')), 30_000, `a netdev under ${vf}`);
  });

  it('a stale override on a bound VF (a kill after the override was written) is cleared', async () => {
    writeFileSync(join(dev(vf), 'driver_override'), 'vfio-pci');
    assert.equal(await bindPci('/sys', vf, 'igbvf'), 'igbvf');
    assert.equal(override(vf), '(null)');
    assert.equal(await driverOf('/sys', vf), 'igbvf');
  });
});

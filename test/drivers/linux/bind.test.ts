// bind.ts on a fake sysfs tree: the driver a VF is bound to, and a driver_override a bind
// cut short left behind (a crash after the override was written, before the unbind).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bindPci, driverOf } from '../../../src/drivers/linux/bind.js';
import { FakeSysfs } from './fake-sysfs.js';

describe('bindPci on a fake sysfs', () => {
  const fake = new FakeSysfs();
  after(() => fake.remove());
  fake.addPciPf({
    pci: '0000:01:00.0',
    netdev: 'eth0',
    ifindex: 2,
    driver: 'igb',
    totalVfs: 7,
    numVfs: 2,
    vfNetdevs: ['eth1', undefined],
  });
  const override = join(fake.root, 'bus/pci/devices/0000:01:10.0/driver_override');

  it('reads the bound driver (none for a VF without one)', async () => {
    assert.equal(await driverOf(fake.root, '0000:01:10.0'), 'igbvf');
    assert.equal(await driverOf(fake.root, '0000:01:10.1'), null);
  });

  it('a VF already on the driver keeps it, and a stale driver_override is cleared', async () => {
    writeFileSync(override, 'vfio-pci\n');
    assert.equal(await bindPci(fake.root, '0000:01:10.0', 'igbvf'), 'igbvf');
    assert.equal(readFileSync(override, 'utf8').trim(), '');
  });

  it('refuses what is not a PCI address or a driver name', async () => {
    await assert.rejects(bindPci(fake.root, '../../etc', 'igbvf'), /is not a PCI address/);
    await assert.rejects(bindPci(fake.root, '0000:01:10.0', 'a/b'), /is not a driver name/);
  });
});

import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { numVfsError, Sysfs } from '../../../src/drivers/linux/sysfs.js';
import { type FakePf, FakeSysfs } from './fake-sysfs.js';

const igb: FakePf = {
  pci: '0000:01:00.0',
  netdev: 'eth0',
  ifindex: 2,
  driver: 'igb',
  totalVfs: 7,
  numVfs: 2,
  speed: 1000,
  vfNetdevs: ['eth1', undefined],
};

describe('the fake sysfs has the kernel shape', () => {
  const fake = new FakeSysfs();
  after(() => fake.remove());
  const dev = fake.addPciPf(igb);

  it('uses real symlinks both ways between PF and VF', () => {
    assert.ok(lstatSync(join(fake.root, 'class/net/eth0')).isSymbolicLink());
    assert.equal(realpathSync(join(fake.root, 'class/net/eth0/device')), dev);
    assert.equal(readlinkSync(join(dev, 'virtfn1')), '../0000:01:10.1');
    assert.equal(realpathSync(join(dev, 'virtfn1/physfn')), dev);
  });
});

describe('Sysfs', () => {
  const fake = new FakeSysfs();
  after(() => fake.remove());
  const dev = fake.addPciPf(igb);
  fake.addPciPf({
    ...igb,
    pci: '0000:02:00.0',
    netdev: 'eth5',
    ifindex: 9,
    numVfs: 0,
    totalVfs: 63,
    driver: 'ixgbe',
    vfNetdevs: [],
  });
  fake.addRepresentor(dev, 'eth7', 20, 'pf0vf0');
  fake.addNetdevsim('netdevsim10', 'eth9', 30, 4, 64);
  const sysfs = new Sysfs(fake.root);

  it('finds PFs with their identity, skipping VFs and representors', async () => {
    const pfs = await sysfs.listPfs();
    assert.deepEqual(
      pfs.map((p) => [p.id, p.netdev, p.driver, p.bus, p.totalVfs, p.numVfs]),
      [
        ['0000:01:00.0', 'eth0', 'igb', 'pci', 7, 2],
        ['0000:02:00.0', 'eth5', 'ixgbe', 'pci', 63, 0],
        ['netdevsim10', 'eth9', 'netdevsim', 'netdevsim', undefined, 4],
      ],
    );
    assert.equal(pfs[0].ifindex, 2);
    assert.equal(pfs[0].speedMbps, 1000);
    assert.equal(pfs[0].vendor, '0x8086');
    assert.equal(pfs[2].speedMbps, 0);
  });

  it('lists VFs with PCI address, netdev and driver', async () => {
    const pf = (await sysfs.readPf('eth0'))!;
    assert.deepEqual(await sysfs.listVfs(pf), [
      { vf: 0, pciAddr: '0000:01:10.0', netdev: 'eth1', driver: 'igbvf' },
      { vf: 1, pciAddr: '0000:01:10.1' },
    ]);
  });

  it('reads the netdevsim VF limit from debugfs', async () => {
    const pf = (await sysfs.readPf('eth9'))!;
    assert.equal(await sysfs.netdevsimMaxVfs(pf), 64);
  });

  it('writes 0 then N and waits for the VFs', async () => {
    const pf = (await sysfs.readPf('eth5'))!;
    const pending = sysfs.setNumVfs(pf, 3, 2000);
    setTimeout(() => fake.createVfs({ ...igb, pci: '0000:02:00.0' }, 3), 100);
    await pending;
    assert.equal(readFileSync(join(pf.devPath, 'sriov_numvfs'), 'utf8'), '3');
    assert.equal((await sysfs.listVfs(pf)).length, 3);
  });

  it('times out naming the PF, the count and where to look', async () => {
    const pf = (await sysfs.readPf('eth0'))!;
    await assert.rejects(
      sysfs.setNumVfs(pf, 5, 200),
      /PF 0000:01:00\.0 \(eth0\): asked for 5 VFs but after 200 ms sriov_numvfs reads 5 and 2 virtfn links exist; check dmesg for the igb driver/,
    );
  });
});

describe('numVfsError', () => {
  it('turns the kernel errno into a message with the range and a fix', async () => {
    const fake = new FakeSysfs();
    try {
      fake.addPciPf(igb);
      const pf = (await new Sysfs(fake.root).readPf('eth0'))!;
      const e = numVfsError(pf, 8, Object.assign(new Error('x'), { code: 'ERANGE', errno: -34 }));
      assert.match(
        e.message,
        /^PF 0000:01:00\.0 \(eth0\): cannot set sriov_numvfs to 8: .*\(ERANGE\); more than sriov_totalvfs; allowed 0-7$/,
      );
      const busy = numVfsError(pf, 3, Object.assign(new Error('x'), { code: 'EBUSY', errno: -16 }));
      assert.match(busy.message, /resource busy or locked \(EBUSY\); VFs are in use/);
    } finally {
      fake.remove();
    }
  });
});

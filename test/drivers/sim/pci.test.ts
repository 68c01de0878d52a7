import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/drivers/sim/clock.js';
import { SimDriver } from '../../../src/drivers/sim/driver.js';
import { createNic } from '../../../src/drivers/sim/nic.js';
import { formatRid } from '../../../src/drivers/sim/pci.js';

const PCI_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

function driver(totalVfs: number) {
  const nic = createNic(
    [
      { name: 'a', ports: 2, totalVfs, linkSpeedMbps: 10000, numaNode: 1 },
      { name: 'b', ports: 1, totalVfs, linkSpeedMbps: 10000 },
    ],
    new ManualClock(),
  );
  for (const pf of nic.pfs.values()) pf.resize(totalVfs);
  return new SimDriver(nic, null);
}

test('formatRid: domain:bus:device.function of a routing ID', () => {
  assert.equal(formatRid(0x1000), '0000:10:00.0');
  assert.equal(formatRid((0x3b << 8) | (2 << 3) | 5), '0000:3b:02.5');
  assert.equal(formatRid(0x1_0100), '0001:01:00.0', 'past bus ff the domain carries on');
});

test('sim PFs and VFs get unique, stable PCI addresses and their NIC’s NUMA node', async () => {
  for (const totalVfs of [8, 300]) {
    const pfs = await driver(totalVfs).observe();
    const again = await driver(totalVfs).observe();
    const all = pfs.flatMap((p) => [p.pciAddr, ...p.vfs.map((v) => v.pciAddr)]);
    assert.equal(all.length, 3 * (totalVfs + 1));
    for (const a of all) assert.match(a ?? '', PCI_RE);
    assert.equal(new Set(all).size, all.length, `unique with ${totalVfs} VFs per port`);
    assert.deepEqual(
      again.flatMap((p) => [p.pciAddr, ...p.vfs.map((v) => v.pciAddr)]),
      all,
      'the same config gives the same addresses',
    );
    assert.deepEqual(
      pfs.map((p) => [p.id, p.numaNode]),
      [
        ['sim:a/0', 1],
        ['sim:a/1', 1],
        ['sim:b/0', 0],
      ],
    );
    // The ports of one NIC are functions of one device; its VFs sit on the buses after it.
    assert.equal(pfs[0].pciAddr, '0000:10:00.0');
    assert.equal(pfs[1].pciAddr, '0000:10:00.1');
    assert.equal(pfs[0].vfs[0].pciAddr, '0000:11:00.0');
    assert.equal(pfs[0].vfs[9]?.pciAddr ?? '0000:11:01.1', '0000:11:01.1');
  }
  const [info] = await driver(8).discover();
  assert.equal(info.pciAddr, '0000:10:00.0');
  assert.equal(info.numaNode, 1);
});

/**
 * VLANs a guest joins are filters beside the VLAN mode its policy set, never a change of
 * that mode — proven on frames: the daemon in-process over the sim NIC, the guests asking
 * through the API.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { buildFrame, createSimDriver } from '../../src/drivers/sim/index.js';
import { MainConfig } from '../../src/model/index.js';

const PF = 'sim:nic0/0';
const PORT = '02:00:00:00:0a:00';
const FLAT = '02:00:00:00:0a:01';
const WIRE = '02:ee:00:00:00:01';

test('a trusted port-VLAN VF and a flat VF keep their VLAN mode after the guest joins a VLAN', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-vlans-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 1, totalVfs: 8 }] },
    daemon: { stateDir, driftIntervalMs: 60_000, statsIntervalMs: 60_000 },
    pfs: [{ pf: PF, numVfs: 4 }],
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  const vfs = [
    { name: 'port', pf: PF, vf: 0, vlans: [100], trust: true, macs: [PORT] },
    { name: 'flat', pf: PF, vf: 1, untagged: true, trust: true, macs: [FLAT] },
  ];
  for (const v of vfs) await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
  const driver = await createSimDriver({ config: MainConfig.parse(config), stateDir });
  await driver.start();
  const d = new Daemon({ configFile, driver, log: silentLogger() });
  const nic = driver.nic;
  try {
    await d.start();
    // A port VLAN takes no guest VLAN beside it (igb and ixgbe refuse it): nack, mode kept.
    assert.equal(
      (await d.guestRequest('port', { type: 'addVlan', vlan: 300 }, 't')).result,
      'nack',
    );
    assert.equal((await d.guestRequest('flat', { type: 'addVlan', vlan: 42 }, 't')).result, 'ack');
    assert.equal(d.getVf('port').status.syncState, 'in-sync');

    // The port VLAN still tags the guest's untagged frames with 100; they are not spoofed.
    const wire = nic.capture(PF, 'wire');
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: WIRE, src: PORT })), 'sent');
    assert.equal(wire.frames[0].data.readUInt16BE(14) & 0xfff, 100, 'tagged 100 on the wire');
    // And VLAN 300 stays out, both ways.
    const tagged300 = { tags: [{ proto: '802.1Q' as const, vid: 300 }] };
    assert.equal(
      nic.sendFromVf(PF, 0, buildFrame({ dst: WIRE, src: PORT, ...tagged300 })),
      'spoofed',
    );
    assert.ok(!nic.sendFromWire(PF, buildFrame({ dst: PORT, src: WIRE, ...tagged300 })));

    // The flat VF still takes untagged frames, and now frames of VLAN 42 too.
    const flat = nic.capture(PF, 1);
    assert.ok(nic.sendFromWire(PF, buildFrame({ dst: FLAT, src: WIRE })), 'untagged delivered');
    const tagged42 = { tags: [{ proto: '802.1Q' as const, vid: 42 }] };
    assert.ok(nic.sendFromWire(PF, buildFrame({ dst: FLAT, src: WIRE, ...tagged42 })));
    assert.equal(flat.frames.length, 2);
    assert.equal(nic.sendFromVf(PF, 1, buildFrame({ dst: WIRE, src: FLAT })), 'sent');
  } finally {
    await d.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

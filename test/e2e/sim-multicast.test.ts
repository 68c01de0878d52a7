/**
 * A guest joins multicast groups through the sim NIC's mailbox: the daemon authorises the
 * list against the VF's policy (guestMulticast), the NIC fills the PF's multicast table, and
 * frames for the group then reach the VF.
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
const G1 = '01:00:5e:00:00:fb';
const G2 = '01:00:5e:00:00:fc';

test('sim: a mailbox multicast list within guestMulticast is joined; a longer one is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-mcast-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 1, totalVfs: 8 }], demoTraffic: false },
    daemon: { stateDir, driftIntervalMs: 60_000, statsIntervalMs: 60_000 },
    pfs: [{ pf: PF, numVfs: 2 }],
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  const policy = { name: 'tv', pf: PF, vf: 0, macs: ['02:00:00:00:00:0a'], guestMulticast: 1 };
  await writeFile(join(stateDir, 'vfs', 'tv.json'), JSON.stringify(policy));
  const driver = await createSimDriver({ config: MainConfig.parse(config), stateDir });
  await driver.start();
  const d = new Daemon({ configFile, driver, log: silentLogger() });
  const toGroup = (g: string) => buildFrame({ dst: g, src: '02:ee:00:00:00:01' });
  try {
    await d.start();
    const cap = driver.nic.capture(PF, 0);
    assert.equal(driver.nic.sendFromWire(PF, toGroup(G1)), false, 'nobody joined G1 yet');
    const ack = await driver.nic.guestRequest(PF, 0, { type: 'setMulticastList', groups: [G1] });
    assert.equal(ack.result, 'ack', ack.reason);
    const nack = await driver.nic.guestRequest(PF, 0, {
      type: 'setMulticastList',
      groups: [G1, G2],
    });
    assert.deepEqual(nack, {
      result: 'nack',
      reason:
        '2 multicast groups exceed the 1 that vf 0 (tv) on sim:nic0/0 may join (guestMulticast); join fewer or raise guestMulticast in the policy',
    });
    driver.nic.sendFromWire(PF, toGroup(G1));
    driver.nic.sendFromWire(PF, toGroup(G2));
    assert.deepEqual(
      cap.frames.map((f) => f.data.subarray(0, 6).toString('hex')),
      ['01005e0000fb'],
      'G1 arrives, G2 (refused) does not',
    );
  } finally {
    await d.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * The daemon in-process over the real sim driver: restart without writes, and drift repair
 * after the sim NIC is reset behind the daemon's back (a PF reset cannot be triggered
 * through the production API, on purpose).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { createSimDriver } from '../../src/drivers/sim/index.js';
import { MainConfig } from '../../src/model/index.js';
import { until } from '../daemon/harness.js';

test('sim: restart writes nothing; a PF reset is repaired; a guest mailbox ack survives', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-sim-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 2, totalVfs: 16 }], demoTraffic: false },
    daemon: { stateDir, driftIntervalMs: 60_000, statsIntervalMs: 60_000 },
    pfs: [
      { pf: 'sim:nic0/0', numVfs: 8 },
      { pf: 'sim:nic0/1', numVfs: 8 },
    ],
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  const vfs = [
    { name: 'a', pf: 'sim:nic0/0', vf: 0, vlans: [10], macs: ['02:00:00:00:00:0a'], guestMacs: 1 },
    { name: 'b', pf: 'sim:nic0/0', vf: 1, vlans: [10, 20], macs: ['02:00:00:00:00:0b'] },
    {
      name: 'c',
      pf: 'sim:nic0/1',
      vf: 3,
      untagged: true,
      macs: ['02:00:00:00:00:0c'],
      maxTxRate: 100,
    },
  ];
  for (const v of vfs) await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
  const driver = await createSimDriver({
    config: MainConfig.parse(config),
    stateDir: join(stateDir, 'driver'),
  });
  await driver.start();
  const make = () => new Daemon({ configFile, driver, log: silentLogger() });
  let d = make();
  try {
    await d.start();
    assert.ok(d.driver.writes > 0);
    assert.deepEqual(
      d.listVfs().map((v) => v.status.syncState),
      ['in-sync', 'in-sync', 'in-sync'],
    );
    const ack = await driver.nic.guestRequest('sim:nic0/0', 0, {
      type: 'setMac',
      mac: '02:00:00:00:00:aa',
    });
    assert.equal(ack.result, 'ack', ack.reason);
    await until(
      () => d.getVf('a').status.appliedRevision === d.getVf('a').revision,
      2000,
      'mailbox ack confirmed',
    );
    await d.stop();
    d = make();
    await d.start();
    assert.equal(d.driver.writes, 0, 'restart against an in-sync NIC made driver writes');
    assert.equal(d.getVf('a').observed?.mac, '02:00:00:00:00:aa');
    driver.nic.resetPf('sim:nic0/0');
    await until(
      () => d.getVf('a').status.repairs === 1 && d.getVf('b').status.repairs === 1,
      3000,
      'repair after PF reset',
    );
    assert.equal(d.getVf('a').observed?.mac, '02:00:00:00:00:aa', 'guest MAC re-applied too');
    assert.deepEqual(d.getVf('b').observed?.vlans, [10, 20]);
    assert.equal(d.getVf('c').status.repairs, 0);
  } finally {
    await d.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

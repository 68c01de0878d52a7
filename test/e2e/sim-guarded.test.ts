/**
 * Guarded trust in watch mode on the sim NIC: from the guest's side it behaves as on a
 * kernel NIC with the MAC guard — an allowed MAC is taken, another VF's or an unlisted one
 * is not — only the sim's mailbox asks nicvisor first, so a refused MAC is never on the NIC.
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

const PF = 'sim:nic0/0';
const RETH = '02:00:00:00:ee:01';

test('sim: guarded trust in watch mode takes an allowed MAC, refuses a held or unlisted one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-simg-'));
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
  const fw = (name: string, vf: number) => ({
    name,
    pf: PF,
    vf,
    macs: [`02:00:00:00:0${vf}:01`, RETH],
    trust: 'guarded',
    guardMode: 'watch',
  });
  for (const v of [fw('fw-a', 0), fw('fw-b', 1)])
    await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
  const driver = await createSimDriver({
    config: MainConfig.parse(config),
    stateDir: join(stateDir, 'driver'),
  });
  await driver.start();
  const d = new Daemon({ configFile, driver, log: silentLogger() });
  try {
    await d.start();
    const [pf] = await driver.observe({ pf: PF });
    assert.deepEqual([pf.vfs[0].settings.trust, pf.vfs[0].settings.macGuard], [true, true]);
    const ask = (vf: number, mac: string) =>
      driver.nic.guestRequest(PF, vf, { type: 'setMac', mac });
    assert.equal((await ask(0, RETH)).result, 'ack');
    const held = await ask(1, RETH);
    assert.equal(held.result, 'nack');
    assert.match(held.reason, /held by vf 0 \(fw-a\)/);
    const alien = await ask(1, '02:00:00:00:66:66');
    assert.match(alien.reason, /not in the allow-list of vf 1 \(fw-b\)/);
    const [after] = await driver.observe({ pf: PF });
    assert.deepEqual(
      after.vfs.map((v) => v.settings.mac),
      [RETH, '02:00:00:00:01:01'],
    );
    assert.equal(d.getVf('fw-a').guest.mac, RETH);
  } finally {
    await d.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

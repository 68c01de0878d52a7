/**
 * The daemon over the sim driver with a VF-LAG of the NIC's two switchdev ports: the LAG is
 * built at start, a VF's traffic spreads over both members, a pulled cable moves it all to
 * the other member with events, audit and metrics saying so, and a PF reset that dissolves
 * the LAG is repaired by the drift check.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { buildFrame } from '../../src/drivers/sim/build.js';
import { createSimDriver, ManualClock } from '../../src/drivers/sim/index.js';
import { type DaemonEvent, MainConfig } from '../../src/model/index.js';
import { until } from '../daemon/harness.js';

const P0 = 'sim:nic0/0';
const P1 = 'sim:nic0/1';
const A = '02:00:00:00:00:0a';
const GW = '02:ee:00:00:00:01';
const MS = 1e6;

function udpFrame(sport: number): Buffer {
  const ip = Buffer.alloc(46);
  ip[0] = 0x45;
  ip[9] = 17;
  ip.writeUInt32BE(0x0a000001, 12);
  ip.writeUInt32BE(0x0a000002, 16);
  ip.writeUInt16BE(sport, 20);
  ip.writeUInt16BE(53, 22);
  return buildFrame({ dst: GW, src: A, payload: ip });
}

test('daemon: a VF-LAG is built, fails over with events and metrics, and is rebuilt after a reset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-lag-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 2, totalVfs: 8 }] },
    daemon: { stateDir, driftIntervalMs: 60_000, statsIntervalMs: 60_000 },
    pfs: [
      { pf: P0, numVfs: 2, eswitchMode: 'switchdev', lag: 'bond0' },
      { pf: P1, numVfs: 2, eswitchMode: 'switchdev', lag: 'bond0' },
    ],
    lags: [
      {
        name: 'bond0',
        members: [P0, P1],
        mode: 'balance-xor',
        xmitHashPolicy: 'layer3+4',
        miimon: 10,
      },
    ],
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  await writeFile(
    join(stateDir, 'vfs', 'fw.json'),
    JSON.stringify({ name: 'fw', pf: P0, vf: 0, macs: [A], untagged: true }),
  );
  const clock = new ManualClock();
  const driver = await createSimDriver({ config: MainConfig.parse(config), stateDir }, { clock });
  await driver.start();
  const nic = driver.nic;
  const d = new Daemon({ configFile, driver, log: silentLogger() });
  const events: DaemonEvent[] = [];
  try {
    await d.start();
    d.bus.subscribe((e) => events.push(e));
    assert.deepEqual(
      d.listLags().map((l) => [l.name, l.inSync, l.observed?.members.map((m) => m.active)]),
      [['bond0', true, [true, true]]],
    );
    const wire = { [P0]: 0, [P1]: 0 };
    nic.onWire(P0, () => wire[P0]++);
    nic.onWire(P1, () => wire[P1]++);
    const send = (n: number) => {
      for (let i = 0; i < n; i++) {
        assert.notEqual(nic.sendFromVf(P0, 0, udpFrame(20000 + i)), 'filtered');
        clock.advance(MS / 10);
      }
    };
    send(64);
    assert.ok(wire[P0] > 0 && wire[P1] > 0, `traffic on both members: ${JSON.stringify(wire)}`);

    nic.setWireLink(P1, false);
    clock.advance(10 * MS);
    const before = { ...wire };
    send(64);
    assert.equal(wire[P1], before[P1], 'nothing leaves on the pulled member');
    assert.equal(wire[P0] - before[P0], 64, 'all traffic moved to the other member');
    // The daemon reads the NIC again after LAG events: the view catches up on its own.
    await until(() => d.listLags()[0].observed?.lastFailoverMs != null, 2000, 'failover in view');
    const [lag] = d.listLags();
    assert.equal(lag.observed?.failovers, 1);
    assert.equal(
      lag.observed?.lastFailoverMs,
      10,
      'cable pulled 6.4 ms in, noticed at the 10 ms tick, next frame at 16.4 ms',
    );
    const lagEvents = events.filter((e) => e.type === 'lag').map((e) => e.reason);
    assert.deepEqual(lagEvents.slice(0, 2), [
      `member ${P1} link down: traffic moves to ${P0}`,
      lagEvents[1],
    ]);
    assert.match(
      lagEvents[1],
      /^failover done: first frame on sim:nic0\/0 [\d.]+ ms after sim:nic0\/1 went down$/,
    );
    const audit = (await readFile(join(stateDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.action === 'lag.event');
    assert.equal(audit[0].target, 'bond0');
    assert.equal(audit[0].reason, `LAG bond0: member ${P1} link down: traffic moves to ${P0}`);
    const { text } = await d.metrics();
    assert.match(text, /nicvisor_lag_failovers_total\{lag="bond0",mode="balance-xor"\} 1/);
    assert.match(text, /nicvisor_lag_member_up\{lag="bond0",pf="sim:nic0\/1"\} 0/);
    assert.match(text, /nicvisor_lag_member_active\{lag="bond0",pf="sim:nic0\/0"\} 1/);

    // A PF reset takes the member out of the bond; the drift check builds the LAG again.
    nic.resetPf(P1);
    assert.equal(nic.lags.size, 0);
    await d.checkDrift('test');
    assert.equal(nic.lags.size, 1);
    await d.refreshStats();
    assert.equal(d.listLags()[0].inSync, true);
    assert.equal(d.listVfs()[0].status.syncState, 'in-sync');
  } finally {
    await d.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

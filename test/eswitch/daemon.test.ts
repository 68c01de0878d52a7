/**
 * The daemon over the sim driver with a PF in switchdev mode: the compiled rules are
 * installed at start, follow a policy change, a guest's acknowledged request and a delete,
 * are repaired when the NIC loses them, and `vfRules` shows them with live counters.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { buildFrame } from '../../src/drivers/sim/build.js';
import { createSimDriver } from '../../src/drivers/sim/index.js';
import { MainConfig, VfPolicy } from '../../src/model/index.js';
import { plan } from '../../src/policy/plan.js';
import { until } from '../daemon/harness.js';

const PF = 'sim:nic0/0';
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

test('daemon: a switchdev PF is programmed, kept and shown through its eswitch rules', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-eswitch-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 1, totalVfs: 8 }] },
    daemon: { stateDir, driftIntervalMs: 60_000, statsIntervalMs: 60_000 },
    pfs: [{ pf: PF, numVfs: 4, eswitchMode: 'switchdev' }],
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  const vfs = [
    { name: 'a', pf: PF, vf: 0, vlans: [10], macs: [A], guestMacs: 1 },
    { name: 'b', pf: PF, vf: 1, vlans: [10, 20], stripOuterTag: false, macs: [B] },
  ];
  for (const v of vfs) await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
  const driver = await createSimDriver({ config: MainConfig.parse(config), stateDir });
  await driver.start();
  const nic = driver.nic;
  const d = new Daemon({ configFile, driver, log: silentLogger() });
  const converged = async () => {
    const left = plan(d.reconciler.desired(), await driver.observe());
    return left.steps.length === 0 && (left.eswitch ?? []).length === 0;
  };
  try {
    await d.start();
    assert.deepEqual(
      d.listVfs().map((v) => v.status.syncState),
      ['in-sync', 'in-sync'],
    );
    assert.ok(await converged(), 'the installed rules are the compiled ones');
    const toB = nic.capture(PF, 1);
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: A })), 'sent');
    assert.equal(toB.frames[0].data.readUInt16BE(12), 0x8100, 'b takes VLAN 10 tagged');

    // A policy change: a moves to VLAN 20; its frames now reach b in VLAN 20.
    await d.putVf(VfPolicy.parse({ ...vfs[0], vlans: [20] }), 'test');
    assert.ok(await converged());
    nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: A }));
    assert.equal(toB.frames[1].data.readUInt16BE(14) & 0xfff, 20);

    // A MAC the guest adds, acknowledged, reaches the rules: it may send from it and gets
    // frames for it.
    const G = '02:00:00:00:00:aa';
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: G })), 'spoofed');
    const ack = await d.guestRequest('a', { type: 'addMac', mac: G }, 'test');
    assert.equal(ack.result, 'ack', ack.reason);
    await until(converged, 2000, 'rules after the ack');
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: G })), 'sent');
    const toA = nic.capture(PF, 0);
    nic.sendFromVf(PF, 1, buildFrame({ dst: G, src: B, tags: [{ vid: 20 }] }));
    assert.equal(toA.frames.length, 1);

    // Rules lost behind the daemon's back (a new VF count) are repaired by the drift check.
    await driver.apply({ steps: [{ kind: 'setNumVfs', pf: PF, from: 4, to: 0, reason: 't' }] });
    await d.checkDrift('test');
    assert.ok(await converged(), 'repaired');

    const shown = await d.vfRules('a');
    assert.equal(shown.eswitchMode, 'switchdev');
    assert.ok(shown.rules.length > 5);
    assert.ok(
      shown.rules.every((r) => r.port === 'vf0' || JSON.stringify(r.actions).includes('"vf0"')),
    );
    nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: A }));
    const again = await d.vfRules('a');
    const hits = (v: typeof shown) => v.rules.reduce((n, r) => n + r.packets, 0);
    assert.ok(hits(again) > hits(shown), 'live counters');

    // A deleted VF's port is isolated and nothing is sent to it any more.
    await d.deleteVf('b', 'test');
    assert.ok(await converged());
    const [pf] = await driver.observe({ pf: PF });
    const toVf1 = pf.eswitch!.rules.filter((r) => JSON.stringify(r.actions).includes('"vf1"'));
    assert.deepEqual(toVf1, []);
  } finally {
    await d.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

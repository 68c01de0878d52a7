// Runs inside the lab VM booted for netdevsim: a bond over two netdevsim PFs in switchdev
// mode, built by the linux driver through rtnetlink, read back from IFLA_BOND_* and
// IFLA_BOND_SLAVE_*, and failed over by taking the active member down (the kernel's own
// bonding selftests use netdevsim the same way). test/lab/vm/netdevsim.sh runs it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LinuxDriver } from '../../../src/drivers/linux/index.js';
import { type LagConfig, Lag as LagSchema, lagConfig } from '../../../src/model/index.js';
import { diffRules } from '../../../src/policy/eswitch/diff.js';
import { world } from '../../eswitch/kit.js';
import { newDriver, nextEvent, pfNetdev, sh, skipUnless, waitFor } from './helpers.js';

const A = 'netdevsim11';
const B = 'netdevsim12';
const skip = skipUnless('netdevsim');

function bondJson(): {
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
} {
  return JSON.parse(sh('ip -j -d link show nvbond0'))[0];
}

function slaveJson(dev: string): Record<string, unknown> {
  const l = JSON.parse(sh(`ip -j -d link show ${dev}`))[0];
  return l.linkinfo?.info_slave_data ?? {};
}

describe('linux driver: a LAG of two netdevsim PFs (kernel bond)', { skip }, () => {
  let driver: LinuxDriver;
  const dev: Record<string, string> = {};

  before(async () => {
    for (const [id, n] of [
      [A, 11],
      [B, 12],
    ] as const) {
      sh(`echo "${n} 1" > /sys/bus/netdevsim/new_device`);
      await waitFor(
        () => sh(`ls /sys/bus/netdevsim/devices/${id}/net 2>/dev/null || true`).trim() !== '',
        5000,
        `${id} netdev`,
      );
      sh(`devlink dev eswitch set netdevsim/${id} mode switchdev`);
      dev[id] = pfNetdev(`/sys/bus/netdevsim/devices/${id}`);
      sh(`ip link set ${dev[id]} up`);
    }
    driver = newDriver();
    await driver.start();
  });
  after(async () => {
    await driver?.stop();
    sh('ip link del nvbond0 2>/dev/null || true');
    sh('echo 11 > /sys/bus/netdevsim/del_device; echo 12 > /sys/bus/netdevsim/del_device');
  });

  const config = (extra: Partial<LagConfig> = {}): LagConfig => ({
    ...lagConfig(LagSchema.parse({ name: 'nvbond0', members: [A, B], vfLag: false, miimon: 50 })),
    ...extra,
  });

  it('builds an active-backup bond with a primary, and reads it back as configured', async () => {
    const want = config({ primary: A });
    const r = await driver.apply({
      steps: [{ kind: 'setLag', pf: A, lag: 'nvbond0', from: null, to: want, reason: 'lab' }],
    });
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['done'],
      JSON.stringify(r.outcomes),
    );
    const info = bondJson().linkinfo;
    assert.equal(info?.info_kind, 'bond');
    assert.equal(info?.info_data?.mode, 'active-backup');
    assert.equal(info?.info_data?.miimon, 50);
    assert.equal(info?.info_data?.primary, dev[A]);
    assert.equal(
      sh(`cat /sys/class/net/${dev[A]}/master/ifindex`).trim(),
      sh('cat /sys/class/net/nvbond0/ifindex').trim(),
    );
    await waitFor(() => slaveJson(dev[A]).state === 'ACTIVE', 5000, `${dev[A]} active`);
    const observed = await driver.observe({ stats: true });
    const lag = observed.find((p) => p.id === A)?.lag;
    assert.ok(lag, 'the member reports its LAG');
    assert.deepEqual(lag.config, want);
    assert.deepEqual(
      lag.status.members.map((m) => [m.pf, m.linkUp, m.active]),
      [
        [A, true, true],
        [B, true, false],
      ],
    );
    assert.equal(observed.find((p) => p.id === B)?.lag?.config.name, 'nvbond0');
  });

  it('fails over when the active member goes down: read from netlink, reported as an event', async () => {
    const t0 = performance.now();
    const ev = nextEvent(
      driver,
      (e) => e.type === 'lag' && e.reason.startsWith(`member ${A} link down`),
      5000,
    );
    sh(`ip link set ${dev[A]} down`);
    const e = await ev;
    await waitFor(() => slaveJson(dev[B]).state === 'ACTIVE', 5000, `${dev[B]} active`);
    const ms = performance.now() - t0;
    assert.equal(e.type === 'lag' && e.lag, 'nvbond0');
    const lag = (await driver.observe()).find((p) => p.id === A)?.lag;
    assert.deepEqual(
      lag?.status.members.map((m) => [m.pf, m.linkUp, m.active]),
      [
        [A, false, false],
        [B, true, true],
      ],
    );
    assert.equal(lag?.status.members[0].linkFailures, 1);
    assert.equal(lag?.status.failovers, 1);
    console.log(
      `# netdevsim bond: member down → other member active and reported in ${ms.toFixed(0)} ms (miimon 50)`,
    );
    sh(`ip link set ${dev[A]} up`);
    // With a primary the bond goes back to it once its link is seen up again.
    await waitFor(() => slaveJson(dev[A]).state === 'ACTIVE', 5000, `${dev[A]} active again`);
  });

  it('changes the mode by rebuilding the bond, and removes it', async () => {
    const before = config({ primary: A });
    const want = config({ mode: 'balance-xor', xmitHashPolicy: 'layer3+4' });
    const r = await driver.apply({
      steps: [{ kind: 'setLag', pf: A, lag: 'nvbond0', from: before, to: want, reason: 'lab' }],
    });
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['done'],
      JSON.stringify(r.outcomes),
    );
    assert.equal(bondJson().linkinfo?.info_data?.xmit_hash_policy, 'layer3+4');
    assert.deepEqual((await driver.observe()).find((p) => p.id === A)?.lag?.config, want);
    const gone = await driver.apply({
      steps: [{ kind: 'setLag', pf: A, lag: 'nvbond0', from: want, to: null, reason: 'lab' }],
    });
    assert.deepEqual(
      gone.outcomes.map((o) => o.status),
      ['done'],
    );
    assert.equal(sh('ip link show nvbond0 2>&1 || true').includes('does not exist'), true);
    assert.equal((await driver.observe()).find((p) => p.id === A)?.lag, undefined);
  });

  it('hardware VF-LAG: the members’ uplink rules go on the bond, and back when it goes', async () => {
    const want = config({ vfLag: true });
    const r = await driver.apply({
      steps: [{ kind: 'setLag', pf: A, lag: 'nvbond0', from: null, to: want, reason: 'lab' }],
    });
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['done'],
      JSON.stringify(r.outcomes),
    );
    // What the reconciler installs for a switchdev PF without VFs: its uplink rules.
    const rules = world([], { numVfs: 0 }).rules;
    const eswitch = [A, B].map((pf) => ({ ...diffRules([], { ...rules, pf }), pf }));
    const on = await driver.apply({ steps: [], eswitch });
    assert.deepEqual(
      on.eswitch?.map((o) => o.status),
      ['done', 'done'],
      JSON.stringify(on.eswitch),
    );
    const chains = (JSON.parse(sh('tc -j filter show dev nvbond0 ingress')) as { chain?: number }[])
      .filter((f) => 'options' in f)
      .map((f) => f.chain ?? 0);
    assert.ok(chains.some((c) => c < 0x10000) && chains.some((c) => c >= 0x10000), `${chains}`);
    assert.ok(
      !sh(`tc filter show dev ${dev[A]} ingress 2>&1 || true`).includes('flower'),
      'nothing on the member',
    );
    const seen = await driver.observe();
    assert.equal(seen.find((p) => p.id === A)?.lag?.config.vfLag, true);
    assert.equal(seen.find((p) => p.id === A)?.eswitch?.rules.length, rules.rules.length);
    // The LAG goes: the rules are stale (the uplink is the PF netdev again) until re-applied.
    await driver.apply({
      steps: [{ kind: 'setLag', pf: A, lag: 'nvbond0', from: want, to: null, reason: 'lab' }],
    });
    const stale = await driver.observe();
    assert.equal(stale.find((p) => p.id === A)?.eswitch?.rules.length, 0);
    const back = await driver.apply({
      steps: [],
      eswitch: [{ ...diffRules([], { ...rules, pf: A }), pf: A }],
    });
    assert.equal(back.eswitch?.[0].status, 'done', JSON.stringify(back.eswitch));
    assert.ok(sh(`tc filter show dev ${dev[A]} ingress`).includes('flower'));
  });
});

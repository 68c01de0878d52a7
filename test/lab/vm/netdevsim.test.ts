// Runs inside the lab VM against netdevsim (a real kernel, real rtnetlink, real sysfs):
// test/lab/vm/netdevsim.sh creates netdevsim10 with max_vfs 64 and no VFs, then runs this.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LinuxDriver } from '../../../src/drivers/linux/index.js';
import { Rtnl } from '../../../src/drivers/linux/rtnl.js';
import type { PlanStep, VfPolicyInput } from '../../../src/model/index.js';
import {
  config,
  ipVfs,
  ipVlan,
  newDriver,
  nextEvent,
  pfNetdev,
  policies,
  reconcile,
  sh,
  skipUnless,
} from './helpers.js';

const PF = 'netdevsim10';
const DEV = '/sys/bus/netdevsim/devices/netdevsim10';
const DBG = '/sys/kernel/debug/netdevsim/netdevsim10';
const skip = skipUnless('netdevsim');

function vfPolicy(vf: number, extra: Partial<VfPolicyInput> = {}): VfPolicyInput {
  const hex = vf.toString(16).padStart(2, '0');
  return {
    name: `vm-${vf}`,
    pf: PF,
    vf,
    macs: [`02:00:00:00:01:${hex}`],
    vlans: [100 + vf],
    vlanQoS: vf % 8,
    vlanProto: vf % 2 ? '802.1ad' : '802.1Q',
    trust: vf % 3 === 0,
    linkState: (['auto', 'enable', 'disable'] as const)[vf % 3],
    minTxRate: 10,
    maxTxRate: 100 + vf,
    ...extra,
  };
}

const cfg8 = config([{ pf: PF, numVfs: 8 }]);
const pols8 = policies([0, 1, 2, 3, 4, 5, 6].map((i) => vfPolicy(i)));

describe('linux driver on netdevsim', { skip }, () => {
  let driver: LinuxDriver;
  let netdev: string;

  before(async () => {
    driver = newDriver();
    driver.onEvent((e) => console.log(`# event ${e.type} ${e.pf}: ${e.reason}`));
    await driver.start();
    netdev = pfNetdev(DEV);
  });
  after(async () => {
    await driver.stop();
  });

  it('discovers the PF with netdevsim capabilities', async () => {
    const pfs = await driver.discover();
    const pf = pfs.find((p) => p.id === PF);
    assert.ok(pf, `found ${pfs.map((p) => p.id).join(',')}`);
    assert.equal(pf.netdev, netdev);
    assert.equal(pf.totalVfs, 64, 'debugfs max_vfs');
    assert.deepEqual(pf.capabilities.eswitchModes, ['legacy', 'switchdev']);
    assert.deepEqual(pf.capabilities.vlanProtos, ['802.1Q', '802.1ad']);
    assert.equal(pf.capabilities.mailbox, false);
    assert.equal(pf.capabilities.unsupportedVfFields.linkState, undefined);
  });

  it('creates the VFs and applies a policy; `ip -json` reads back the same', async () => {
    const outcomes = await reconcile(driver, cfg8, pols8);
    assert.deepEqual(
      outcomes.filter((o) => o.status !== 'done'),
      [],
    );
    const vfs = ipVfs(netdev);
    assert.equal(vfs.length, 8);
    for (const p of pols8) {
      const v = vfs[p.vf];
      assert.equal(v.address, p.macs[0]);
      assert.deepEqual(ipVlan(v), { vlan: p.vlans[0], qos: p.vlanQoS, proto: p.vlanProto });
      assert.equal(v.spoofchk, true);
      assert.equal(v.trust, p.trust);
      assert.equal(v.link_state, p.linkState);
      assert.deepEqual(v.rate, { max_tx: p.maxTxRate, min_tx: p.minTxRate });
    }
    // Nothing left to do: observe() reports exactly what the policy asked for.
    assert.deepEqual(await reconcile(driver, cfg8, pols8), []);
  });

  it('repairs a VF changed with `ip link` behind its back', async () => {
    const t0 = Date.now();
    const ev = nextEvent(driver, (e) => e.pf === PF, 5000);
    sh(`ip link set ${netdev} vf 3 trust off vlan 0`);
    await ev;
    await reconcile(driver, cfg8, pols8);
    const ms = Date.now() - t0;
    const v = ipVfs(netdev)[3];
    assert.equal(v.trust, true);
    assert.equal(ipVlan(v).vlan, 103);
    // Printed, not asserted (TCG on a shared host); bench/linux.ts measures the mechanism.
    console.log(`# drift (ip link set vf 3) detected and repaired in ${ms} ms`);
  });

  it('keeps VF settings over sriov_numvfs 0→8 (netdevsim does, unlike real NICs)', async () => {
    // netdevsim sizes its VF config table by debugfs max_vfs and keeps it while VFs come
    // and go; measured on 6.1. Real PF drivers (igb below) lose it.
    sh(`echo 0 > ${DEV}/sriov_numvfs; echo 8 > ${DEV}/sriov_numvfs`);
    const vfs = ipVfs(netdev);
    for (const p of pols8) assert.equal(vfs[p.vf].address, p.macs[0]);
  });

  it('repairs every VF after a reset behind its back', async () => {
    const t0 = Date.now();
    const ev = nextEvent(driver, (e) => e.pf === PF, 5000);
    // Rewriting max_vfs (allowed with no VFs) reallocates netdevsim's VF table: a reset.
    sh(`echo 0 > ${DEV}/sriov_numvfs; echo 64 > ${DBG}/max_vfs; echo 8 > ${DEV}/sriov_numvfs`);
    const e = await ev;
    await reconcile(driver, cfg8, pols8);
    const ms = Date.now() - t0;
    const vfs = ipVfs(netdev);
    for (const p of pols8) assert.equal(vfs[p.vf].address, p.macs[0]);
    console.log(`# PF reset (${e.type}: ${e.reason}) repaired in ${ms} ms`);
  });

  it('refuses what the kernel cannot do, naming field, PF and driver', async () => {
    const pols = policies([vfPolicy(0, { allowBroadcast: false })]);
    const r = await reconcile(driver, cfg8, pols);
    const bad = r.find((o) => o.status === 'failed');
    assert.ok(bad && bad.status === 'failed');
    assert.match(
      bad.error,
      /netdevsim10 vf 0: driver linux\/netdevsim does not support allowBroadcast = false: the kernel has no per-VF broadcast switch/,
    );
    const mirror = await driver.apply({
      steps: [
        {
          kind: 'setMirror',
          pf: PF,
          vf: 0,
          name: 'lab',
          from: null,
          to: { targetVf: 1, direction: 'all' },
          reason: 'lab',
        },
      ],
    });
    const o = mirror.outcomes[0];
    assert.equal(o.status, 'failed');
    assert.match(o.status === 'failed' ? o.error : '', /does not support mirror/);
  });

  it("passes the kernel's refusal and extack text through", async () => {
    const mtu: PlanStep = {
      kind: 'setPf',
      pf: PF,
      field: 'mtu',
      from: 1500,
      to: 70000,
      reason: 'test',
    };
    const r = await driver.apply({ steps: [mtu] });
    const o = r.outcomes[0];
    assert.equal(o.status, 'failed');
    assert.match(
      o.status === 'failed' ? o.error : '',
      /mtu 70000`: invalid argument \(EINVAL\): kernel says "mtu greater than device maximum"; allowed 68-9216/,
    );
    console.log(`# ${o.status === 'failed' ? o.error : ''}`);
    // Values the kernel refuses with a bare EINVAL, straight through the transport…
    const rtnl = new Rtnl();
    await rtnl.open();
    try {
      const ifindex = Number(sh(`cat /sys/class/net/${netdev}/ifindex`));
      const acks = await rtnl.setVfs([
        { ifindex, change: { vf: 1, vlan: { vlan: 10, qos: 8 } } },
        { ifindex, change: { vf: 2, mac: '03:00:00:00:00:01' } },
        { ifindex, change: { vf: 9999, trust: true } },
      ]);
      assert.deepEqual(
        acks.map((a) => a.errno),
        [22, 22, 22],
      );
    } finally {
      await rtnl.close();
    }
  });

  it('catches those values before the kernel, naming the range, and skips the rest of the VF', async () => {
    const step = (
      vf: number,
      field: 'vlanQoS' | 'mac' | 'trust' | 'vlans',
      to: unknown,
    ): PlanStep => ({
      kind: 'setVf',
      pf: PF,
      vf,
      name: `vm-${vf}`,
      field,
      from: undefined,
      to: to as never,
      reason: 'test',
    });
    const r = await driver.apply({
      steps: [
        step(1, 'vlanQoS', 8),
        step(2, 'mac', '03:00:00:00:00:01'),
        step(2, 'trust', true),
        step(4, 'vlans', [5000]),
      ],
    });
    const errors = r.outcomes.map((o) =>
      o.status === 'done' ? 'done' : `${o.status}: ${o.error}`,
    );
    for (const e of errors) console.log(`# ${e}`);
    assert.match(errors[0], /^failed: PF netdevsim10 vf 1: vlanQoS 8 is out of range 0-7/);
    assert.match(
      errors[1],
      /^failed: PF netdevsim10 vf 2: mac 03:00:00:00:00:01 is not a unicast MAC/,
    );
    assert.match(errors[2], /^skipped: an earlier step of vf 2 failed/);
    assert.match(errors[3], /^failed: PF netdevsim10 vf 4: vlan 5000 is out of range 1-4094/);
  });

  it('restores the settings a VF had before nicvisor took it over', async () => {
    sh(
      `ip link set ${netdev} vf 7 mac 02:77:77:77:77:77 vlan 77 qos 7 trust on spoofchk off state disable`,
    );
    const pols = policies([...pols8.map((p) => ({ ...p })), vfPolicy(7)]);
    await reconcile(driver, cfg8, pols);
    assert.equal(ipVfs(netdev)[7].address, '02:00:00:00:01:07');
    await driver.release(PF, 7);
    const v = ipVfs(netdev)[7];
    assert.equal(v.address, '02:77:77:77:77:77');
    assert.deepEqual(ipVlan(v), { vlan: 77, qos: 7, proto: '802.1Q' });
    assert.equal(v.trust, true);
    assert.equal(v.spoofchk, false);
    assert.equal(v.link_state, 'disable');
  });

  it('switches the eswitch to switchdev, finds the representors, and back', async () => {
    const cfg = config([{ pf: PF, numVfs: 8, eswitchMode: 'switchdev' }]);
    await reconcile(driver, cfg, []);
    const ports = await driver.representors(PF);
    const reps = ports?.vfs ?? [];
    assert.equal(reps.length, 8);
    assert.deepEqual(
      reps.map((r) => r.vf),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.ok(reps.every((r) => r.netdev && r.via === 'devlink' && r.switchId === ports?.switchId));
    assert.equal(ports?.uplink, netdev, 'the PF netdev is the uplink (devlink flavour physical)');
    assert.equal((await driver.observe({ pf: PF }))[0].eswitchMode, 'switchdev');
    await reconcile(driver, cfg8, []);
    assert.equal((await driver.observe({ pf: PF }))[0].eswitchMode, 'legacy');
  });

  it('manages 64 VFs and reads their config and counters', async () => {
    const cfg = config([{ pf: PF, numVfs: 64 }]);
    const pols = policies(Array.from({ length: 64 }, (_, i) => vfPolicy(i)));
    const r = await reconcile(driver, cfg, pols);
    assert.deepEqual(
      r.filter((o) => o.status !== 'done'),
      [],
    );
    const vfs = ipVfs(netdev);
    assert.equal(vfs.length, 64);
    assert.equal(vfs[63].address, '02:00:00:00:01:3f');
    const [observed] = await driver.observe({ pf: PF, stats: true });
    assert.equal(observed.vfs.length, 64);
  });

  it('refuses a VF count above the device limit with the range and fix', async () => {
    const r = await driver.apply({
      steps: [{ kind: 'setNumVfs', pf: PF, from: 64, to: 65, reason: 'test' }],
    });
    const o = r.outcomes[0];
    assert.equal(o.status, 'failed');
    assert.match(
      o.status === 'failed' ? o.error : '',
      /numVfs 65 is above the device limit; allowed 0-64/,
    );
  });
});

// Runs inside the lab VM booted with --igb (QEMU's emulated Intel 82576 with the real igb
// and igbvf drivers): test/lab/vm/igb.sh loads the drivers and runs this.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LinuxDriver } from '../../../src/drivers/linux/index.js';
import { Rtnl } from '../../../src/drivers/linux/rtnl.js';
import type { VfPolicyInput } from '../../../src/model/index.js';
import {
  config,
  IGB_NETDEV,
  ipVfs,
  ipVlan,
  newDriver,
  nextEvent,
  policies,
  reconcile,
  sh,
  skipUnless,
  waitFor,
} from './helpers.js';

const skip = skipUnless('igb');
const NETDEV = IGB_NETDEV;

function ping(ns: string, addr: string): boolean {
  try {
    sh(`ip netns exec ${ns} busybox ping -c 2 -W 2 ${addr} >/dev/null 2>&1`);
    return true;
  } catch {
    return false;
  }
}

describe('linux driver on igb (emulated 82576)', { skip }, () => {
  let driver: LinuxDriver;
  let pf: string;
  const vf0: VfPolicyInput = {
    name: 'web-0',
    pf: '',
    vf: 0,
    macs: ['02:00:00:00:00:10'],
    vlans: [100],
    vlanQoS: 3,
    maxTxRate: 100,
  };
  const vf1: VfPolicyInput = {
    name: 'db-1',
    pf: '',
    vf: 1,
    macs: ['02:00:00:00:00:11'],
    trust: true,
  };
  let cfg = config([]);
  let pols = policies([]);

  before(async () => {
    driver = newDriver();
    driver.onEvent((e) => console.log(`# event ${e.type} ${e.pf}: ${e.reason}`));
    await driver.start();
  });
  after(async () => {
    await driver.stop();
  });

  it('discovers the PF with what igb can and cannot do', async () => {
    const found = (await driver.discover()).find((p) => p.netdev === NETDEV);
    assert.ok(found);
    pf = found.id;
    assert.match(pf, /^0000:/);
    const c = found.capabilities;
    assert.equal(c.driver, 'linux/igb');
    assert.equal(c.totalVfs, 7);
    assert.deepEqual(c.vlanProtos, ['802.1Q']);
    assert.deepEqual(c.eswitchModes, ['legacy']);
    assert.ok(c.unsupportedVfFields.linkState && c.unsupportedVfFields.minTxRate);
    cfg = config([{ pf, numVfs: 2 }]);
    pols = policies([
      { ...vf0, pf },
      { ...vf1, pf },
    ]);
  });

  it('creates 2 VFs and applies the policy; `ip -json` reads back the same', async () => {
    const r = await reconcile(driver, cfg, pols);
    assert.deepEqual(
      r.filter((o) => o.status !== 'done'),
      [],
    );
    const vfs = ipVfs(NETDEV);
    assert.equal(vfs.length, 2);
    assert.equal(vfs[0].address, '02:00:00:00:00:10');
    assert.deepEqual(ipVlan(vfs[0]), { vlan: 100, qos: 3, proto: '802.1Q' });
    assert.equal(vfs[0].rate.max_tx, 100);
    assert.equal(
      vfs[0].spoofchk,
      true,
      'anti-spoof read back (QEMU does not emulate it on frames)',
    );
    assert.equal(vfs[1].trust, true);
    assert.deepEqual(await reconcile(driver, cfg, pols), []);
  });

  it('the capability table matches what the igb driver refuses', async () => {
    const rtnl = new Rtnl();
    await rtnl.open();
    try {
      const ifindex = Number(sh(`cat /sys/class/net/${NETDEV}/ifindex`));
      const [state, proto, min] = await rtnl.setVfs([
        { ifindex, change: { vf: 1, linkState: 'disable' } },
        { ifindex, change: { vf: 1, vlan: { vlan: 5, qos: 0, proto: '802.1ad' } } },
        { ifindex, change: { vf: 1, rate: { min: 10, max: 100 } } },
      ]);
      assert.equal(state.errno, 95, 'EOPNOTSUPP');
      assert.equal(proto.errno, 93, 'EPROTONOSUPPORT');
      assert.equal(min.errno, 22, 'EINVAL');
    } finally {
      await rtnl.close();
    }
  });

  it('refuses a policy needing those, naming field, PF and driver', async () => {
    const bad = policies([
      { ...vf0, pf },
      { ...vf1, pf, vlans: [7], vlanProto: '802.1ad' },
    ]);
    const r = await reconcile(driver, cfg, bad);
    const f = r.find((o) => o.status === 'failed');
    assert.ok(f && f.status === 'failed');
    assert.match(
      f.error,
      /vf 1: driver linux\/igb does not support vlanProto = "802.1ad": igb refuses `vlan … proto 802.1ad` \(EPROTONOSUPPORT\)/,
    );
    await reconcile(driver, cfg, pols);
  });

  it('the policy VLAN is enforced on frames between a VF and the PF', async () => {
    const vfPci = sh(`basename $(readlink /sys/class/net/${NETDEV}/device/virtfn0)`).trim();
    // igb applies a PF-set MAC in the VF only after the VF driver reloads (lab README).
    sh(
      `echo ${vfPci} > /sys/bus/pci/drivers/igbvf/unbind; echo ${vfPci} > /sys/bus/pci/drivers/igbvf/bind`,
    );
    await waitFor(
      () => sh(`ls /sys/bus/pci/devices/${vfPci}/net 2>/dev/null || true`).trim() !== '',
      5000,
      'VF netdev',
    );
    const vfDev = sh(`ls /sys/bus/pci/devices/${vfPci}/net`).trim();
    sh('ip netns add a');
    sh(`ip link set ${vfDev} netns a`);
    assert.match(sh(`ip -n a link show ${vfDev}`), /02:00:00:00:00:10/);
    sh(`ip link set ${NETDEV} up; ip addr add 192.168.77.1/24 dev ${NETDEV}`);
    sh(`ip link add link ${NETDEV} name ${NETDEV}.100 type vlan id 100`);
    sh(`ip addr add 192.168.78.1/24 dev ${NETDEV}.100; ip link set ${NETDEV}.100 up`);
    sh(
      `ip -n a addr add 192.168.78.2/24 dev ${vfDev}; ip -n a addr add 192.168.77.2/24 dev ${vfDev}`,
    );
    sh(`ip -n a link set ${vfDev} up; ip -n a link set lo up`);
    await waitFor(() => ping('a', '192.168.78.1'), 15000, 'ping over VLAN 100');
    assert.equal(ping('a', '192.168.77.1'), false, 'untagged PF address must not be reachable');
    // Move the VF to VLAN 200 through the driver: VLAN 100 goes dark.
    const moved = policies([
      { ...vf0, pf, vlans: [200] },
      { ...vf1, pf },
    ]);
    await reconcile(driver, cfg, moved);
    assert.equal(ping('a', '192.168.78.1'), false, 'VLAN 100 must be unreachable after the change');
    await reconcile(driver, cfg, pols);
    await waitFor(() => ping('a', '192.168.78.1'), 15000, 'ping over VLAN 100 again');
    console.log('# frames: VF0 reaches the PF only through VLAN 100, as the policy says');
  });

  it('repairs a VF changed with `ip link` behind its back (the link notification, not a poll)', async () => {
    const t0 = Date.now();
    const ev = nextEvent(driver, (e) => e.pf === pf, 5000);
    sh(`ip link set ${NETDEV} vf 0 vlan 0`);
    await ev;
    await reconcile(driver, cfg, pols);
    const ms = Date.now() - t0;
    assert.equal(ipVlan(ipVfs(NETDEV)[0]).vlan, 100);
    // The time is printed, not asserted: under TCG it has gone from 0.5 s to 2.6 s with the
    // host's load (the wait for the event bounds a hang; its 5 s is far past the 200 ms poll).
    console.log(`# drift (ip link set vf 0 vlan 0) repaired in ${ms} ms`);
  });

  it('recreates the VFs and their settings after the igb driver is reloaded', async () => {
    const t0 = Date.now();
    const ev = nextEvent(driver, (e) => e.pf === pf && e.type === 'pfReset', 5000);
    sh(`echo ${pf} > /sys/bus/pci/drivers/igb/unbind; echo ${pf} > /sys/bus/pci/drivers/igb/bind`);
    const e = await ev;
    const tEvent = Date.now() - t0;
    await waitFor(() => sh('ls /sys/class/net').includes(NETDEV), 5000, 'PF netdev back');
    // Right after the reload the PF link is down and igb refuses any VF rate then: the
    // error says so. The host's network config brings the link up; then repair completes.
    const early = await reconcile(driver, cfg, pols);
    const rate = early.find((o) => o.status === 'failed');
    if (rate?.status === 'failed') {
      assert.match(
        rate.error,
        /max_tx_rate 100` refused: invalid argument \(EINVAL\).*the PF's link is down/,
      );
      console.log(`# while the PF link is down: ${rate.error}`);
    }
    sh(`ip link set ${NETDEV} up`);
    await waitFor(
      () => sh(`cat /sys/class/net/${NETDEV}/carrier 2>/dev/null || echo 0`).trim() === '1',
      10000,
      'PF carrier',
    );
    const r = await reconcile(driver, cfg, pols);
    const ms = Date.now() - t0;
    assert.deepEqual(
      r.filter((o) => o.status !== 'done'),
      [],
    );
    const vfs = ipVfs(NETDEV);
    assert.equal(vfs.length, 2);
    assert.equal(vfs[0].address, '02:00:00:00:00:10');
    assert.equal(ipVlan(vfs[0]).vlan, 100);
    assert.equal(vfs[1].trust, true);
    console.log(
      `# igb unbind/bind: ${e.reason}; event after ${tEvent} ms, VFs recreated and configured after ${ms} ms (sriov_numvfs write alone ~1.1 s here)`,
    );
  });

  it('restores the settings a VF had before nicvisor took it over', async () => {
    await driver.release(pf, 1);
    const v = ipVfs(NETDEV)[1];
    assert.equal(v.address, '00:00:00:00:00:00');
    assert.equal(v.trust, false);
  });
});

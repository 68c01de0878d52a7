// The whole daemon (store, reconciler, drift loop) over the linux driver, inside the lab VM
// against netdevsim: policy files in, VFs programmed, repaired after `ip link` behind its
// back by the daemon's own loop, restored when the policy is deleted.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import { ipVfs, ipVlan, pfNetdev, sh, skipUnless } from './helpers.js';

const PF = 'netdevsim10';
const DEV = '/sys/bus/netdevsim/devices/netdevsim10';

async function until(fn: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

describe('the daemon over the linux driver (netdevsim)', { skip: skipUnless('netdevsim') }, () => {
  let dir: string;
  let daemon: Daemon;
  let netdev: string;

  before(async () => {
    netdev = pfNetdev(DEV);
    // No VFs, and a fresh VF table (netdevsim keeps VF settings until max_vfs is rewritten).
    sh(`echo 0 > ${DEV}/sriov_numvfs; echo 64 > /sys/kernel/debug/netdevsim/${PF}/max_vfs`);
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-daemon-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    const configFile = join(dir, 'nicvisor.json');
    await writeFile(
      configFile,
      JSON.stringify({
        driver: 'linux',
        // The daemon's own drift loop is slow here on purpose: a repair within the test's
        // wait can only come from the driver's events (link notifications + 1 s poll).
        daemon: { stateDir, driftIntervalMs: 60000, statsIntervalMs: 1000 },
        pfs: [{ pf: PF, numVfs: 4 }],
      }),
    );
    const vfs = [
      { name: 'web-0', pf: PF, vf: 0, vlans: [100], vlanQoS: 2, macs: ['02:00:00:00:0d:00'] },
      { name: 'db-1', pf: PF, vf: 1, vlans: [200], macs: ['02:00:00:00:0d:01'], trust: true },
    ];
    for (const v of vfs)
      await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
  });
  after(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the VFs and programs both policies', async () => {
    await until(
      () => daemon.listVfs().every((v) => v.status.syncState === 'in-sync'),
      10000,
      'in-sync',
    );
    const vfs = ipVfs(netdev);
    assert.equal(vfs.length, 4);
    assert.equal(vfs[0].address, '02:00:00:00:0d:00');
    assert.deepEqual(ipVlan(vfs[0]), { vlan: 100, qos: 2, proto: '802.1Q' });
    assert.equal(vfs[0].spoofchk, true);
    assert.equal(vfs[1].trust, true);
  });

  // The 2 s goal is measured and printed, not asserted: under TCG, with other test files on
  // the same 2 cores, a tight bound would only make CI flaky (the driver-level tests assert
  // the driver's own detection time).
  it('repairs `ip link set` behind its back from the driver drift events', async () => {
    sh(`ip link set ${netdev} vf 1 vlan 0 trust off`);
    const ms = await until(
      () => {
        const v = ipVfs(netdev)[1];
        return v.trust && ipVlan(v).vlan === 200;
      },
      // 1.3 s in a boot of its own; on CI it once passed 10 s while the host's tests shared the
      // 2 cores with the VM. The time is printed below (goal 2 s), the test checks the repair.
      30000,
      'repair',
    );
    console.log(`# daemon repaired vf 1 in ${ms} ms (goal 2 s)`);
  });

  it('gives the VF back as it was when its policy is deleted', async () => {
    await daemon.deleteVf('db-1', 'test');
    const v = ipVfs(netdev)[1];
    assert.equal(v.address, '00:00:00:00:00:00');
    assert.equal(v.trust, false);
    assert.equal(ipVlan(v).vlan, 0);
  });
});

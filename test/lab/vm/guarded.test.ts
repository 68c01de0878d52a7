// The vSRX chassis-cluster case on a kernel-driven NIC (netdevsim; the linux driver offers
// one MAC filter per VF): each firewall's VF lists the RETH MAC beside its own, with trust
// "guarded". The active node's VF takes the RETH MAC through the API; the standby's request
// is refused while the active holds it, and granted once the active gives it back — each
// switch programmed into the kernel. test/lab/vm/netdevsim.sh runs it.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import { ipVfs, pfNetdev, sh, skipUnless, waitFor } from './helpers.js';

const PF = 'netdevsim13';
const DEV = `/sys/bus/netdevsim/devices/${PF}`;
const RETH = '02:00:00:00:ee:01';
const OWN_A = '02:00:00:00:0a:01';
const OWN_B = '02:00:00:00:0b:01';

describe('guarded trust on the linux driver: the vSRX RETH MAC', {
  skip: skipUnless('netdevsim'),
}, () => {
  let dir: string;
  let daemon: Daemon;
  let netdev: string;
  const fw = (name: string, vf: number, own: string, trust: boolean | 'guarded') => ({
    name,
    pf: PF,
    vf,
    macs: [own, RETH],
    trust,
  });

  before(async () => {
    sh('echo "13 1" > /sys/bus/netdevsim/new_device');
    await waitFor(() => sh(`ls ${DEV}/net 2>/dev/null || true`).trim() !== '', 5000, 'netdev');
    sh(`echo 8 > /sys/kernel/debug/netdevsim/${PF}/max_vfs`);
    netdev = pfNetdev(DEV);
    sh(`ip link set ${netdev} up`);
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-guarded-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    const configFile = join(dir, 'nicvisor.json');
    await writeFile(
      configFile,
      JSON.stringify({
        driver: 'linux',
        daemon: { stateDir, driftIntervalMs: 60000, statsIntervalMs: 60000 },
        pfs: [{ pf: PF, numVfs: 2 }],
      }),
    );
    for (const v of [fw('fw-a', 0, OWN_A, 'guarded'), fw('fw-b', 1, OWN_B, 'guarded')])
      await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
  });
  after(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
    sh('echo 13 > /sys/bus/netdevsim/del_device');
  });

  it('accepts two MACs on a 1-filter NIC only as guarded (one at a time)', () => {
    const plain = daemon.validate({ vfs: [fw('fw-a', 0, OWN_A, false)], delete: [] });
    assert.match(
      plain.problems.map((p) => p.message).join('\n'),
      /2 MACs \+ guestMacs 0 = 2 exceed the 1 MAC filters driver linux\/netdevsim offers per VF/,
    );
    assert.deepEqual(
      daemon.validate({ vfs: [fw('fw-a', 0, OWN_A, 'guarded')], delete: [] }).problems,
      [],
    );
    assert.deepEqual(
      ipVfs(netdev).map((v) => [v.address, v.trust]),
      [
        [OWN_A, false],
        [OWN_B, false],
      ],
      'each VF starts on its own MAC; the NIC does not trust them',
    );
  });

  it('the active takes the RETH MAC, the standby is refused until the active gives it back', async () => {
    const t0 = performance.now();
    const a = await daemon.guestRequest('fw-a', { type: 'setMac', mac: RETH }, 'test');
    assert.equal(a.result, 'ack', a.reason);
    await waitFor(() => ipVfs(netdev)[0].address === RETH, 5000, 'vf 0 on the RETH MAC');
    const takeMs = performance.now() - t0;
    const b = await daemon.guestRequest('fw-b', { type: 'setMac', mac: RETH }, 'test');
    assert.equal(b.result, 'nack');
    assert.match(b.reason, /MAC 02:00:00:00:ee:01 is held by vf 0 \(fw-a\) on netdevsim13/);
    assert.equal(ipVfs(netdev)[1].address, OWN_B, 'the refused switch changed nothing');
    // Failover: the old active goes back to its own MAC, the new active takes the RETH MAC.
    const t1 = performance.now();
    assert.equal(
      (await daemon.guestRequest('fw-a', { type: 'setMac', mac: OWN_A }, 'test')).result,
      'ack',
    );
    const c = await daemon.guestRequest('fw-b', { type: 'setMac', mac: RETH }, 'test');
    assert.equal(c.result, 'ack', c.reason);
    await waitFor(
      () => ipVfs(netdev)[1].address === RETH && ipVfs(netdev)[0].address === OWN_A,
      5000,
      'swap',
    );
    const swapMs = performance.now() - t1;
    assert.equal(daemon.getVf('fw-b').status.syncState, 'in-sync');
    console.log(
      `# vSRX RETH on netdevsim: take ${takeMs.toFixed(0)} ms, failover swap ${swapMs.toFixed(0)} ms (API, one filter per VF)`,
    );
  });
});

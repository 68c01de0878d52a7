// An HA pair on two emulated igb NICs (run-vm.sh --igb --igb; test/lab/vm/igb.sh): one VF on
// each PF, paired through nicvisor (`haPeer`, one MAC policy), bonded active-backup in a
// guest namespace with ARP monitoring (QEMU's igbvf keeps its link up when its PF's cable is
// pulled, so miimon would never notice), pinging QEMU's user-mode gateway through the wire.
// The active PF's cable is pulled; the pings must go on over the other VF; the gap is
// printed as a figure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { atMost, Report } from '../../../bench/_report.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import { ipVfs, sh, waitFor } from './helpers.js';

const PF0 = process.env.NICVISOR_IGB_PF ?? '';
const PF1 = process.env.NICVISOR_IGB_PF2 ?? '';
const MAC = '02:00:00:00:ab:01';
const NS = 'hapair';
const GW = '10.0.2.2';
const skip =
  process.env.NICVISOR_LAB === 'igb' && PF1 !== ''
    ? false
    : 'runs inside the lab VM booted with --igb --igb (test/lab/vm/igb.sh)';

const pciOf = (netdev: string) => basename(readlinkSync(`/sys/class/net/${netdev}/device`));
const vfPci = (pf: string) => basename(readlinkSync(`/sys/class/net/${pf}/device/virtfn0`));
function vfNetdev(pci: string): string {
  try {
    return readdirSync(`/sys/bus/pci/devices/${pci}/net`)[0] ?? '';
  } catch {
    return '';
  }
}
const backendOf = (pf: string) => (pf === PF0 ? 'n0' : 'n1');
const inNs = (cmd: string) => sh(`ip netns exec ${NS} sh -c '${cmd}'`);

describe('HA pair on two igb NICs: a guest bond fails over when the active cable is pulled', {
  skip,
}, () => {
  let dir: string;
  let daemon: Daemon;
  const vfs: string[] = [];

  before(async () => {
    for (const pf of [PF0, PF1]) {
      sh(`echo 0 > /sys/class/net/${pf}/device/sriov_numvfs`);
      // The VF driver must see the MAC nicvisor assigns when it probes (igbvf reads it once):
      // create the VFs unbound, let the daemon program them, then bind igbvf.
      sh(`echo 0 > /sys/class/net/${pf}/device/sriov_drivers_autoprobe`);
      sh(`ip link set ${pf} up`);
    }
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-hapair-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    const configFile = join(dir, 'nicvisor.json');
    const [p0, p1] = [pciOf(PF0), pciOf(PF1)];
    await writeFile(
      configFile,
      JSON.stringify({
        driver: 'linux',
        daemon: { stateDir, driftIntervalMs: 60000, statsIntervalMs: 60000 },
        pfs: [
          { pf: p0, numVfs: 1 },
          { pf: p1, numVfs: 1 },
        ],
      }),
    );
    const half = (name: string, pf: string, peer: string) => ({
      name,
      pf,
      vf: 0,
      macs: [MAC],
      macAntiSpoof: true,
      haPeer: peer,
    });
    for (const v of [half('ha-a', p0, 'ha-b'), half('ha-b', p1, 'ha-a')])
      await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
    for (const pf of [PF0, PF1]) {
      const pci = vfPci(pf);
      writeFileSync(`/sys/bus/pci/devices/${pci}/driver_override`, 'igbvf');
      writeFileSync('/sys/bus/pci/drivers_probe', pci);
      await waitFor(() => vfNetdev(pci) !== '', 30000, `igbvf netdev of ${pci}`);
      vfs.push(vfNetdev(pci));
    }
    sh(`ip netns add ${NS}`);
    for (const v of vfs) sh(`ip link set ${v} netns ${NS}`);
    inNs(
      `ip link add bond0 type bond mode active-backup fail_over_mac active arp_interval 100 arp_ip_target ${GW} && ${vfs.map((v) => `ip link set ${v} master bond0`).join(' && ')} && ip link set bond0 up && ip addr add 10.0.2.15/24 dev bond0`,
    );
  });
  after(async () => {
    sh(`ip netns del ${NS} 2>/dev/null || true`);
    for (const b of ['n0', 'n1']) sh(`/run/labvm/link ${b} on >/dev/null 2>&1 || true`);
    await daemon?.stop();
    for (const pf of [PF0, PF1]) {
      sh(`echo 0 > /sys/class/net/${pf}/device/sriov_numvfs`);
      sh(`echo 1 > /sys/class/net/${pf}/device/sriov_drivers_autoprobe`);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('nicvisor programs one MAC policy on both VFs, each on its own PF', () => {
    for (const pf of [PF0, PF1]) {
      const [v] = ipVfs(pf);
      assert.deepEqual([v.address, v.spoofchk], [MAC, true], pf);
    }
    assert.equal(daemon.getVf('ha-a').status.syncState, 'in-sync');
    assert.equal(daemon.getVf('ha-b').status.syncState, 'in-sync');
  });

  it('pings go on over the other VF when the active PF’s cable is pulled', async () => {
    await waitFor(
      () => /Currently Active Slave: (?!None)\S+/.test(inNs('cat /proc/net/bonding/bond0')),
      20000,
      'an active slave',
    );
    inNs(`ping -c 3 -W 2 ${GW} >/dev/null`);
    const active = () =>
      /Currently Active Slave: (\S+)/.exec(inNs('cat /proc/net/bonding/bond0'))?.[1] ?? '';
    const first = active();
    const pfOfFirst = first === vfs[0] ? PF0 : PF1;
    // Pings every 50 ms with a timestamp per reply (-D), for 12 s; the cable goes at 3 s.
    const ping = spawn('ip', ['netns', 'exec', NS, 'ping', '-D', '-i', '0.05', '-w', '12', GW]);
    let out = '';
    ping.stdout.on('data', (d) => {
      out += String(d);
    });
    const done = new Promise((r) => ping.on('close', r));
    await new Promise((r) => setTimeout(r, 3000));
    const pulledAt = Date.now() / 1000;
    sh(`/run/labvm/link ${backendOf(pfOfFirst)} off`);
    await done;
    const times = [...out.matchAll(/^\[(\d+\.\d+)\] .*icmp_seq=(\d+)/gm)].map((m) => Number(m[1]));
    const after = times.filter((t) => t > pulledAt);
    assert.ok(after.length > 10, `replies after the pull: ${after.length}\n${out.slice(-500)}`);
    const then = active();
    assert.notEqual(then, first, 'the bond moved to the other VF');
    // The longest silence between two replies from just before the pull to the end (the
    // pull lands a moment after it is asked for: a reply or two may still come the old way).
    const around = times.filter((t) => t > pulledAt - 0.5);
    let gap = 0;
    for (let i = 1; i < around.length; i++) gap = Math.max(gap, (around[i] - around[i - 1]) * 1000);
    const sent = /(\d+) packets transmitted, (\d+) received/.exec(out);
    const b = new Report().bench('ha (lab VM, 2× igb, TCG)');
    b.figure(
      'HA pair: longest gap in replies across the cable pull',
      gap,
      'ms',
      atMost(3000),
      `ARP monitor 100 ms; ${sent ? `${Number(sent[1]) - Number(sent[2])} of ${sent[1]} pings lost` : ''}`,
    );
  });
});

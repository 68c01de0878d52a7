// Runs inside the lab VM booted with --igb (test/lab/vm/igb.sh): the CNI plugin called the
// way a container runtime calls it (CNI_* variables, netconf on stdin, Debian's host-local
// IPAM chained) against a daemon on the linux driver. ADD puts a real igbvf netdev into a
// fresh network namespace with its MAC and VLAN, frames flow through the PF, DEL gives it
// back restored (also after the namespace was deleted); concurrent ADDs get different VFs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../../src/api/server.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import { IGB_NETDEV, sh, skipUnless, waitFor } from './env.js';
import { installLean } from './lean-install.js';

const skip = skipUnless('igb');
const NETDEV = IGB_NETDEV;
// The plugin runs from a copy on the VM's local disk, as installed (before()): from the
// repository's uncached 9p share each start took 2.5-12 s more.
let PLUGIN = join(process.cwd(), 'dist', 'src', 'cli', 'cni', 'main.cjs');
const HOST_LOCAL = '/usr/lib/cni/host-local';
const skipIpam = existsSync(HOST_LOCAL)
  ? skip
  : 'host-local IPAM missing (apt-get install containernetworking-plugins)';

interface Run {
  code: number;
  out: Record<string, unknown>;
  ms: number;
}

function cni(command: string, id: string, netns: string, conf: object): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [PLUGIN],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          CNI_COMMAND: command,
          CNI_CONTAINERID: id,
          CNI_NETNS: netns,
          CNI_IFNAME: 'net1',
          CNI_PATH: '/usr/lib/cni',
        },
      },
      (err, stdout) =>
        resolve({
          code: err ? 1 : 0,
          out: stdout.trim() ? JSON.parse(stdout) : {},
          ms: Date.now() - t0,
        }),
    );
    child.stdin?.end(JSON.stringify(conf));
  });
}

const vfLine = (vf: number) =>
  sh(`ip link show ${NETDEV}`)
    .split('\n')
    .find((l) => l.trim().startsWith(`vf ${vf} `)) ?? '';
const pciOfVf = (vf: number) =>
  basename(readlinkSync(`/sys/class/net/${NETDEV}/device/virtfn${vf}`));
const vfIndexOf = (pci: string) =>
  [0, 1, 2].find(
    (i) => existsSync(`/sys/class/net/${NETDEV}/device/virtfn${i}`) && pciOfVf(i) === pci,
  )!;
const netdevOf = (pci: string) =>
  sh(`ls /sys/bus/pci/devices/${pci}/net 2>/dev/null || true`).trim();

function ping(ns: string, addr: string): boolean {
  try {
    sh(`ip netns exec ${ns} busybox ping -c 2 -W 2 ${addr} >/dev/null 2>&1`);
    return true;
  } catch {
    return false;
  }
}

describe('CNI plugin over the daemon on igb', { skip: skipIpam }, () => {
  let dir: string;
  let daemon: Daemon;
  let api: ApiServer;
  let conf: object;
  const pf = skip ? '' : basename(readlinkSync(`/sys/class/net/${NETDEV}/device`));

  before(async () => {
    const t0 = Date.now();
    sh('modprobe vfio enable_unsafe_noiommu_mode=1 && modprobe vfio_pci');
    sh(`echo 0 > /sys/class/net/${NETDEV}/device/sriov_numvfs`);
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-cni-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    const socket = join(dir, 'api.sock');
    const configFile = join(dir, 'nicvisor.json');
    await writeFile(
      configFile,
      JSON.stringify({
        driver: 'linux',
        // The sweeper waits for the CNI DEL of a vanished namespace longer than DEL takes here.
        daemon: {
          stateDir,
          socket,
          driftIntervalMs: 60000,
          statsIntervalMs: 60000,
          poolLeakGraceMs: 300000,
        },
        pfs: [{ pf, numVfs: 3 }],
        pools: [
          {
            name: 'pods',
            pfs: [pf],
            vfs: { from: 0, to: 1 },
            physicalNetwork: 'lab',
            profile: {
              vlans: [100],
              mac: { mode: 'range', from: '02:00:00:00:0c:01', to: '02:00:00:00:0c:ff' },
            },
          },
          {
            name: 'vms',
            pfs: [pf],
            vfs: { from: 2, to: 2 },
            physicalNetwork: 'lab',
            deviceType: 'vfio-pci',
            profile: { vlans: [200] },
          },
        ],
      }),
    );
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
    api = new ApiServer(daemon, { socket, bodyLimit: 65536 });
    await api.start();
    PLUGIN = installLean(join(process.cwd(), 'dist'), join(dir, 'lib')).cni;
    await waitFor(
      () => [0, 1, 2].every((i) => netdevOf(pciOfVf(i)) !== ''),
      60000,
      'igbvf netdevs',
    );
    console.log(`# daemon up with 3 igbvf netdevs after ${Date.now() - t0} ms`);
    conf = {
      cniVersion: '1.0.0',
      name: 'lab-sriov',
      type: 'nicvisor-cni',
      pool: 'pods',
      socket,
      ipam: {
        type: 'host-local',
        subnet: '192.168.79.0/24',
        rangeStart: '192.168.79.10',
        gateway: '192.168.79.1',
        dataDir: join(dir, 'ipam'),
      },
    };
    // An earlier test file of this boot (veb) may have left its own VLAN 100 device behind.
    sh(
      `ip link del ${NETDEV}.100 2>/dev/null; ip link set ${NETDEV} up; ip link add link ${NETDEV} name ${NETDEV}.100 type vlan id 100`,
    );
    sh(`ip addr add 192.168.79.1/24 dev ${NETDEV}.100; ip link set ${NETDEV}.100 up`);
  });
  after(async () => {
    sh(
      `ip link del ${NETDEV}.100 2>/dev/null || true; for n in c1 c2 c3 c4; do ip netns del $n 2>/dev/null; done; true`,
    );
    await api?.stop();
    await daemon?.stop();
    sh(`echo 0 > /sys/class/net/${NETDEV}/device/sriov_numvfs`);
    await rm(dir, { recursive: true, force: true });
  });

  it('ADD puts a VF into the namespace with MAC, VLAN and address; frames flow; DEL restores it', async () => {
    sh('ip netns add c1');
    const add = await cni('ADD', 'c1', '/var/run/netns/c1', conf);
    assert.equal(add.code, 0, JSON.stringify(add.out));
    const iface = (add.out.interfaces as { name: string; mac: string; pciID: string }[])[0]!;
    const ips = add.out.ips as { address: string; interface: number }[];
    assert.equal(iface.name, 'net1');
    assert.match(ips[0]!.address, /^192\.168\.79\.\d+\/24$/);
    assert.equal(ips[0]!.interface, 0);
    const vf = vfIndexOf(iface.pciID);
    const hostName = daemon.pools.view('pods').claims[0]!.netdev;
    assert.match(sh('ip -n c1 link show net1'), new RegExp(iface.mac));
    assert.match(vfLine(vf), new RegExp(`link/ether ${iface.mac}.*vlan 100`));
    await waitFor(() => ping('c1', '192.168.79.1'), 15000, 'ping through the PF on VLAN 100');
    const check = await cni('CHECK', 'c1', '/var/run/netns/c1', { ...conf, prevResult: add.out });
    assert.equal(check.code, 0, JSON.stringify(check.out));
    // Drift: the interface renamed behind the plugin's back is reported, not ignored.
    sh('ip -n c1 link set net1 down; ip -n c1 link set net1 name net9');
    const drift = await cni('CHECK', 'c1', '/var/run/netns/c1', { ...conf, prevResult: add.out });
    assert.equal(drift.code, 1);
    assert.equal(drift.out.code, 101, JSON.stringify(drift.out));
    sh('ip -n c1 link set net9 name net1; ip -n c1 link set net1 up');
    const del = await cni('DEL', 'c1', '/var/run/netns/c1', conf);
    assert.equal(del.code, 0, JSON.stringify(del.out));
    assert.equal(
      netdevOf(iface.pciID),
      hostName,
      'the VF netdev is back in the host under its name',
    );
    assert.doesNotMatch(vfLine(vf), /vlan 100/);
    assert.doesNotMatch(vfLine(vf), new RegExp(iface.mac));
    assert.deepEqual(daemon.pools.view('pods').claims, []);
    const again = await cni('DEL', 'c1', '/var/run/netns/c1', conf);
    assert.equal(again.code, 0, 'DEL is idempotent');
    console.log(`# CNI ADD ${add.ms} ms, DEL ${del.ms} ms (igb under emulation)`);
  });

  it('DEL after the namespace was deleted still restores the VF', async () => {
    sh('ip netns add c2');
    const add = await cni('ADD', 'c2', '/var/run/netns/c2', conf);
    assert.equal(add.code, 0, JSON.stringify(add.out));
    const iface = (add.out.interfaces as { mac: string; pciID: string }[])[0]!;
    const hostName = daemon.pools.view('pods').claims[0]!.netdev;
    sh('ip netns del c2');
    // The kernel gives the physical netdev back to the initial namespace (as net1).
    await waitFor(() => netdevOf(iface.pciID) !== '', 10000, 'VF netdev back in the host');
    const del = await cni('DEL', 'c2', '/var/run/netns/c2', conf);
    assert.equal(del.code, 0, JSON.stringify(del.out));
    assert.equal(netdevOf(iface.pciID), hostName);
    assert.doesNotMatch(vfLine(vfIndexOf(iface.pciID)), new RegExp(iface.mac));
    assert.deepEqual(daemon.pools.view('pods').claims, []);
  });

  it('two concurrent ADDs never get the same VF or MAC', async () => {
    sh('ip netns add c3; ip netns add c4');
    const [a, b] = await Promise.all([
      cni('ADD', 'c3', '/var/run/netns/c3', conf),
      cni('ADD', 'c4', '/var/run/netns/c4', conf),
    ]);
    assert.equal(a.code, 0, JSON.stringify(a.out));
    assert.equal(b.code, 0, JSON.stringify(b.out));
    const ia = (a.out.interfaces as { mac: string; pciID: string }[])[0]!;
    const ib = (b.out.interfaces as { mac: string; pciID: string }[])[0]!;
    assert.notEqual(ia.pciID, ib.pciID);
    assert.notEqual(ia.mac, ib.mac);
    for (const n of ['c3', 'c4'])
      assert.equal((await cni('DEL', n, `/var/run/netns/${n}`, conf)).code, 0);
    assert.deepEqual(daemon.pools.view('pods').claims, []);
  });

  it('a vfio-pci pool binds its VF to vfio-pci for the claim and back to igbvf on release', async () => {
    const pci = pciOfVf(2);
    const driverOf = () => basename(readlinkSync(`/sys/bus/pci/devices/${pci}/driver`));
    assert.equal(driverOf(), 'igbvf');
    const r = await daemon.pools.claims.claim(
      'vms',
      { owner: { kind: 'vm', id: 'g1' }, numaStrict: false },
      'lab',
    );
    assert.equal(r.claim.vf, 2);
    assert.equal(driverOf(), 'vfio-pci');
    assert.equal(r.claim.boundFrom, 'igbvf');
    assert.match(r.why.join(), /bound to vfio-pci \(was igbvf\)/);
    assert.match(vfLine(2), /vlan 200/);
    const out = await daemon.pools.claims.release(r.claim.id, { who: 'lab' });
    assert.equal(out.verified, true, out.differences.join());
    assert.equal(driverOf(), 'igbvf');
    await waitFor(() => netdevOf(pci) !== '', 10000, 'igbvf netdev back');
    assert.doesNotMatch(vfLine(2), /vlan 200/);
  });
});

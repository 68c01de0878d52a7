// Runs inside the lab VM booted with --igb (test/lab/vm/igb.sh): Debian's libvirtd (the
// host's package; the VM runs on the host's root) with the <network> nicvisor generates for
// a pool (<forward mode='hostdev'> over its igb VFs) and nicvisor's network hook installed in
// /etc/libvirt/hooks (the VM's RAM overlay). Ports are created without a domain, through
// `virsh net-port-create` (libvirt ≥ 5.5): libvirt picks the VF, runs the hook, and fails the
// port with the hook's reason when the claims ledger does not agree; `net-port-delete` gives
// the claim back.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../../src/api/server.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import { IGB_NETDEV, SLACK, sh, skipUnless } from './env.js';
import { installLean } from './lean-install.js';

const LIBVIRTD = '/usr/sbin/libvirtd';
const HOOK = '/etc/libvirt/hooks/network';
const NET = 'nicvisor-vms';
const skip =
  skipUnless('igb') ||
  (existsSync(LIBVIRTD)
    ? false
    : 'libvirtd missing (apt-get install --no-install-recommends libvirt-daemon)');

interface Virsh {
  code: number;
  out: string;
  err: string;
}

/**
 * virsh against the libvirtd this test started; answers exit status and both outputs.
 * Asynchronous on purpose: the daemon and its API run in this process, and a port's hook asks
 * that API while virsh waits for the port. A spawnSync here blocked the event loop that had to
 * answer the hook: virsh hung until its timeout (60 s, then "exit 1, no message"), which was
 * the port step's whole failure in the VM.
 */
function virsh(...args: string[]): Promise<Virsh> {
  return new Promise((resolve) => {
    execFile(
      'virsh',
      ['-c', 'qemu:///system', ...args],
      { encoding: 'utf8', timeout: 120000 },
      (err, out, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const why = err && typeof err.code !== 'number' ? ` (${err.message})` : '';
        resolve({ code, out, err: `${stderr}${why}` });
      },
    );
  });
}

/**
 * A network port without a domain: its own UUID (libvirt refuses a port without one: "network
 * port has no uuid"), the owner's name + UUID and the MAC, as a domain's NIC gives.
 */
function portXml(dir: string, owner: string, uuidTail: string, mac: string): string {
  const file = join(dir, `port-${owner}-${uuidTail}.xml`);
  writeFileSync(
    file,
    `<networkport><uuid>0d7c3b1a-6e2f-4c58-8a91-5f3e7d2c${uuidTail}</uuid><owner><name>${owner}</name><uuid>6f1c0de2-51a4-4b7e-9d0e-2a5b9c4e${uuidTail}</uuid></owner><mac address='${mac}'/></networkport>\n`,
  );
  return file;
}

const ports = async () =>
  (await virsh('net-port-list', NET, '--uuid')).out
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => /^[0-9a-f-]{36}$/.test(s));

describe('libvirt hostdev network with nicvisor’s hook on igb', { skip }, () => {
  let dir: string;
  let daemon: Daemon;
  let api: ApiServer;
  let libvirtd: ChildProcess | undefined;
  let libvirtdErr = '';
  const pf = skip ? '' : basename(readlinkSync(`/sys/class/net/${IGB_NETDEV}/device`));
  const pciOfVf = (vf: number) =>
    basename(readlinkSync(`/sys/class/net/${IGB_NETDEV}/device/virtfn${vf}`));
  const driverOf = (pci: string) => basename(readlinkSync(`/sys/bus/pci/devices/${pci}/driver`));

  before(async () => {
    sh('modprobe vfio enable_unsafe_noiommu_mode=1 && modprobe vfio_pci');
    sh(`echo 0 > /sys/class/net/${IGB_NETDEV}/device/sriov_numvfs`);
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-libvirt-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    const socket = join(dir, 'api.sock');
    const configFile = join(dir, 'nicvisor.json');
    await writeFile(
      configFile,
      JSON.stringify({
        driver: 'linux',
        daemon: { stateDir, socket, driftIntervalMs: 60000, statsIntervalMs: 60000 },
        pfs: [{ pf, numVfs: 2 }],
        pools: [
          {
            name: 'vms',
            pfs: [pf],
            vfs: { from: 0, to: 1 },
            physicalNetwork: 'lab',
            deviceType: 'vfio-pci',
            profile: { vlans: [300] },
          },
        ],
      }),
    );
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
    api = new ApiServer(daemon, { socket, bodyLimit: 65536 });
    await api.start();
    // The hook as a package installs it: the program on local disk, the socket as an
    // argument (libvirt runs hooks with a cleared environment).
    const bin = installLean(join(process.cwd(), 'dist'), join(dir, 'lib'));
    mkdirSync('/etc/libvirt/hooks', { recursive: true });
    writeFileSync(
      HOOK,
      `#!/bin/sh\nexec ${process.execPath} ${bin.hook} --socket ${socket} "$@"\n`,
    );
    chmodSync(HOOK, 0o755);
    // Debian builds libvirt's QEMU driver to run guests as libvirt-qemu, a user only
    // libvirt-daemon-system creates. The driver looks the user up before it reads qemu.conf,
    // fails ("Failed to parse user 'libvirt-qemu'", seen here) and takes libvirtd down with it.
    // The VM's /etc is a RAM overlay: the user is created there.
    if (spawnSync('getent', ['passwd', 'libvirt-qemu']).status !== 0)
      sh('useradd --system --no-create-home --shell /usr/sbin/nologin libvirt-qemu');
    // libvirtd looks for its hooks when it starts: the hook goes in first.
    // LIBVIRT_LOG_OUTPUTS / LIBVIRT_LOG_FILTERS from the caller win (an ad-hoc boot can send
    // libvirtd's debug log to a file on the share); by default its warnings and errors go into
    // the failure message.
    libvirtd = spawn(LIBVIRTD, [], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { LIBVIRT_LOG_OUTPUTS: '3:stderr', ...process.env },
    });
    libvirtd.stderr?.on('data', (d: Buffer) => {
      libvirtdErr += d.toString();
    });
    const until = Date.now() + 30000 * SLACK;
    while (libvirtd.exitCode === null && (await virsh('net-list', '--all')).code !== 0) {
      assert.ok(
        Date.now() < until,
        `libvirtd did not answer within ${30 * SLACK} s: ${libvirtdErr}`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(libvirtd.exitCode, null, `libvirtd exited ${libvirtd.exitCode}: ${libvirtdErr}`);
  });
  after(async () => {
    await virsh('net-destroy', NET);
    await virsh('net-undefine', NET);
    libvirtd?.kill();
    rmSync(HOOK, { force: true });
    await api?.stop();
    await daemon?.stop();
    sh(`echo 0 > /sys/class/net/${IGB_NETDEV}/device/sriov_numvfs`);
    await rm(dir, { recursive: true, force: true });
  });

  it("defines and starts the pool's <network>, its forward list the pool's VFs", async () => {
    const file = join(dir, 'net.xml');
    writeFileSync(file, await daemon.pools.networkXml('vms'));
    const def = await virsh('net-define', file);
    assert.equal(def.code, 0, def.err);
    const start = await virsh('net-start', NET);
    assert.equal(start.code, 0, start.err);
    const live = (await virsh('net-dumpxml', NET)).out;
    assert.match(live, /<forward mode=['"]hostdev['"]/);
    for (const vf of [0, 1]) {
      const [d, b, rest] = pciOfVf(vf).split(':');
      const [s, f] = rest!.split('.');
      assert.match(
        live,
        new RegExp(
          `<address type=['"]pci['"] domain=['"]0x${d}['"] bus=['"]0x${b}['"] slot=['"]0x${s}['"] function=['"]0x${f}['"]`,
        ),
      );
    }
  });

  it('accepts the port of a claimed VF, vetoes ports the ledger does not agree with, releases on delete', async () => {
    const { claim } = await daemon.pools.claims.claim(
      'vms',
      { owner: { kind: 'vm', id: 'g1' }, numaStrict: false },
      'lab',
    );
    assert.equal(claim.pciAddr, pciOfVf(0));
    assert.equal(driverOf(claim.pciAddr!), 'vfio-pci');
    // libvirt hands out the first free VF of the forward list: VF 0, g1's claim.
    const ok = await virsh('net-port-create', NET, portXml(dir, 'g1', '0001', claim.mac));
    assert.equal(ok.code, 0, `${ok.err}\nlibvirtd: ${libvirtdErr}`);
    assert.equal((await ports()).length, 1);
    // The next port gets VF 1, which nobody claimed: a domain without a claim is refused,
    // and so is g1 asking for a VF other than its claim's. libvirt fails the port with the
    // hook's words and gives the VF back to the network.
    const stranger = await virsh(
      'net-port-create',
      NET,
      portXml(dir, 'g2', '0002', '52:54:00:0a:0b:0c'),
    );
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.err, /nicvisor: domain g2 may not use VF .* it has no claim in pool vms/);
    const other = await virsh('net-port-create', NET, portXml(dir, 'g1', '0003', claim.mac));
    assert.notEqual(other.code, 0);
    assert.match(
      other.err,
      new RegExp(`its claim ${claim.id} \\(${claim.pciAddr}\\) names another VF`),
    );
    assert.equal((await ports()).length, 1, 'the vetoed ports are gone');
    // port-deleted releases g1's claim: the VF goes back to igbvf.
    const del = await virsh('net-port-delete', NET, (await ports())[0]!);
    assert.equal(del.code, 0, del.err);
    assert.deepEqual(daemon.pools.view('vms').claims, []);
    assert.equal(driverOf(claim.pciAddr!), 'igbvf');
  });
});

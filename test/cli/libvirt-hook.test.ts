// The libvirt network hook program (dist/src/cli/libvirt-hook.js) run the way libvirt runs
// /etc/libvirt/hooks/network: NETWORK OP SUBOP EXTRA as arguments, hookData on stdin, a
// cleared environment; against a daemon on the sim NIC over its API socket.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import type { Claim } from '../../src/model/index.js';
import { type PoolKit, startPoolKit } from '../daemon/pools/kit.js';
import { ROOT } from './run.js';

const HOOK = join(ROOT, 'dist', 'src', 'cli', 'libvirt-hook.js');

function hook(
  args: string[],
  stdin: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [HOOK, ...args],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.on('error', () => {}); // a hook that needs no stdin may exit before reading it
    child.stdin?.end(stdin);
  });
}

/** libvirt's hookData for a hostdev port (virNetworkPortDefFormat), VF at `pci`. */
function hookData(network: string, owner: string, mac: string, pci: string): string {
  const [domain, bus, rest] = pci.split(':');
  const [slot, fn] = rest!.split('.');
  return `<hookData>
  <network><name>${network}</name><forward mode='hostdev' managed='yes'/></network>
  <networkport>
    <uuid>b8e3ea4a-8b6c-4f84-8f4c-1f1b1a6f0e11</uuid>
    <owner><name>${owner}</name><uuid>7c2f0f8e-3d6a-4a77-9c53-3ef9b6a1c0de</uuid></owner>
    <mac address='${mac}'/>
    <plug type='hostdev-pci' managed='yes'>
      <driver name='vfio'/>
      <address domain='0x${domain}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/>
    </plug>
  </networkport>
</hookData>`;
}

describe('libvirt network hook program over the API', () => {
  let k: PoolKit;
  let api: ApiServer;
  let sock: string;
  let claim: Claim;
  before(async () => {
    k = await startPoolKit();
    sock = join(k.dir, 'api.sock');
    api = new ApiServer(k.daemon, { socket: sock, bodyLimit: 65536 });
    await api.start();
    ({ claim } = await k.daemon.pools.claims.claim(
      'net1',
      { owner: { kind: 'vm', id: 'g1' }, numaStrict: false },
      'test',
    ));
  });
  after(async () => {
    await api.stop();
    await k.cleanup();
  });

  it("allows the port of a claim, vetoes a stranger's and a wrong MAC, saying why", async () => {
    const net = 'nicvisor-net1';
    const ok = await hook(
      ['--socket', sock, net, 'port-created', 'begin', '-'],
      hookData(net, 'g1', claim.mac, claim.pciAddr!),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, new RegExp(`is its claim ${claim.id}`));
    const stranger = await hook(
      ['--socket', sock, net, 'port-created', 'begin', '-'],
      hookData(net, 'g2', '02:00:00:00:99:01', claim.pciAddr!),
    );
    assert.equal(stranger.code, 1);
    assert.match(
      stranger.stderr,
      new RegExp(`domain g2 may not use VF ${claim.pciAddr}.*claimed by vm:g1`),
    );
    const mac = await hook(
      ['--socket', sock, net, 'port-created', 'begin', '-'],
      hookData(net, 'g1', '02:00:00:00:99:02', claim.pciAddr!),
    );
    assert.equal(mac.code, 1);
    assert.match(mac.stderr, /asks for MAC 02:00:00:00:99:02/);
  });

  it('lets other networks and operations pass without asking the daemon', async () => {
    const gone = join(k.dir, 'no-daemon.sock');
    for (const args of [
      ['default', 'port-created', 'begin', '-'],
      ['nicvisor-net1', 'started', 'begin', '-'],
    ]) {
      const r = await hook(['--socket', gone, ...args], '<hookData/>');
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('vetoes a port it cannot check (daemon unreachable), naming the socket', async () => {
    const gone = join(k.dir, 'no-daemon.sock');
    const net = 'nicvisor-net1';
    const r = await hook(
      ['--socket', gone, net, 'port-created', 'begin', '-'],
      hookData(net, 'g1', claim.mac, claim.pciAddr!),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`not checked: cannot reach the daemon at unix:${gone}`));
  });

  it('vetoes a port after --timeout when the daemon accepts and never answers', async () => {
    const mute = join(k.dir, 'mute.sock');
    const held: Socket[] = [];
    const server = createServer((s) => void held.push(s));
    await new Promise<void>((r) => server.listen(mute, r));
    try {
      const net = 'nicvisor-net1';
      const t0 = Date.now();
      const r = await hook(
        ['--socket', mute, '--timeout', '0.5', net, 'port-created', 'begin', '-'],
        hookData(net, 'g1', claim.mac, claim.pciAddr!),
      );
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `not checked: the daemon at unix:${mute} did not answer GET /v1/pools/net1 within 0.5 s`,
        ),
      );
      assert.ok(Date.now() - t0 < 20000, 'given up, not waited for');
      assert.equal(held.length, 1, 'it did reach the socket');
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => server.close(r));
    }
    const bad = await hook(['--timeout', 'soon', 'nicvisor-net1', 'port-created'], '');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout must be a number of seconds above 0 \(default 30\)/);
  });

  it('answers usage errors with exit 2', async () => {
    const r = await hook(['--socket'], '');
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /usage: libvirt-hook\.js \[--socket PATH\] \[--timeout SECONDS\] NETWORK OP/,
    );
  });

  it('releases the claim on port-deleted', async () => {
    const net = 'nicvisor-net1';
    const r = await hook(
      ['--socket', sock, net, 'port-deleted', 'begin', '-'],
      hookData(net, 'g1', claim.mac, claim.pciAddr!),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`releasing claim ${claim.id}`));
    assert.deepEqual(k.daemon.pools.view('net1').claims, []);
  });
});

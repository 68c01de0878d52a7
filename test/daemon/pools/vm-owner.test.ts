// Liveness of `vm` owners: the libvirt run-dir probe against a fake run dir and /proc, the
// virsh probe against a fake runner, and the sweeper with a real "QEMU" process (a node
// child started with libvirt's `-name guest=NAME` argument) named in a fake run dir.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LibvirtRunProbe, VirshProbe } from '../../../src/daemon/pools/vm-probe.js';
import { type PoolKit, startPoolKit } from './kit.js';

const vm = (id: string) => ({ kind: 'vm' as const, id });

describe('libvirt run-dir probe', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-vmprobe-'));
    await mkdir(join(dir, 'run'));
    const proc = (pid: number, args: string[]) =>
      mkdir(join(dir, 'proc', String(pid)), { recursive: true }).then(() =>
        writeFile(join(dir, 'proc', String(pid), 'cmdline'), `${args.join('\0')}\0`),
      );
    await proc(100, ['/usr/bin/qemu-system-x86_64', '-name', 'guest=g1,debug-threads=on']);
    await proc(200, ['/usr/bin/bash']);
    await proc(300, ['/usr/bin/qemu-system-x86_64', '-name', 'guest=other,debug-threads=on']);
    for (const [name, pid] of [
      ['g1', 100],
      ['reused', 200],
      ['stolen', 300],
      ['dead', 999],
    ] as const)
      await writeFile(join(dir, 'run', `${name}.pid`), `${pid}\n`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('running only with a pid file whose process is QEMU named for the domain', async () => {
    const p = new LibvirtRunProbe(join(dir, 'run'), join(dir, 'proc'));
    assert.equal(await p.running('g1'), true);
    assert.equal(await p.running('absent'), false, 'no pid file');
    assert.equal(await p.running('dead'), false, 'pid gone');
    assert.equal(await p.running('reused'), false, 'pid reused by another program');
    assert.equal(await p.running('stolen'), false, 'pid of another domain');
    const none = new LibvirtRunProbe(join(dir, 'no-libvirt'), join(dir, 'proc'));
    assert.equal(await none.running('g1'), null, 'no libvirt on the host: cannot tell');
  });
});

describe('virsh probe', () => {
  it('reads domstate; a missing domain is gone, an unreachable libvirtd is unknown', async () => {
    const answers: Record<string, { code: number; stdout: string; stderr: string }> = {
      a: { code: 0, stdout: 'running\n\n', stderr: '' },
      b: { code: 0, stdout: 'paused\n\n', stderr: '' },
      c: { code: 0, stdout: 'shut off\n\n', stderr: '' },
      d: { code: 1, stdout: '', stderr: "error: failed to get domain 'd'\n" },
      e: {
        code: 1,
        stdout: '',
        stderr: 'error: failed to connect to the hypervisor\nerror: Failed to connect socket\n',
      },
    };
    const calls: string[][] = [];
    const p = new VirshProbe('qemu:///system', async (argv) => {
      calls.push(argv);
      return answers[argv.at(-1)!]!;
    });
    const got = [];
    for (const n of ['a', 'b', 'c', 'd', 'e']) got.push(await p.running(n));
    assert.deepEqual(got, [true, true, false, false, null]);
    assert.deepEqual(calls[0], ['virsh', '-c', 'qemu:///system', 'domstate', 'a']);
  });
});

describe('the sweeper and vm owners', () => {
  let k: PoolKit;
  let run: string;
  const qemus: ChildProcess[] = [];
  async function qemu(name: string): Promise<ChildProcess> {
    const c = spawn(process.execPath, [
      '-e',
      'setTimeout(()=>{}, 60000)',
      '--',
      '-name',
      `guest=${name},debug-threads=on`,
    ]);
    qemus.push(c);
    await new Promise((r) => c.once('spawn', r));
    await writeFile(join(run, `${name}.pid`), String(c.pid));
    return c;
  }
  before(async () => {
    run = await mkdtemp(join(tmpdir(), 'nicvisor-libvirt-run-'));
    k = await startPoolKit({ daemon: { poolLibvirtRunDir: run, poolVmStartGraceMs: 60_000 } });
  });
  after(async () => {
    for (const c of qemus) c.kill('SIGKILL');
    await k.cleanup();
    await rm(run, { recursive: true, force: true });
  });

  it('reclaims the claim of a domain seen running once it stops; a domain not started yet keeps its claim within the grace', async () => {
    const c = k.daemon.pools.claims;
    const g1 = await c.claim('net1', { owner: vm('g1'), numaStrict: false }, 'admin');
    const early = await c.claim('net1', { owner: vm('not-yet'), numaStrict: false }, 'admin');
    const q = await qemu('g1');
    assert.equal(await k.daemon.pools.sweeper.sweep(), 0);
    q.kill('SIGKILL');
    await new Promise((r) => q.once('exit', r));
    // libvirt removes the pid file when it sees QEMU exit; a crash may leave it: both count.
    assert.equal(await k.daemon.pools.sweeper.sweep(), 1);
    const left = k.daemon.pools.view('net1').claims.map((x) => x.id);
    assert.deepEqual(left, [early.claim.id]);
    assert.throws(() => k.daemon.getVf(g1.claim.policy));
    const m = (await k.daemon.metrics()).text;
    assert.match(m, /nicvisor_pool_leaks_reclaimed_total\{pool="net1",reason="vm"\} 1/);
    await c.release(early.claim.id, { who: 'admin' });
  });
});

describe('a vm claim whose domain never starts', () => {
  it('is reclaimed after poolVmStartGraceMs', async () => {
    const run = await mkdtemp(join(tmpdir(), 'nicvisor-libvirt-run-'));
    const k = await startPoolKit({ daemon: { poolLibvirtRunDir: run, poolVmStartGraceMs: 0 } });
    try {
      await k.daemon.pools.claims.claim('net1', { owner: vm('never'), numaStrict: false }, 'admin');
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(await k.daemon.pools.sweeper.sweep(), 1);
      assert.deepEqual(k.daemon.pools.view('net1').claims, []);
    } finally {
      await k.cleanup();
      await rm(run, { recursive: true, force: true });
    }
  });
});

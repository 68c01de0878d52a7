/**
 * Hooks root can trust and that cannot hurt the daemon: argv with a NUL or from a program
 * others can write is refused at submit time and never run; a failing onStop still lets the
 * VF be released; a hook's children die with its timeout; a background child holding the
 * hook's stdout does not hold the caller; nothing a hook does rejects a floating promise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DaemonError } from '../../src/daemon/errors.js';
import { Hooks, runHook } from '../../src/daemon/hooks.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { distrustProgram } from '../../src/daemon/trust.js';
import { VfPolicy, type VfPolicyInput } from '../../src/model/index.js';
import { SPF0, simDaemon, until } from './sim-daemon.js';
import { trustedDir } from './trusted-dir.js';

const isRoot = process.getuid?.() === 0;

const vf = (extra: Partial<VfPolicyInput>): VfPolicyInput => ({
  name: 'h',
  pf: SPF0,
  vf: 2,
  vlans: [10],
  macs: ['02:00:00:00:dd:00'],
  ...extra,
});

async function script(dir: string, name: string, body: string, mode = 0o755): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, `#!/bin/sh\n${body}\n`, { mode });
  await chmod(f, mode);
  return f;
}

/** A process that is gone or a zombie no longer runs. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('a NUL byte in hook argv is refused naming the field; the daemon keeps running', async () => {
  const s = await simDaemon([]);
  try {
    for (const field of ['onStart', 'onStop'] as const) {
      const err = await s.daemon
        .putVf(VfPolicy.parse(vf({ [field]: ['/bin/echo', 'a\u0000b'] })), 'test')
        .then(
          () => null,
          (e: unknown) => e,
        );
      assert.ok(err instanceof DaemonError && err.kind === 'refused', `${field}: ${err}`);
      assert.ok(err.problems?.some((p) => p.field === `${field}.1`));
    }
    assert.equal(s.daemon.listVfs().length, 0, 'nothing was adopted');
    const r = await runHook(['/bin/echo', 'x\u0000'], {}, { timeoutMs: 1000 });
    assert.match(r.error ?? '', /NUL/, 'runHook itself refuses too (files can bypass the API)');
  } finally {
    await s.cleanup();
  }
});

test('hook programs others can write are refused with the fix; a trusted one is accepted', async () => {
  const dir = await trustedDir('trust-');
  const scratch = join(tmpdir(), `nicvisor-scratch-${process.pid}`);
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const s = await simDaemon([]);
  try {
    const good = await script(dir, 'good.sh', 'exit 0');
    const worldFile = await script(dir, 'world.sh', 'exit 0', 0o777);
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const inOpen = await script(open, 'x.sh', 'exit 0');
    const inTmp = await script(scratch, 'x.sh', 'exit 0');
    const cases: [string, RegExp, RegExp][] = [
      [worldFile, /writable by other users/, /chmod go-w/],
      [inOpen, /directory .*open is writable by other users/, /chmod go-w .*open/],
      [inTmp, /under \/tmp/, /move .* to a root-owned directory/],
    ];
    if (isRoot) {
      const foreign = await script(dir, 'foreign.sh', 'exit 0');
      await chown(foreign, 65534, 65534);
      cases.push([foreign, /owned by uid 65534/, /chown root/]);
    }
    for (const [file, what, fix] of cases) {
      const err = await s.daemon.putVf(VfPolicy.parse(vf({ onStart: [file] })), 'test').then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof DaemonError && err.kind === 'refused', `${file} accepted`);
      const p = err.problems?.find((x) => x.field === 'onStart.0');
      assert.ok(p, `${file}: no onStart.0 problem in ${err.message}`);
      assert.match(p.message, what);
      assert.match(p.fix, fix);
      assert.equal((await distrustProgram(file)) !== null, true);
    }
    assert.equal(s.daemon.listVfs().length, 0, 'nothing was adopted');
    await s.daemon.putVf(VfPolicy.parse(vf({ onStart: [good] })), 'test');
    assert.equal(await distrustProgram(good), null);
    assert.equal(await distrustProgram('/bin/sh'), null, 'system programs are trusted');
  } finally {
    await s.cleanup();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
});

test('a hook program made unsafe after it was accepted is not run', async () => {
  const dir = await trustedDir('later-');
  const marker = join(dir, 'ran');
  try {
    const f = await script(dir, 'h.sh', `touch ${marker}`);
    const hooks = new Hooks(silentLogger(), 2000, null);
    await chmod(f, 0o777);
    const r = await hooks.run('onStart', VfPolicy.parse(vf({ onStart: [f] })));
    assert.match(r?.error ?? '', /not run: .*writable by other users.*fix: chmod go-w/);
    assert.ok(!existsSync(marker), 'the program did not run');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failing or missing onStop hook never fails the DELETE nor skips the release', async () => {
  const dir = await trustedDir('stop-');
  const released: number[] = [];
  const s = await simDaemon([], { hookTimeoutMs: 2000 }, (d) => {
    const release = d.release.bind(d);
    d.release = (pf, i) => {
      released.push(i);
      return release(pf, i);
    };
    return d;
  });
  try {
    const fail = await script(dir, 'fail.sh', 'exit 7');
    const gone = await script(dir, 'gone.sh', 'exit 0');
    await s.daemon.putVf(VfPolicy.parse(vf({ name: 'a', vf: 1, onStop: [fail] })), 'test');
    await s.daemon.putVf(
      VfPolicy.parse(vf({ name: 'b', vf: 2, macs: ['02:00:00:00:dd:02'], onStop: [gone] })),
      'test',
    );
    await rm(gone);
    assert.deepEqual(await s.daemon.deleteVf('a', 'test'), { deleted: 'a' });
    assert.deepEqual(await s.daemon.deleteVf('b', 'test'), { deleted: 'b' });
    assert.deepEqual(released, [1, 2], 'both VFs were given back');
    assert.equal(s.daemon.listVfs().length, 0);
  } finally {
    await s.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a timed-out hook is killed with its whole process group', async () => {
  const dir = await trustedDir('group-');
  try {
    const pidFile = join(dir, 'pid');
    const r = await runHook(
      ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`],
      {},
      { timeoutMs: 300 },
    );
    assert.equal(r.timedOut, true);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await until(() => !running(pid), 5000, `the hook's child ${pid} to die`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a background child holding stdout does not hold the hook caller', async () => {
  const dir = await trustedDir('pipe-');
  const pidFile = join(dir, 'pid');
  try {
    // The child outlives the hook but not the timeout: waiting for the pipes to close would
    // answer only once it is gone.
    const r = await runHook(
      ['/bin/sh', '-c', `sleep 20 & echo $! > ${pidFile}; echo done`],
      {},
      { timeoutMs: 60_000 },
    );
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(running(pid), 'the answer came while the background child still held stdout');
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'done\n');
  } finally {
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
    if (pid > 0) spawnSync('kill', ['-9', String(pid)]);
    await rm(dir, { recursive: true, force: true });
  }
});

test('a dry run (POST /v1/validate) reports a hook program root may not run', async () => {
  const { buildApp } = await import('../../src/api/server.js');
  const s = await simDaemon([]);
  const app = buildApp(s.daemon, { mode: 'socket', adminToken: null }, 65536);
  try {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/validate',
      payload: { vfs: [{ ...vf({}), onStart: ['/tmp/x'] }] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { ok: boolean; problems: { field: string; message: string }[] };
    assert.equal(body.ok, false);
    assert.ok(body.problems.some((p) => p.field === 'onStart.0' && /\/tmp/.test(p.message)));
  } finally {
    await app.close();
    await s.cleanup();
  }
});

/**
 * Hooks run with execFile (argv, no shell), a timeout, a configured user, and their output
 * in the log; the daemon runs onStart after a new VF is configured and onStop before a
 * deleted VF is released.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Hooks, resolveHookUser, runHook } from '../../src/daemon/hooks.js';
import { createLogger } from '../../src/daemon/logger.js';
import { VfPolicy } from '../../src/model/index.js';
import { SPF0, simDaemon, until } from '../reliability/sim-daemon.js';
import { trustedDir } from '../reliability/trusted-dir.js';

const isRoot = process.getuid?.() === 0;

test('a hook that sleeps past the timeout is killed', async () => {
  const t0 = Date.now();
  const r = await runHook(['/bin/sleep', '10'], {}, { timeoutMs: 200 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL');
  assert.match(r.error ?? '', /killed after the 200 ms timeout/);
  assert.ok(Date.now() - t0 < 3000, `returned after ${Date.now() - t0} ms`);
});

test('shell metacharacters are passed literally (no shell)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-hook-'));
  const marker = join(dir, 'pwned');
  try {
    const args = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      `| tee ${marker}`,
      '&& echo *',
      '$HOME',
    ];
    const r = await runHook(['/bin/echo', ...args], {}, { timeoutMs: 2000 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${args.join(' ')}\n`, 'echo saw each argument verbatim');
    assert.ok(!existsSync(marker), 'nothing was interpreted');
    const env = await runHook(['/usr/bin/env'], { NICVISOR_VF_NAME: 'x' }, { timeoutMs: 2000 });
    assert.deepEqual(
      env.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0])
        .sort(),
      ['NICVISOR_VF_NAME', 'PATH'],
      'a minimal environment: none of the daemon’s variables leak',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hookUser resolves names and numbers; an unknown user is a configuration error', async () => {
  assert.deepEqual(await resolveHookUser('root'), { name: 'root', uid: 0, gid: 0 });
  assert.deepEqual(await resolveHookUser('1234:99'), { name: '1234:99', uid: 1234, gid: 99 });
  await assert.rejects(
    resolveHookUser('no-such-user-xyz'),
    /daemon.hookUser "no-such-user-xyz" does not exist/,
  );
});

test('a hook runs as the configured user', {
  skip: !isRoot && 'needs root to switch user',
}, async () => {
  const r = await runHook(
    ['/usr/bin/id', '-u'],
    {},
    { timeoutMs: 2000, user: { name: 'nobody', uid: 65534, gid: 65534 } },
  );
  assert.equal(r.stdout.trim(), '65534');
});

test('hook output goes to the log with the VF, the argv and the exit code', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(c, _e, cb) {
      lines.push(String(c));
      cb();
    },
  });
  const hooks = new Hooks(createLogger('info', sink), 2000, null);
  const policy = VfPolicy.parse({
    name: 'h1',
    pf: SPF0,
    vf: 3,
    onStart: ['/bin/sh', '-c', 'echo out-$NICVISOR_VF_NAME; echo err >&2; exit 3'],
  });
  const r = await hooks.run('onStart', policy);
  assert.equal(r?.code, 3);
  const entry = JSON.parse(lines.find((l) => l.includes('onStart hook of h1'))!);
  assert.equal(entry.stdout, 'out-h1\n');
  assert.equal(entry.stderr, 'err\n');
  assert.equal(entry.vf, 'h1');
  assert.equal(entry.level, 50, 'a failing hook is logged as an error');
});

test('the daemon runs onStart after a new VF is configured and onStop before it is released', async () => {
  // Not below /tmp: root runs no program from a directory every user can write to.
  const dir = await trustedDir('hookd-');
  const script = join(dir, 'hook.sh');
  const log = join(dir, 'hook.log');
  await writeFile(
    script,
    `#!/bin/sh\necho "$NICVISOR_EVENT $NICVISOR_VF_NAME $NICVISOR_PF $NICVISOR_VF_INDEX $1" >> ${log}\n`,
    { mode: 0o755 },
  );
  const s = await simDaemon([], { hookTimeoutMs: 2000 });
  try {
    await s.daemon.putVf(
      VfPolicy.parse({
        name: 'h',
        pf: SPF0,
        vf: 2,
        vlans: [10],
        macs: ['02:00:00:00:dd:00'],
        onStart: [script, 'up;reboot'],
        onStop: [script, 'down'],
      }),
      'test',
    );
    await until(() => existsSync(log), 3000, 'onStart');
    await s.daemon.deleteVf('h', 'test');
    const text = await readFile(log, 'utf8');
    assert.deepEqual(text.trim().split('\n'), [
      `onStart h ${SPF0} 2 up;reboot`,
      `onStop h ${SPF0} 2 down`,
    ]);
  } finally {
    await s.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

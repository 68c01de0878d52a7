/**
 * Files root should not trust are refused at start and on reload, the file named with the
 * fix, the way sshd refuses an authorized_keys others can write: a FIFO, a directory or a
 * huge file in `vfs/` (a FIFO used to wedge start-up, reload and every later PUT), a symlink
 * out of the state dir, a VF file others can write or another user owns, a `vfs/` others
 * can write, a main config others can write, a hook program under /tmp, a key given twice.
 * No message quotes a file's bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DaemonError } from '../../src/daemon/errors.js';
import type { Problem } from '../../src/model/index.js';
import { MAIN, procEnv } from './daemon-proc.js';
import { type SimDaemon, SPF0, simDaemon } from './sim-daemon.js';

const isRoot = process.getuid?.() === 0;
const GOOD = { name: 'good', pf: SPF0, vf: 0, vlans: [10], macs: ['02:00:00:00:aa:00'] };
const policy = (name: string, vf: number) => ({
  name,
  pf: SPF0,
  vf,
  vlans: [10],
  macs: [`02:00:00:00:ab:0${vf}`],
});

async function refusedReload(s: SimDaemon): Promise<Problem[]> {
  const err = await s.daemon.reload('test').then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof DaemonError && err.kind === 'refused', `reload accepted: ${err}`);
  return err.problems ?? [];
}

function named(problems: Problem[], file: string, what: RegExp, fix: RegExp): void {
  const p = problems.find((x) => x.file === file);
  assert.ok(p, `${file} not named in ${JSON.stringify(problems)}`);
  assert.match(p.message, what);
  assert.match(p.fix, fix);
}

test('a FIFO, a directory and an oversize file in vfs/ are refused by name; PUTs still answer', async () => {
  const s = await simDaemon([GOOD]);
  try {
    const vfs = join(s.stateDir, 'vfs');
    execFileSync('mkfifo', [join(vfs, 'fifo.json')]);
    await mkdir(join(vfs, 'dir.json'));
    await writeFile(join(vfs, 'big.json'), `{"name":"big",${' '.repeat(2 * 1024 * 1024)}}`);
    const problems = await refusedReload(s);
    named(problems, join(vfs, 'fifo.json'), /a FIFO, not a regular file/, /rm /);
    named(problems, join(vfs, 'dir.json'), /a directory, not a regular file/, /rmdir/);
    named(problems, join(vfs, 'big.json'), /bytes, more than the 1048576/, /shrink/);
    // The store is not wedged: a change still commits.
    await s.daemon.putVf({ ...GOOD, vlans: [11] } as never, 'test');
    assert.deepEqual(s.daemon.getVf('good').policy.vlans, [11]);
  } finally {
    await s.cleanup();
  }
});

test('a symlink out of the state dir is refused without quoting the target; one inside is fine', async () => {
  const s = await simDaemon([GOOD]);
  const outside = await mkdtemp(join(tmpdir(), 'nicvisor-secret-'));
  try {
    const vfs = join(s.stateDir, 'vfs');
    const secret = join(outside, 'secret');
    await writeFile(secret, 'SECRET-TOKEN-0123456789');
    await symlink(secret, join(vfs, 'leak.json'));
    const problems = await refusedReload(s);
    named(
      problems,
      join(vfs, 'leak.json'),
      /is a symlink to .* outside /,
      /cp --remove-destination/,
    );
    assert.ok(!JSON.stringify(problems).includes('SECRET'), 'no byte of the target is shown');
    await rm(join(vfs, 'leak.json'));
    // A symlink that stays inside the state dir is the operator's business.
    await mkdir(join(s.stateDir, 'kept'));
    await writeFile(join(s.stateDir, 'kept', 'b.json'), JSON.stringify(policy('b', 1)));
    await symlink(join(s.stateDir, 'kept', 'b.json'), join(vfs, 'b.json'));
    const r = await s.daemon.reload('test');
    assert.deepEqual(r.added, ['b']);
  } finally {
    await s.cleanup();
    await rm(outside, { recursive: true, force: true });
  }
});

test('a syntax error names the place and the field, never the bytes', async () => {
  const s = await simDaemon([GOOD]);
  try {
    const file = join(s.stateDir, 'vfs', 'x.json');
    await writeFile(file, '{"name":"x","vf": SECRET-TOKEN}');
    const problems = await refusedReload(s);
    const p = problems.find((x) => x.file === file)!;
    assert.match(p.message, /invalid JSON: syntax error at line 1, column 19 \(near key vf\)/);
    assert.ok(!JSON.stringify(problems).includes('SECRET'));
  } finally {
    await s.cleanup();
  }
});

test('VF files others can write or own, and a vfs/ others can write, are refused with the fix', async () => {
  const s = await simDaemon([GOOD]);
  try {
    const vfs = join(s.stateDir, 'vfs');
    const open = join(vfs, 'open.json');
    await writeFile(open, JSON.stringify(policy('open', 1)));
    await chmod(open, 0o666);
    const expect: [string, RegExp, RegExp][] = [
      [open, /VF policy file .* is writable by other users \(mode 0666\)/, /chmod go-w /],
    ];
    if (isRoot) {
      const foreign = join(vfs, 'foreign.json');
      await writeFile(foreign, JSON.stringify(policy('foreign', 2)));
      await chown(foreign, 65534, 65534);
      expect.push([foreign, /owned by uid 65534/, /chown root /]);
    }
    let problems = await refusedReload(s);
    for (const [f, what, fix] of expect) named(problems, f, what, fix);
    await rm(open);
    await rm(join(vfs, 'foreign.json'), { force: true });
    await chmod(vfs, 0o777);
    problems = await refusedReload(s);
    named(problems, vfs, /directory .*vfs is writable by other users \(mode 0777\)/, /chmod go-w/);
    await chmod(vfs, 0o750);
    await s.daemon.reload('test');
  } finally {
    await s.cleanup();
  }
});

test('a hook program under /tmp and a key given twice in a file are refused on reload', async () => {
  const s = await simDaemon([GOOD]);
  try {
    const vfs = join(s.stateDir, 'vfs');
    await writeFile(
      join(vfs, 'hook.json'),
      JSON.stringify({ ...policy('hook', 1), onStart: ['/tmp/x'] }),
    );
    await writeFile(
      join(vfs, 'twice.json'),
      '{"name":"twice","pf":"sim:nic0/0","vf":2,"vlans":[10],"macs":["02:00:00:00:ab:02"],"trust":false,"trust":true}',
    );
    const problems = await refusedReload(s);
    const hook = problems.find((p) => p.file === join(vfs, 'hook.json'));
    assert.equal(hook?.field, 'onStart.0');
    assert.match(hook.message, /\/tmp/);
    const twice = problems.find((p) => p.file === join(vfs, 'twice.json'));
    assert.equal(twice?.field, 'trust');
    assert.match(twice.message, /key "trust" twice/);
  } finally {
    await s.cleanup();
  }
});

function serveOnce(configFile: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, 'serve', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.stderr.on('data', (d) => {
      out += d;
    });
    c.on('exit', (code) => resolve({ code, out }));
  });
}

test('the real daemon refuses to start on a FIFO in vfs/ or a main config others can write', async () => {
  const env = await procEnv();
  try {
    execFileSync('mkfifo', [join(env.stateDir, 'vfs', 'f.json')]);
    const fifo = await serveOnce(env.configFile);
    assert.equal(fifo.code, 1);
    assert.match(fifo.out, /f\.json: \(file\): .*a FIFO, not a regular file/);
    await rm(join(env.stateDir, 'vfs', 'f.json'));
    await chmod(env.configFile, 0o666);
    const main = await serveOnce(env.configFile);
    assert.equal(main.code, 1);
    assert.match(main.out, /main config .* is writable by other users \(mode 0666\).*chmod go-w/);
  } finally {
    await rm(env.dir, { recursive: true, force: true });
  }
});

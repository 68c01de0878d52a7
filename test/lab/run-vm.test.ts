// test/lab/boot/run-vm.sh without a VM: a stand-in qemu-system-x86_64 on PATH reports
// whether LABVM_LOCK was held while it "ran" and ends the boot with the guest's exit status,
// so the lock handling and the exit status are checked on any machine in a second. It also
// keeps the guest's command script, which is then run with a stand-in `mount` (--cached).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../drivers/linux/fixtures.js';

const runVm = join(repoRoot(), 'test/lab/boot/run-vm.sh');
const dir = mkdtempSync(join(tmpdir(), 'nicvisor-run-vm-'));
const lock = join(dir, 'lab.lock');
const seen = join(dir, 'seen');

// The control folder is the -virtfs path tagged labvmctl; the guest's init writes rc there.
const fakeQemu = `#!/bin/bash
for a in "$@"; do case $a in local,path=*,mount_tag=labvmctl,*) ctl=\${a#local,path=}; ctl=\${ctl%%,*};; esac; done
if flock -n "${lock}" true; then echo free > "${seen}"; else echo held > "${seen}"; fi
cp "$ctl/cmd.sh" "${dir}/cmd.sh"
echo "\${FAKE_RC:-0}" > "$ctl/rc"
`;
writeFileSync(join(dir, 'qemu-system-x86_64'), fakeQemu);
chmodSync(join(dir, 'qemu-system-x86_64'), 0o755);
writeFileSync(join(dir, 'initrd.img'), '');
writeFileSync(join(dir, 'guest.sh'), 'exit 0\n');

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { LABVM_LOCK: _, ...rest } = process.env;
  return { ...rest, PATH: `${dir}:${process.env.PATH}`, ...extra };
}
const args = ['-v', dir, '-s', dir, '--accel', 'tcg', join(dir, 'guest.sh')];

// GNU timeout kills its whole process group, so a deadlocked run (flock inside run-vm.sh
// waiting on its own caller) ends instead of hanging the suite or lingering.
const guard = ['timeout', '-k', '2', '30'];

function run(extra: Record<string, string>, wrap: string[] = []) {
  return spawnSync(guard[0], [...guard.slice(1), ...wrap, runVm, ...args], {
    env: env(extra),
    encoding: 'utf8',
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 1500) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', resolve));
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('run-vm.sh LABVM_LOCK (stand-in QEMU)', () => {
  it('without LABVM_LOCK takes no lock and exits with the guest status', () => {
    const r = run({ FAKE_RC: '7' });
    assert.equal(r.status, 7, r.stderr);
    assert.equal(readFileSync(seen, 'utf8').trim(), 'free');
  });

  it('holds the lock while QEMU runs', () => {
    const r = run({ LABVM_LOCK: lock });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(seen, 'utf8').trim(), 'held');
  });

  it('does not wait for a lock its caller already holds (flock FILE … run-vm.sh)', () => {
    const r = run({ LABVM_LOCK: lock }, ['flock', lock]);
    assert.equal(r.status, 0, `status ${r.status}, signal ${r.signal}: ${r.stderr}`);
    assert.equal(readFileSync(seen, 'utf8').trim(), 'held');
  });

  it('waits, saying so, while another process holds it, and boots once it is free', {
    timeout: 60_000,
  }, async () => {
    rmSync(seen, { force: true });
    // holds the lock until its stdin closes
    const holder = spawn('bash', ['-c', `exec 9>>"${lock}"; flock 9; echo locked; read`]);
    let held = false;
    holder.stdout.once('data', () => {
      held = true;
    });
    await until(() => held, 'the holder to take the lock');
    const vm = spawn(guard[0], [...guard.slice(1), runVm, ...args], {
      env: env({ LABVM_LOCK: lock }),
    });
    let stderr = '';
    vm.stderr.on('data', (c) => {
      stderr += c;
    });
    await until(() => stderr.includes('waiting for'), 'run-vm.sh to say it waits');
    assert.throws(() => readFileSync(seen), 'QEMU did not start while the lock was taken');
    const released = exited(holder);
    const vmDone = exited(vm);
    holder.stdin.end();
    await released;
    assert.equal(await vmDone, 0, stderr);
    assert.match(stderr, new RegExp(`waiting for ${lock} \\(another lab VM is running\\)`));
    assert.equal(readFileSync(seen, 'utf8').trim(), 'held');
  });
});

describe('run-vm.sh --cached (the guest command script, stand-in mount)', () => {
  const share = join(dir, 'share');
  const stubs = join(dir, 'stubs');
  const calls = join(dir, 'mount-calls');
  mkdirSync(join(share, 'dist'), { recursive: true });
  mkdirSync(join(share, 'real-modules'));
  symlinkSync(join(share, 'real-modules'), join(share, 'node_modules'));
  mkdirSync(stubs);
  // mount logs its arguments; FAIL_ON=WORD makes the call whose arguments contain WORD fail
  writeFileSync(
    join(stubs, 'mount'),
    `#!/bin/bash\necho "$*" >> "${calls}"\n[ -n "\${FAIL_ON:-}" ] && [[ "$*" == *"$FAIL_ON"* ]] && exit 32\nexit 0\n`,
  );
  writeFileSync(join(stubs, 'umount'), `#!/bin/bash\necho "umount $*" >> "${calls}"\n`);
  writeFileSync(join(stubs, 'mkdir'), '#!/bin/bash\nexit 0\n');
  chmodSync(join(stubs, 'umount'), 0o755);
  chmodSync(join(stubs, 'mount'), 0o755);
  chmodSync(join(stubs, 'mkdir'), 0o755);

  /** Boots the stand-in with `opts`, then runs the guest's command script; its mount calls. */
  function guest(opts: string[], failOn = '') {
    rmSync(calls, { force: true });
    const boot = spawnSync(
      guard[0],
      [...guard.slice(1), runVm, '-v', dir, '-s', share, ...opts, join(dir, 'guest.sh')],
      { env: env({}), encoding: 'utf8', cwd: share },
    );
    assert.equal(boot.status, 0, boot.stderr);
    const r = spawnSync('bash', [join(dir, 'cmd.sh')], {
      env: { ...process.env, PATH: `${stubs}:${process.env.PATH}`, FAIL_ON: failOn },
      encoding: 'utf8',
    });
    const log = (() => {
      try {
        return readFileSync(calls, 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    })();
    return { status: r.status, stderr: r.stderr, calls: log };
  }

  it('by default serves SHARE/dist read-only from the cached root, leaving a symlink alone', () => {
    const g = guest([]);
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(g.calls, [
      '--bind / /run/labvm-root',
      `--bind /run/labvm-root${share}/dist ${share}/dist`,
      `-o remount,bind,ro ${share}/dist`,
      // after SCRIPT, so that init can unmount the share
      `umount -l ${share}/dist`,
      'umount -l /run/labvm-root',
    ]);
  });

  it("exits with SCRIPT's status after unmounting", () => {
    writeFileSync(join(dir, 'guest.sh'), 'exit 5\n');
    try {
      const g = guest([]);
      assert.equal(g.status, 5, g.stderr);
      assert.equal(g.calls.at(-1), 'umount -l /run/labvm-root');
    } finally {
      writeFileSync(join(dir, 'guest.sh'), 'exit 0\n');
    }
  });

  it('--cached DIR replaces the default list; a missing DIR is skipped', () => {
    mkdirSync(join(share, 'fixtures'), { recursive: true });
    const g = guest(['--cached', 'fixtures', '--cached', 'absent']);
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(g.calls.slice(1, -2), [
      `--bind /run/labvm-root${share}/fixtures ${share}/fixtures`,
      `-o remount,bind,ro ${share}/fixtures`,
    ]);
  });

  it('--uncached mounts nothing', () => {
    const g = guest(['--uncached']);
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(g.calls, []);
  });

  it('a failed bind stops the guest before SCRIPT with 253, naming the folder', () => {
    const g = guest([], 'remount');
    assert.equal(g.status, 253);
    assert.match(g.stderr, new RegExp(`cannot serve ${share}/dist from the cached root`));
  });
});

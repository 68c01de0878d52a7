// Host side of the lab: boots the lab VM once per device (netdevsim, then the emulated
// igb) and runs the linux driver's tests inside (test/lab/run-lab.sh). Skips, saying why,
// when not root, when QEMU or the lab scripts are missing, or inside the VM itself.
// NICVISOR_SKIP_LAB=1 skips it on purpose (about a minute under TCG emulation).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../drivers/linux/fixtures.js';

const repo = repoRoot();
const vmDir = process.env.NICVISOR_LABVM ?? '/var/cache/nicvisor-labvm';
const labScripts = process.env.NICVISOR_LAB_SCRIPTS ?? join(repo, '../shared/lab');

function hasQemu(): boolean {
  return spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' }).status === 0;
}

function skipReason(): string | false {
  if (process.env.NICVISOR_LAB) return 'already inside the lab VM';
  if (process.env.NICVISOR_SKIP_LAB) return 'NICVISOR_SKIP_LAB is set';
  if (process.getuid?.() !== 0) return 'not root (the lab VM needs root to build and boot)';
  if (!existsSync(join(labScripts, 'run-vm.sh'))) return `no lab scripts in ${labScripts}`;
  if (!hasQemu())
    return 'qemu-system-x86_64 is not installed (../shared/lab/build-vm.sh installs it)';
  return false;
}

describe('linux driver in the lab VM', { skip: skipReason() }, () => {
  it('builds the VM (cached) and passes on netdevsim and igb', { timeout: 20 * 60 * 1000 }, () => {
    const build = spawnSync(join(labScripts, 'build-vm.sh'), [vmDir], { stdio: 'inherit' });
    assert.equal(build.status, 0, 'build-vm.sh failed');
    const r = spawnSync(join(repo, 'test/lab/run-lab.sh'), [vmDir], {
      cwd: repo,
      encoding: 'utf8',
    });
    const out = `${r.stdout}${r.stderr}`;
    for (const line of out.split('\n'))
      if (/^(== lab|\s*[✔✖]|# |run-vm\.sh:)/.test(line))
        console.log(`lab: ${line.replace(/^# /, '')}`);
    assert.equal(r.status, 0, `lab run failed:\n${out.slice(-4000)}`);
  });
});

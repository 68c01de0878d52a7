// Host side of the lab: builds the lab VM (test/lab/image/build-vm.sh, cached) and boots it
// once per device (netdevsim, then the emulated igb) to run the linux driver's tests inside
// (test/lab/run-lab.sh). Skips, saying why, when not root, not on Debian, or inside the VM
// itself. NICVISOR_SKIP_LAB=1 skips it on purpose (about two minutes under TCG emulation);
// LABVM_LOCK=FILE makes each boot wait for other checkouts' VMs (test/lab/boot/run-vm.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../drivers/linux/fixtures.js';

const repo = repoRoot();

function skipReason(): string | false {
  if (process.env.NICVISOR_LAB) return 'already inside the lab VM';
  if (process.env.NICVISOR_SKIP_LAB) return 'NICVISOR_SKIP_LAB is set';
  if (process.getuid?.() !== 0) return 'not root (the lab VM needs root to build and boot)';
  if (!existsSync('/etc/debian_version'))
    return 'not Debian (test/lab/image/build-vm.sh installs QEMU and the kernel with apt)';
  return false;
}

describe('linux driver in the lab VM', { skip: skipReason() }, () => {
  it('builds the VM (cached) and passes on netdevsim and igb', { timeout: 55 * 60 * 1000 }, () => {
    const build = spawnSync(join(repo, 'test/lab/image/build-vm.sh'), { stdio: 'inherit' });
    assert.equal(build.status, 0, 'test/lab/image/build-vm.sh failed');
    // One stream (stderr into stdout) so each boot's "run-vm.sh: …, exit N" stays in its section.
    const r = spawnSync('bash', ['-c', 'exec "$0" 2>&1', join(repo, 'test/lab/run-lab.sh')], {
      cwd: repo,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const out = r.stdout ?? '';
    for (const line of out.split('\n'))
      if (/^(== lab|\s*[✔✖]|# |run-vm\.sh:)/.test(line))
        console.log(`lab: ${line.replace(/^# /, '')}`);
    assert.equal(r.status, 0, `lab run failed:\n${failedBoots(out)}`);
  });
});

/** What each failed boot printed in node's "failing tests" summaries (a boot runs several
 * `node --test`, each with its own), or its last 6000 characters when it has none (a boot
 * that hung or broke before its tests ended), so the failure reads in the assertion whichever
 * boot it was in. */
function failedBoots(out: string): string {
  const parts: string[] = [];
  for (const section of out.split(/^(?=== lab VM: )/m)) {
    const exit = /^run-vm\.sh: .*, exit (\S+)$/m.exec(section)?.[1];
    if (exit === '0' || !section.startsWith('== lab VM: ')) continue;
    const lines = section.split('\n');
    const summaries: string[] = [];
    for (let at = lines.indexOf('✖ failing tests:'); at >= 0; ) {
      // A summary runs until the next run's first top-level line, or the boot's own lines.
      let end = at + 1;
      while (end < lines.length && !/^(▶ |✔ |run-vm\.sh:|LABVM_EXIT=)/.test(lines[end])) end++;
      summaries.push(lines.slice(at, end).join('\n'));
      at = lines.indexOf('✖ failing tests:', end);
    }
    const body = summaries.length > 0 ? summaries.join('\n') : section.slice(-6000);
    parts.push(
      `${lines[0]} (exit ${exit ?? 'unknown'})\n${body.length > 12000 ? `${body.slice(0, 12000)}\n[…]` : body}`,
    );
  }
  return parts.length > 0 ? parts.join('\n') : out.slice(-4000);
}

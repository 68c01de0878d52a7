/**
 * A nearly full disk, for real: the state dir on a small tmpfs (needs root to mount it),
 * filled to leave 0, 1, 2, … pages free. Every change is either refused with nothing adopted
 * (an `unavailable` error, the running state and, after a restart, the files as before) or
 * acknowledged and applied (the NIC programmed, and the change still there after a restart
 * once space is back). Never a 500 after adopting, never a change that appears only later.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { DaemonError } from '../../src/daemon/errors.js';
import type { Daemon } from '../../src/daemon/service.js';
import { VfPolicy } from '../../src/model/index.js';
import { policies, startHarness } from '../daemon/harness.js';

const run = promisify(execFile);
const PAGE = 4096;
const isRoot = process.getuid?.() === 0;

/** Fill the file system at `mnt` until `pages` pages are free. */
async function fill(mnt: string, pages: number): Promise<void> {
  const filler = join(mnt, 'filler');
  await unlink(filler).catch(() => {});
  const s = await statfs(mnt);
  const free = s.bavail * s.bsize;
  await writeFile(filler, Buffer.alloc(Math.max(0, free - pages * PAGE)));
}

function policiesOf(d: Daemon): Record<string, string> {
  return Object.fromEntries(d.listVfs().map((v) => [v.name, JSON.stringify(v.policy)]));
}

/** Round k: a change of three VFs at once (even k) or a PUT of one (odd k). */
async function change(d: Daemon, k: number): Promise<Record<string, string>> {
  const base = Object.fromEntries(policies.map((p) => [p.name, p]));
  const next = (name: string, vlan: number) =>
    VfPolicy.parse({
      ...base[name],
      vlans: [vlan],
      ...(name === 'db-1' ? { untagged: false } : {}),
    });
  if (k % 2 === 0) {
    const vfs = [next('web-1', 300 + k), next('web-2', 400 + k), next('db-1', 500 + k)];
    await d.apply({ vfs, delete: [] }, 'admin');
    return Object.fromEntries(vfs.map((v) => [v.name, JSON.stringify(v)]));
  }
  const p = next('web-2', 600 + k);
  await d.putVf(p, 'admin');
  return { [p.name]: JSON.stringify(p) };
}

test('a nearly full disk: a change is refused with nothing adopted, or acknowledged and applied', {
  skip: isRoot ? false : 'needs root to mount a small tmpfs for the state dir',
}, async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'nicvisor-enospc-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt]);
  } catch (err) {
    await rm(mnt, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here: ${(err as Error).message}`);
    return;
  }
  const audit = await mkdtemp(join(tmpdir(), 'nicvisor-enospc-audit-'));
  const h = await startHarness({
    stateDir: join(mnt, 'state'),
    daemon: { auditLog: { path: join(audit, 'audit.log') } },
  });
  const seen = { refused: 0, acked: 0 };
  try {
    for (let k = 0; k < 24; k++) {
      const pages = k >> 1;
      const before = policiesOf(h.daemon);
      await fill(mnt, pages);
      let want = before;
      try {
        const made = await change(h.daemon, k);
        seen.acked += 1;
        want = { ...before, ...made };
        assert.deepEqual(policiesOf(h.daemon), want, `round ${k}: acknowledged, not adopted`);
        for (const name of Object.keys(made))
          assert.equal(
            h.daemon.getVf(name).status.syncState,
            'in-sync',
            `round ${k} (${pages} pages free): ${name} acknowledged but not applied`,
          );
      } catch (err) {
        const e = err as DaemonError;
        assert.equal(e.kind, 'unavailable', `round ${k} (${pages} pages free): ${e.stack}`);
        assert.match(e.message, /ENOSPC.*nothing was changed; free space/);
        seen.refused += 1;
        assert.deepEqual(policiesOf(h.daemon), before, `round ${k}: refused, yet adopted`);
      }
      await unlink(join(mnt, 'filler'));
      const d = await h.restart();
      assert.deepEqual(policiesOf(d), want, `round ${k} (${pages} pages free): after a restart`);
    }
    t.diagnostic(`${seen.acked} acknowledged, ${seen.refused} refused`);
    assert.ok(seen.refused > 0, 'no round was refused: the disk was never full enough');
    assert.ok(seen.acked > 0, 'no round was acknowledged');
  } finally {
    await h.daemon.stop();
    await run('umount', [mnt]).catch(() => {});
    await rm(mnt, { recursive: true, force: true });
    await rm(audit, { recursive: true, force: true });
    await rm(h.dir, { recursive: true, force: true });
  }
});

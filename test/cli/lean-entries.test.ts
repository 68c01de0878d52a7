// The CNI plugin and the libvirt hook start as a fresh node process for every container
// and every libvirt port: they must load only node's builtins and a handful of our files
// (no zod, no commander, no model), and an installed copy of that set must run on its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { closureOf, installLean, LEAN_ENTRIES } from '../lab/vm/lean-install.js';
import { ROOT } from './run.js';

const DIST = join(ROOT, 'dist');

for (const [name, entry] of Object.entries(LEAN_ENTRIES))
  test(`${name} (${entry}) loads node builtins and at most 8 of our modules`, () => {
    const c = closureOf(DIST, entry);
    assert.deepEqual(
      c.external.filter((s) => !s.startsWith('node:')),
      [],
      `${entry} imports packages`,
    );
    assert.ok(c.files.length <= 8, `${entry} loads ${c.files.length} files: ${c.files.join(', ')}`);
    assert.ok(
      !c.files.some((f) => f.startsWith('src/model/') || f.startsWith('src/daemon/')),
      c.files.join(', '),
    );
  });

test('the closure walker follows imports (the full CLI pulls in packages and the model)', () => {
  const c = closureOf(DIST, 'src/cli/main.js');
  assert.ok(c.external.includes('commander'), c.external.join(', '));
  assert.ok(c.files.some((f) => f.startsWith('src/model/')));
});

test('an installed copy of the lean programs runs on its own', () => {
  const dest = mkdtempSync(join(tmpdir(), 'nicvisor-lean-'));
  try {
    const bin = installLean(DIST, dest);
    const v = spawnSync(process.execPath, [bin.cni], {
      env: { CNI_COMMAND: 'VERSION' },
      encoding: 'utf8',
    });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout).cniVersion, '1.0.0');
    const h = spawnSync(process.execPath, [bin.hook, 'default', 'started', 'begin', '-'], {
      encoding: 'utf8',
    });
    assert.equal(h.status, 0, h.stderr);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

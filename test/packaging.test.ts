import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { defaultCapabilityMap } from '../src/model/default-capabilities.js';
import { MainConfig } from '../src/model/index.js';
import { validate } from '../src/policy/validate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('the sample main config and VF policy validate as a whole', async () => {
  const mainFile = join(root, 'packaging/nicvisor.json');
  const main = JSON5.parse(await readFile(mainFile, 'utf8'));
  const config = MainConfig.parse(main);
  assert.equal(config.driver, 'linux');
  assert.equal(config.daemon.socket, '/run/nicvisor/nicvisor.sock');
  const vfFile = join(root, 'packaging/vfs/web-1.json');
  const vf = JSON.parse(await readFile(vfFile, 'utf8'));
  const r = validate(
    { file: mainFile, data: main },
    [{ file: vfFile, data: vf }],
    defaultCapabilityMap(config),
  );
  assert.deepEqual(r.problems, []);
});

test('the systemd unit reloads with SIGHUP and keeps /sys writable', async () => {
  const unit = await readFile(join(root, 'packaging/systemd/nicvisor.service'), 'utf8');
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/nicvisor serve --config \/etc\/nicvisor\/nicvisor.json$/m,
  );
  assert.doesNotMatch(unit, /^ProtectKernelTunables=yes/m, 'sriov_numvfs is under /sys');
  assert.match(unit, /^ProtectSystem=strict$/m);
  assert.match(unit, /^RuntimeDirectory=nicvisor$/m);
});

test('the runtime directory has one owner, and the socket group can enter it', async () => {
  const unit = await readFile(join(root, 'packaging/systemd/nicvisor.service'), 'utf8');
  const tmpfiles = await readFile(join(root, 'packaging/tmpfiles.d/nicvisor.conf'), 'utf8');
  const sysusers = await readFile(join(root, 'packaging/sysusers.d/nicvisor.conf'), 'utf8');
  const main = JSON5.parse(await readFile(join(root, 'packaging/nicvisor.json'), 'utf8'));
  // systemd recreates a RuntimeDirectory= as root:root on each start; the unit hands it to
  // the socket group before the daemon runs, and tmpfiles.d does not also manage it.
  assert.match(unit, /^RuntimeDirectoryMode=0750$/m);
  assert.match(unit, /^ExecStartPre=\+\/bin\/chgrp nicvisor \/run\/nicvisor$/m);
  assert.doesNotMatch(tmpfiles, /^\s*d\s+\/run\/nicvisor/m);
  assert.match(sysusers, /^g nicvisor -$/m);
  assert.equal(main.daemon.socketGroup, 'nicvisor');
  assert.equal(main.daemon.socket, '/run/nicvisor/nicvisor.sock');
});

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missingTools = ['dpkg-deb', 'systemd-analyze', 'npm'].filter((t) => !has(t));

/**
 * The documented install path: `npm run deb` builds a .deb; unpacked into an empty root it
 * has the command, its dependencies, the unit (which `systemd-analyze verify` accepts with
 * that command and man page), tmpfiles/sysusers, bash and zsh completion and the man page.
 */
test('the .deb puts the command, unit, completion and man page where they belong', {
  skip:
    missingTools.length > 0 &&
    `${missingTools.join(', ')} not installed (apt-get install dpkg systemd)`,
}, async () => {
  const work = await mkdtemp(join(tmpdir(), 'nicvisor-deb-'));
  try {
    const build = spawnSync(join(root, 'packaging/build-deb.sh'), [work], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const deb = build.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(deb, /nicvisor_0\.1\.0_[a-z0-9]+\.deb$/);
    const r = join(work, 'root');
    assert.equal(spawnSync('dpkg-deb', ['-x', deb, r]).status, 0);
    for (const path of [
      'usr/bin/nicvisor',
      'lib/systemd/system/nicvisor.service',
      'usr/lib/tmpfiles.d/nicvisor.conf',
      'usr/lib/sysusers.d/nicvisor.conf',
      'usr/share/bash-completion/completions/nicvisor',
      'usr/share/zsh/vendor-completions/_nicvisor',
      'usr/share/man/man1/nicvisor.1.gz',
      'usr/share/doc/nicvisor/README.md',
      'usr/share/doc/nicvisor/examples/nicvisor.json',
    ])
      assert.ok(existsSync(join(r, path)), path);
    const nv = (...args: string[]) =>
      spawnSync(join(r, 'usr/bin/nicvisor'), args, { encoding: 'utf8' });
    assert.equal(nv('--version').stdout, '0.1.0\n');
    const examples = join(r, 'usr/share/doc/nicvisor/examples');
    const v = nv('validate', join(examples, 'nicvisor.json'), join(examples, 'vfs'));
    assert.equal(v.status, 0, v.stderr);
    // The unit as installed, with ExecStart pointing into the unpacked root.
    const unitDir = join(work, 'unit');
    await mkdir(unitDir);
    const unit = await readFile(join(r, 'lib/systemd/system/nicvisor.service'), 'utf8');
    await writeFile(
      join(unitDir, 'nicvisor.service'),
      unit.replaceAll('/usr/bin/nicvisor', join(r, 'usr/bin/nicvisor')),
    );
    const verify = spawnSync('systemd-analyze', ['verify', join(unitDir, 'nicvisor.service')], {
      encoding: 'utf8',
      env: { ...process.env, MANPATH: join(r, 'usr/share/man') },
    });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', 'systemd-analyze verify has no complaint');
    const man = spawnSync(
      'sh',
      ['-c', `zcat ${join(r, 'usr/share/man/man1/nicvisor.1.gz')} | head -1`],
      {
        encoding: 'utf8',
      },
    );
    assert.match(man.stdout, /^\.TH NICVISOR 1 /);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

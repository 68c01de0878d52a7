import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
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

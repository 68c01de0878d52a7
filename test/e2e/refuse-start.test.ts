import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAIN, makeEnv } from './kit.js';

test('serve refuses to start on an invalid store, listing every problem, exit 1', async () => {
  const env = await makeEnv();
  try {
    await writeFile(
      join(env.vfsDir, 'a.json'),
      JSON.stringify({ name: 'a', pf: 'sim:nic0/0', vf: 0, vlans: [0] }),
    );
    await writeFile(
      join(env.vfsDir, 'b.json'),
      JSON.stringify({ name: 'x', pf: 'sim:nic0/9', vf: 1 }),
    );
    await writeFile(join(env.vfsDir, 'c.json'), '{"name": "c",');
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [MAIN, 'serve', '--config', env.configFile],
        (err, _out, stderr) => {
          resolve({ code: err ? Number(err.code) : 0, stderr });
        },
      );
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nicvisor: 3 problems:/);
    assert.match(r.stderr, /a\.json: vlans\.0: .*vlan 0/);
    assert.match(r.stderr, /b\.json: name: policy name "x" does not match file b\.json/);
    assert.match(r.stderr, /c\.json: \(document\): invalid JSON/);
    assert.equal(existsSync(env.socket), false, 'no API socket was opened');
  } finally {
    await rm(env.dir, { recursive: true, force: true });
  }
});

/**
 * Starting on configuration files that do not validate: with nothing ever committed the
 * daemon refuses to start, listing every problem; with a committed configuration it starts
 * on that one and reports the refused files (health, show, metrics, log) until a reload
 * accepts a fix.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import { cli, MAIN, makeEnv, serve } from './kit.js';

/** GET a text resource over the daemon's socket. */
function text(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('serve refuses to start on an invalid store with nothing committed, listing every problem', async () => {
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
    assert.match(r.stderr, /nicvisor: 4 problems:/);
    assert.match(r.stderr, /a\.json: vlans\.0: .*vlan 0/);
    assert.match(r.stderr, /b\.json: name: .*name "x" does not match its file name b\.json/);
    assert.match(r.stderr, /b\.json: pf: .*PF sim:nic0\/9 is not in the main config's pfs/);
    assert.match(r.stderr, /c\.json: \(document\): invalid JSON/);
    assert.equal(existsSync(env.socket), false, 'no API socket was opened');
  } finally {
    await rm(env.dir, { recursive: true, force: true });
  }
});

test('a hand-edited invalid file: the restart runs the last committed configuration and says so', async () => {
  const env = await makeEnv();
  const web = { name: 'web', pf: 'sim:nic0/0', vf: 0, vlans: [100], macs: ['02:00:00:00:00:01'] };
  await writeFile(join(env.vfsDir, 'web.json'), JSON.stringify(web));
  let d = await serve(env);
  const stop = async () => {
    d.child.kill('SIGTERM');
    await d.exited;
  };
  try {
    await stop();
    // The operator breaks the file by hand (a VLAN out of range) and the host restarts.
    await writeFile(join(env.vfsDir, 'web.json'), JSON.stringify({ ...web, vlans: [5000] }));
    d = await serve(env);
    const api = new ApiClient({ socket: env.socket });
    try {
      const h = await api.health();
      assert.equal(h.status, 'degraded');
      assert.deepEqual(h.refused?.files, [join(env.vfsDir, 'web.json')]);
      assert.equal((await api.vf('web')).policy.vlans[0], 100, 'the committed policy runs');
      assert.equal((await api.vf('web')).status.syncState, 'in-sync');
      const show = await cli(env, 'show', 'vfs');
      assert.equal(show.code, 0);
      assert.match(show.stderr, /runs its last committed configuration/);
      assert.match(show.stderr, /web\.json: vlans\.0: .*vlan 5000 is out of range/);
      assert.match(await text(env.socket, '/metrics'), /^nicvisor_config_refused_files 1$/m);
      assert.match(d.stderr(), /configuration files refused: running the last committed/);
      // A reload that accepts a fix ends it.
      await writeFile(join(env.vfsDir, 'web.json'), JSON.stringify({ ...web, vlans: [200] }));
      assert.deepEqual((await api.reload()).changed, ['web']);
      const after = await api.health();
      assert.deepEqual([after.status, after.refused], ['ok', null]);
      const record = JSON.parse(await readFile(join(env.stateDir, 'committed.json'), 'utf8'));
      assert.deepEqual(record.vfs.web.vlans, [200], 'the fix is the new committed configuration');
    } finally {
      api.close();
    }
  } finally {
    await stop();
    await rm(env.dir, { recursive: true, force: true });
  }
});

/**
 * End to end: the real daemon (`nicvisor serve`, spawned) driven by the real CLI and by
 * real HTTP over its Unix socket, on a temp config and state dir with the sim NIC.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import type { VfView } from '../../src/model/index.js';
import { snapshotFiles, until } from '../daemon/harness.js';
import { cli, type Env, makeEnv, type Served, serve } from './kit.js';

let env: Env;
let d: Served;
let api: ApiClient;

const policies = {
  'web-1': {
    name: 'web-1',
    pf: 'sim:nic0/0',
    vf: 0,
    vlans: [100],
    macs: ['02:00:00:00:00:01'],
    guestMacs: 1,
  },
  'web-2': { name: 'web-2', pf: 'sim:nic0/0', vf: 1, vlans: [100], macs: ['02:00:00:00:00:02'] },
  tap: { name: 'tap', pf: 'sim:nic0/0', vf: 2, vlans: [100], macs: ['02:00:00:00:00:03'] },
  'db-1': {
    name: 'db-1',
    pf: 'sim:nic0/1',
    vf: 0,
    untagged: true,
    macs: ['02:00:00:00:00:04'],
    maxTxRate: 1000,
  },
};

before(async () => {
  env = await makeEnv();
  d = await serve(env);
  api = new ApiClient({ socket: env.socket });
});

after(async () => {
  api.close();
  d.child.kill('SIGTERM');
  assert.equal(await d.exited, 0, 'SIGTERM stops cleanly with exit 0');
  await rm(env.dir, { recursive: true, force: true });
});

async function vf(name: string): Promise<VfView> {
  const r = await cli(env, 'show', name, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as VfView;
}

test('apply a directory, then show it as a table and as JSON', async () => {
  const dir = join(env.dir, 'in');
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  for (const [n, p] of Object.entries(policies))
    await writeFile(join(dir, `${n}.json`), JSON.stringify(p));
  const r = await cli(env, 'apply', '-f', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /added: db-1, tap, web-1, web-2/);
  const show = await cli(env, 'show');
  assert.equal(show.code, 0, show.stderr);
  const lines = show.stdout.trim().split('\n');
  assert.match(lines[0], /^NAME\s+PF\s+VF\s+STATE/);
  assert.equal(lines.length, 5);
  for (const l of lines.slice(1)) assert.match(l, /in-sync/);
  const web1 = await vf('web-1');
  assert.equal(web1.observed?.mac, '02:00:00:00:00:01');
  assert.deepEqual(web1.observed?.vlans, [100]);
  const pfs = await cli(env, 'show', 'pfs');
  assert.match(pfs.stdout, /sim:nic0\/0\s+sim/);
  const ping = await cli(env, 'ping');
  assert.match(ping.stdout, /^ok from unix:.* 4\/4 VFs in sync/);
});

test('guest requests: ack is applied, nack exits 3', async () => {
  const ack = await cli(env, 'request', 'web-1', 'setMac', '02:00:00:00:00:42');
  assert.equal(ack.code, 0, ack.stderr);
  assert.match(ack.stdout, /^ack/);
  assert.equal((await vf('web-1')).observed?.mac, '02:00:00:00:00:42');
  const nack = await cli(env, 'request', 'web-2', 'addVlan', '999');
  assert.equal(nack.code, 3);
  assert.match(nack.stderr, /^nack: .*999/);
  const bad = await cli(env, 'request', 'web-2', 'setMtu', 'big');
  assert.equal(bad.code, 2, 'exit 2: a usage error');
  assert.match(bad.stderr, /setMtu needs a whole number/);
  const audit = await readFile(join(env.stateDir, 'audit.log'), 'utf8');
  const entries = audit
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const guest = entries.filter((e) => e.action === 'guest.request');
  assert.deepEqual(
    guest.map((e) => [e.target, e.result]),
    [
      ['web-1', 'ack'],
      ['web-2', 'nack'],
    ],
  );
});

test('mirror on and off', async () => {
  const on = await cli(env, 'mirror', 'web-2', 'all', '--to', 'tap');
  assert.equal(on.code, 0, on.stderr);
  const v = await vf('web-2');
  assert.deepEqual(v.policy.mirror, { target: 'tap', direction: 'all' });
  assert.deepEqual(v.mirror.observed, { targetVf: 2, direction: 'all' });
  const noTarget = await cli(env, 'mirror', 'web-2', 'in');
  assert.equal(noTarget.code, 2, 'exit 2: a usage error');
  assert.match(noTarget.stderr, /needs --to/);
  const off = await cli(env, 'mirror', 'web-2', 'off');
  assert.equal(off.code, 0, off.stderr);
  assert.equal((await vf('web-2')).mirror.observed, null);
});

test('an invalid change is refused with every problem; files and NIC untouched', async () => {
  const files = await snapshotFiles(env.stateDir);
  const before = (await api.health()).driverApplySteps;
  const bad = join(env.dir, 'bad.json');
  await writeFile(
    bad,
    JSON.stringify([
      { ...policies['web-2'], vlans: [5000] },
      { ...policies.tap, macs: ['02:00:00:00:00:01'] },
    ]),
  );
  const r = await cli(env, 'apply', '-f', bad);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refused, nothing was applied/);
  assert.match(r.stderr, /bad\.json: vlans/);
  assert.match(r.stderr, /macs\.0: .*02:00:00:00:00:01 is also the default MAC/);
  assert.deepEqual(await snapshotFiles(env.stateDir), files);
  assert.equal((await api.health()).driverApplySteps, before);
});

test('file edit + reload (CLI and SIGHUP); a broken edit is refused', async () => {
  const file = join(env.vfsDir, 'db-1.json');
  const p = JSON.parse(await readFile(file, 'utf8'));
  await writeFile(file, JSON.stringify({ ...p, maxTxRate: 2000 }));
  const r = await cli(env, 'reload');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /changed \[db-1\]/);
  assert.equal((await vf('db-1')).observed?.maxTxRate, 2000);
  await writeFile(file, JSON.stringify({ ...p, maxTxRate: 3000 }));
  d.child.kill('SIGHUP');
  await until(
    async () => (await api.vf('db-1')).observed?.maxTxRate === 3000,
    5000,
    'SIGHUP reload',
  );
  await writeFile(file, '{"name": "db-1", "pf": ');
  const broken = await cli(env, 'reload');
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /reload refused.*\n.*db-1\.json: \(document\): invalid JSON/);
  assert.equal((await vf('db-1')).policy.maxTxRate, 3000, 'running config unchanged');
  await writeFile(file, JSON.stringify({ ...p, maxTxRate: 3000 }));
});

test('delete, then errors exit non-zero on stderr', async () => {
  const r = await cli(env, 'delete', 'web-1');
  assert.equal(r.code, 0, r.stderr);
  const gone = await cli(env, 'show', 'web-1');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /VF "web-1" has no policy/);
  const nowhere = await cli(env, 'ping', '--socket', join(env.dir, 'none.sock'));
  assert.equal(nowhere.code, 4, 'exit 4: the daemon cannot be reached');
  assert.match(nowhere.stderr, /cannot reach the daemon/);
});

test('stats and health over HTTP reflect the session', async () => {
  // PF-reset drift repair is tested in-process (sim-daemon.test.ts): the production API has,
  // on purpose, no route that resets a NIC.
  const s = await api.stats();
  assert.ok(s.at !== null, 'the counters cache was filled');
  assert.equal(s.daemon.guestDecisions.ack, 1);
  assert.equal(s.daemon.guestDecisions.nack, 1);
  assert.deepEqual(
    s.vfs.map((v) => v.name),
    ['db-1', 'tap', 'web-2'],
  );
  const h = await api.health();
  assert.equal(h.failed, 0);
  assert.equal(h.inSync, 3);
});

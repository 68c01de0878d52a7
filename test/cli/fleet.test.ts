/**
 * `nicvisor serve --fleet` as real processes and `nicvisor fleet plan|apply|status` as a user
 * runs them, against a real 3-member etcd cluster.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EtcdCluster, etcdMissing } from '../daemon/fleet/etcd-cluster.js';
import { tempRoot, until } from '../daemon/fleet/fleet-harness.js';
import { nicvisor, ROOT } from './run.js';

const skip = etcdMissing();
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

describe('nicvisor fleet on a real etcd cluster', { skip: skip ?? false, timeout: 120_000 }, () => {
  const cluster = new EtcdCluster();
  const procs: ChildProcess[] = [];
  let tmp: Awaited<ReturnType<typeof tempRoot>>;
  let docs: string;
  const fleet = (...args: string[]) => nicvisor('fleet', ...args, '--fleet', cluster.url());

  before(async () => {
    tmp = await tempRoot();
    await cluster.start(3);
    for (const [i, rack] of ['r1', 'r1', 'r2'].entries()) {
      const dir = join(tmp.root, `host${i}`);
      await mkdir(dir, { recursive: true });
      const config = join(dir, 'nicvisor.json');
      await writeFile(
        config,
        JSON.stringify({
          driver: 'sim',
          sim: { nics: [{ name: 'nic0', ports: 1, totalVfs: 8, linkSpeedMbps: 10000 }] },
          daemon: { stateDir: join(dir, 'state'), statsIntervalMs: 600_000 },
          pfs: [{ pf: 'sim:nic0/0', numVfs: 4 }],
        }),
      );
      const p = spawn(
        process.execPath,
        [
          MAIN,
          'serve',
          '--config',
          config,
          '--socket',
          join(dir, 'api.sock'),
          '--fleet',
          cluster.url(),
          '--host-name',
          `host${i}`,
          '--labels',
          `rack=${rack}`,
        ],
        { stdio: 'ignore' },
      );
      procs.push(p);
    }
    docs = join(tmp.root, 'docs');
    await mkdir(docs);
    await writeFile(
      join(docs, 'web.json'),
      JSON.stringify({
        kind: 'vf',
        name: 'web',
        selector: { matchLabels: { rack: 'r1' } },
        policy: { name: 'web', pf: 'sim:nic0/0', vf: 0, vlans: [100] },
      }),
    );
    await until(
      () => JSON.parse(fleet('status', '--json').stdout).hosts.length === 3,
      20_000,
      'three agents',
    );
  });

  after(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))),
    );
    await cluster.stop();
    await tmp?.cleanup();
  });

  test('plan shows per host what changes and its class', () => {
    const r = fleet('plan', '-f', docs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /host0: in-place, 1 VF\(s\)\n {2}add {4}vf\/web/);
    assert.match(r.stdout, /host1: in-place/);
    assert.doesNotMatch(r.stdout, /host2:/);
    assert.match(r.stdout, /2 of 3 host\(s\) change/);
  });

  test('apply rolls it out and status says when it is done', () => {
    const r = fleet('apply', '-f', docs, '--max-unavailable', '1', '--canary', 'host1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: done, 2\/2 host\(s\) done, canary host1/);
    const s = fleet('status');
    assert.equal(s.code, 0, s.stdout);
    assert.match(s.stdout, /host0 +online +in-sync/);
    const v = JSON.parse(fleet('status', '--json').stdout);
    const vfs = Object.fromEntries(
      v.hosts.map((h: { host: string; status: { vfs: object } }) => [
        h.host,
        Object.keys(h.status.vfs),
      ]),
    );
    assert.deepEqual(vfs, { host0: ['web'], host1: ['web'], host2: [] });
    // Each host's own view, through its daemon's API.
    const a = nicvisor('fleet', 'agent', '--socket', join(tmp.root, 'host0', 'api.sock'));
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^host0: connected to etcd, revision \d+/);
  });

  test('a visible change waits for the owner: status says whom, fleet consent lets it go on', async () => {
    const sock = join(tmp.root, 'host0', 'api.sock');
    const cred = nicvisor('credential', 'web', '--socket', sock);
    assert.equal(cred.code, 0, cred.stderr);
    const owner = 'guest:host0/web';
    await until(
      () => JSON.parse(fleet('status', '--json').stdout).hosts[0].status.vfs.web.owner === owner,
      20_000,
      'the owner in host0’s status',
    );
    const next = join(tmp.root, 'docs2');
    await mkdir(next);
    await writeFile(
      join(next, 'web.json'),
      JSON.stringify({
        kind: 'vf',
        name: 'web',
        selector: { matchLabels: { rack: 'r1' } },
        policy: { name: 'web', pf: 'sim:nic0/0', vf: 0, vlans: [200] },
      }),
    );
    const apply = spawn(
      process.execPath,
      [MAIN, 'fleet', 'apply', '-f', next, '--canary', 'host1', '--fleet', cluster.url()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(apply);
    let out = '';
    apply.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((r) => apply.once('exit', (c) => r(c)));
    let status = '';
    await until(
      () => {
        status = fleet('status').stdout;
        // The record names whom host0 waits for as soon as the canary's batch starts; the
        // canary (host1) counts as done once its status is in sync.
        return (
          status.includes(`waiting for the consent of ${owner} (host0: web)`) &&
          /1\/2 host\(s\) done/.test(status)
        );
      },
      60_000,
      'the canary done and the rollout waiting for host0’s owner',
    );
    const id = /rollout (r-[a-z0-9-]+):/.exec(status)![1];
    const wrong = fleet('consent', id, '--owner', 'vm:zz');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`owners it needs: ${owner}`));
    const ok = fleet('consent', id, '--owner', owner);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await exited, 0, out);
    assert.match(out, /: done, 2\/2 host\(s\) done/);
  });

  test('bad input: a broken document directory is refused with every problem, exit 1', async () => {
    const bad = join(tmp.root, 'bad');
    await mkdir(bad);
    await writeFile(join(bad, 'a.json'), '{ nope');
    await writeFile(join(bad, 'b.json'), JSON.stringify({ kind: 'nic', name: 'x' }));
    const r = fleet('apply', '-f', bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /2 problems/);
    assert.match(r.stderr, /a\.json/);
    assert.match(r.stderr, /b\.json.*kind/);
    assert.equal(nicvisor('fleet', 'status').code, 1, 'no store given');
    assert.match(
      fleet('apply', '-f', docs, '--max-unavailable', '0').stderr,
      /--max-unavailable 0/,
    );
  });
});

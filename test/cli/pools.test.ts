import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import { type PoolKit, startPoolKit } from '../daemon/pools/kit.js';
import { ROOT } from './run.js';

const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

function cli(
  socket: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args, '--socket', socket],
      { encoding: 'utf8' },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('nicvisor pool / claim / release / libvirt-xml over the API', () => {
  let k: PoolKit;
  let api: ApiServer;
  let sock: string;
  before(async () => {
    k = await startPoolKit();
    sock = join(k.dir, 'api.sock');
    api = new ApiServer(k.daemon, { socket: sock, bodyLimit: 65536 });
    await api.start();
  });
  after(async () => {
    await api.stop();
    await k.cleanup();
  });

  it('claim answers id, PF, VF, MAC; pool list/show count it; release gives it back', async () => {
    const c = await cli(
      sock,
      'claim',
      'net1',
      '--owner',
      'vm:guest1',
      '--ifname',
      'eth1',
      '--json',
    );
    assert.equal(c.code, 0, c.stderr);
    const r = JSON.parse(c.stdout);
    assert.equal(r.claim.owner.id, 'guest1');
    assert.equal(r.syncState, 'in-sync');
    const text = await cli(sock, 'claim', 'net1', '--owner', 'vm:guest1', '--ifname', 'eth1');
    assert.match(
      text.stdout,
      new RegExp(
        `^claim ${r.claim.id} \\(already held\\): sim:nic0/0 vf 0 \\(0000:[0-9a-f:.]+\\) mac ${r.claim.mac}`,
      ),
    );
    const list = await cli(sock, 'pool', 'list');
    assert.match(list.stdout, /net1\s+physnet1\s+netdevice\s+pack\s+8\s+1\s+7\s+no/);
    const show = JSON.parse((await cli(sock, 'pool', 'show', 'net1', '--json')).stdout);
    assert.equal(show.members[0].owner, 'vm:guest1');
    const detail = await cli(sock, 'pool', 'show', 'net1');
    assert.match(
      detail.stdout,
      new RegExp(`sim:nic0/0\\s+0\\s+0\\s+${r.claim.id}\\s+vm:guest1\\s+${r.claim.mac}`),
    );
    const stale = await cli(sock, 'release', r.claim.id, '--fence', String(r.claim.fence + 1));
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /fence token .* is stale/);
    const rel = await cli(sock, 'release', r.claim.id);
    assert.equal(rel.code, 0, rel.stderr);
    assert.match(rel.stdout, /released .*: VF restored and verified/);
    const gone = await cli(sock, 'release', r.claim.id);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /does not exist/);
  });

  it('errors name the value and the fix, and exit non-zero', async () => {
    const bad = await cli(sock, 'claim', 'net1', '--owner', 'robot:1');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--owner "robot:1" is not valid: use KIND:ID/);
    const nopool = await cli(sock, 'claim', 'nope', '--owner', 'vm:x');
    assert.equal(nopool.code, 1);
    assert.match(nopool.stderr, /pool "nope" does not exist \(pools: net1\)/);
    const badBody = await cli(
      sock,
      'claim',
      'net1',
      '--owner',
      'vm:x',
      '--ifname',
      'much-too-long-ifname',
    );
    assert.equal(badBody.code, 1);
    assert.match(badBody.stderr, /ifname/);
    const xml = await cli(sock, 'claim', 'net1', '--owner', 'vm:x', '--json');
    const id = JSON.parse(xml.stdout).claim.id;
    const lv = await cli(sock, 'libvirt-xml', id);
    // Sim VFs have stable PCI-like addresses, so the element is complete.
    assert.equal(lv.code, 0, lv.stderr);
    assert.match(lv.stdout, /<interface type=["']hostdev["'] managed=["']yes["']>/);
    assert.match(lv.stdout, /<address type=["']pci["'] domain=["']0x0000["']/);
    assert.equal((await cli(sock, 'release', id)).code, 0);
  });

  it('the API releases by owner (CNI DEL) and refuses a bad owner query', async () => {
    const { poolApi } = await import('../../src/cli/pool-client.js');
    const { ApiClient } = await import('../../src/cli/client.js');
    const c = new ApiClient({ socket: sock });
    try {
      const p = poolApi(c);
      const a = await p.claim('net1', { owner: { kind: 'pod', id: 'ctr9' }, ifname: 'net1' });
      const out = await p.releaseOwner('net1', 'pod:ctr9', 'net1');
      assert.deepEqual(
        out.released.map((x) => x.released),
        [a.claim.id],
      );
      assert.deepEqual((await p.releaseOwner('net1', 'pod:ctr9', 'net1')).released, []);
      await assert.rejects(
        p.releaseOwner('net1', 'ctr9'),
        /owner "ctr9" is not valid: use \?owner=KIND:ID/,
      );
      await assert.rejects(p.getClaim('../x'), /not valid/);
    } finally {
      c.close();
    }
  });
});

// `nicvisor migrate prepare|commit|abort` driving two daemons over their API sockets.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import type { PoolInput } from '../../src/model/index.js';
import { PF0, PF1, type PoolKit, startPoolKit } from '../daemon/pools/kit.js';
import { ROOT } from './run.js';

const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const pools: PoolInput[] = [
  {
    name: 'mig',
    pfs: [PF0, PF1],
    vfs: { from: 0, to: 2 },
    physicalNetwork: 'physnet1',
    migratable: true,
    profile: {
      vlans: [100],
      mac: { mode: 'range', from: '02:00:00:00:05:00', to: '02:00:00:00:05:ff' },
    },
  },
  { name: 'stay', pfs: [PF0], vfs: { from: 3, to: 3 }, physicalNetwork: 'physnet1' },
];

describe('nicvisor migrate', () => {
  const kits: PoolKit[] = [];
  const servers: ApiServer[] = [];
  let src: string;
  let dst: string;
  before(async () => {
    for (const name of ['a', 'b']) {
      const k = await startPoolKit({ pools });
      const socket = join(k.dir, `${name}.sock`);
      const s = new ApiServer(k.daemon, { socket, bodyLimit: 65536 });
      await s.start();
      kits.push(k);
      servers.push(s);
    }
    src = join(kits[0]!.dir, 'a.sock');
    dst = join(kits[1]!.dir, 'b.sock');
  });
  after(async () => {
    for (const s of servers) await s.stop();
    for (const k of kits) await k.cleanup();
  });
  const claim = async (k: PoolKit, pool: string, id: string, mac?: string) =>
    (
      await k.daemon.pools.claims.claim(
        pool,
        { owner: { kind: 'vm', id }, numaStrict: false, ...(mac ? { mac } : {}) },
        'admin',
      )
    ).claim;

  it('prepare then commit moves the claim with its MAC; an abort after that is refused', async () => {
    const c = await claim(kits[0]!, 'mig', 'g1');
    const p = await cli(
      'migrate',
      'prepare',
      c.id,
      '--socket',
      src,
      '--target-socket',
      dst,
      '--json',
    );
    assert.equal(p.code, 0, p.stderr);
    const prepared = JSON.parse(p.stdout);
    assert.equal(prepared.reservation.claim.state, 'reserved');
    assert.equal(prepared.reservation.claim.mac, c.mac);
    const m = await cli('migrate', 'commit', c.id, '--socket', src, '--target-socket', dst);
    assert.equal(m.code, 0, m.stderr);
    assert.match(
      m.stdout,
      new RegExp(`^source: claim ${c.id} released, VF restored and verified\n`),
    );
    assert.match(
      m.stdout,
      new RegExp(`target: claim mig-\\d+ active: sim:nic0/0 vf 0 mac ${c.mac} \\[in-sync\\]`),
    );
    const a = await cli(
      'migrate',
      'abort',
      c.id,
      '--socket',
      src,
      '--target-socket',
      dst,
      '--migration',
      prepared.token,
    );
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /was released on the source already .*migrate commit/);
    const again = await cli(
      'migrate',
      'commit',
      c.id,
      '--socket',
      src,
      '--target-socket',
      dst,
      '--migration',
      prepared.token,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /was released already[\s\S]*\(committed already\)/);
    await kits[1]!.daemon.pools.claims.releaseOwner('vm', 'g1', undefined, 'admin');
  });

  it('prepare then abort leaves the claim on the source', async () => {
    const c = await claim(kits[0]!, 'mig', 'g2');
    const p = await cli('migrate', 'prepare', c.id, '--socket', src, '--target-socket', dst);
    assert.equal(p.code, 0, p.stderr);
    assert.match(
      p.stdout,
      /^migration [A-Za-z0-9_-]+: claim mig-\d+ migrating on the source; reserved mig-\d+ on the target/,
    );
    const a = await cli('migrate', 'abort', c.id, '--socket', src, '--target-socket', dst);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /target: reservation mig-\d+ dropped\nsource: claim mig-\d+ active/);
    assert.deepEqual(kits[1]!.daemon.pools.view('mig').claims, []);
    await kits[0]!.daemon.pools.claims.release(c.id, { who: 'admin' });
  });

  it('clear errors, non-zero exits: no target, unknown claim, pool not migratable, MAC taken on the target', async () => {
    const none = await cli('migrate', 'prepare', 'mig-1', '--socket', src);
    assert.notEqual(none.code, 0);
    assert.match(
      none.stderr,
      /the target host is missing: pass --target-socket PATH or --target-url URL/,
    );
    const unknown = await cli(
      'migrate',
      'prepare',
      'mig-99',
      '--socket',
      src,
      '--target-socket',
      dst,
    );
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /source \(unix:.*\): claim "mig-99" does not exist/);
    const s = await claim(kits[0]!, 'stay', 's1');
    const fixed = await cli('migrate', 'prepare', s.id, '--socket', src, '--target-socket', dst);
    assert.notEqual(fixed.code, 0);
    assert.match(fixed.stderr, /pool stay is not migratable: set "migratable": true on pool stay/);
    const c = await claim(kits[0]!, 'mig', 'g3');
    const holder = await claim(kits[1]!, 'mig', 'other', c.mac);
    const taken = await cli('migrate', 'prepare', c.id, '--socket', src, '--target-socket', dst);
    assert.notEqual(taken.code, 0);
    assert.match(
      taken.stderr,
      new RegExp(
        `target \\(unix:.*\\): migration of claim ${c.id}: .*MAC ${c.mac} is already in use.*; claim ${c.id} is active on the source again`,
      ),
    );
    assert.equal(kits[0]!.daemon.pools.claims.get(c.id).state, 'active');
    const notMigrating = await cli(
      'migrate',
      'commit',
      c.id,
      '--socket',
      src,
      '--target-socket',
      dst,
    );
    assert.notEqual(notMigrating.code, 0);
    assert.match(
      notMigrating.stderr,
      new RegExp(
        `claim ${c.id} on the source is active, not migrating: run \`nicvisor migrate prepare ${c.id}\` first`,
      ),
    );
    for (const [k, id] of [
      [kits[1]!, holder.id],
      [kits[0]!, c.id],
      [kits[0]!, s.id],
    ] as const)
      await k.daemon.pools.claims.release(id, { who: 'admin' });
  });
});

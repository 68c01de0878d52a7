import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../../src/daemon/service.js';
import { type DaemonEvent, ZERO_MAC } from '../../../src/model/index.js';
import { PF0, PF1, type PoolKit, startPoolKit } from './kit.js';

const vm = (id: string) => ({ kind: 'vm' as const, id });

async function observedVf(d: Daemon, pf: string, vf: number) {
  const [p] = await d.driver.observe({ pf });
  return p!.vfs.find((v) => v.vf === vf)!;
}

describe('claims on the sim NIC', () => {
  let k: PoolKit;
  before(async () => {
    k = await startPoolKit({
      vfs: [{ name: 'static-1', pf: PF0, vf: 3, macs: ['02:00:00:00:01:00'] }],
    });
  });
  after(() => k.cleanup());

  it('a claim configures the VF with the profile and a MAC unique on the network, and explains the choice', async () => {
    const r = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('a'), numaStrict: false },
      'admin',
    );
    assert.equal(r.existing, false);
    assert.equal(r.syncState, 'in-sync');
    assert.equal(r.claim.pf, PF0);
    assert.equal(r.claim.vf, 0);
    // 02:00:00:00:01:00 is the static VF's: the range skips it.
    assert.equal(r.claim.mac, '02:00:00:00:01:01');
    assert.match(r.why.join('\n'), /pack: PF sim:nic0\/0 .*\n.*vf 0: the lowest free index/);
    const v = await observedVf(k.daemon, PF0, 0);
    assert.equal(v.settings.mac, '02:00:00:00:01:01');
    assert.deepEqual(v.settings.vlans, [100]);
    assert.equal(k.daemon.getVf(r.claim.policy).policy.vf, 0);
    const view = k.daemon.pools.view('net1');
    assert.deepEqual([view.capacity, view.claimed, view.free], [8, 1, 6]);
    const ledger = JSON.parse(await readFile(join(k.stateDir, 'claims.json'), 'utf8'));
    assert.equal(ledger.claims[0].id, r.claim.id);
  });

  it('a retry of the same owner and ifname gets the same claim; another ifname another VF', async () => {
    const a = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('b'), ifname: 'eth1', numaStrict: false },
      'admin',
    );
    const again = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('b'), ifname: 'eth1', numaStrict: false },
      'admin',
    );
    assert.equal(again.existing, true);
    assert.equal(again.claim.id, a.claim.id);
    const other = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('b'), ifname: 'eth2', numaStrict: false },
      'admin',
    );
    assert.notEqual(other.claim.vf === a.claim.vf && other.claim.pf === a.claim.pf, true);
    assert.notEqual(other.claim.mac, a.claim.mac);
    await k.daemon.pools.claims.releaseOwner('vm', 'b', undefined, 'admin');
  });

  it('anti-affinity puts the second leg of a bond on the other PF', async () => {
    const a = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('bond'), ifname: 'p0', group: 'bond0', numaStrict: false },
      'admin',
    );
    const b = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('bond'), ifname: 'p1', group: 'bond0', numaStrict: false },
      'admin',
    );
    assert.notEqual(a.claim.pf, b.claim.pf);
    assert.match(b.why.join(), /anti-affinity: group bond0 already on/);
    await k.daemon.pools.claims.releaseOwner('vm', 'bond', undefined, 'admin');
  });

  it('NUMA-local first', async () => {
    const r = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('numa'), numaNode: 1, numaStrict: true },
      'admin',
    );
    assert.equal(r.claim.pf, PF1);
    assert.equal(r.claim.numaNode, 1);
    await k.daemon.pools.claims.release(r.claim.id, { who: 'admin' });
  });

  it('release restores the VF from its snapshot and verifies it; a stale fence is refused', async () => {
    const r = await k.daemon.pools.claims.claim(
      'net1',
      { owner: vm('rel'), numaStrict: false },
      'admin',
    );
    await assert.rejects(
      k.daemon.pools.claims.release(r.claim.id, { fence: r.claim.fence - 1, who: 'admin' }),
      /fence token .* is stale/,
    );
    assert.equal((await observedVf(k.daemon, r.claim.pf, r.claim.vf)).settings.mac, r.claim.mac);
    const out = await k.daemon.pools.claims.release(r.claim.id, {
      fence: r.claim.fence,
      who: 'admin',
    });
    assert.deepEqual(out, { released: r.claim.id, verified: true, differences: [] });
    const v = await observedVf(k.daemon, r.claim.pf, r.claim.vf);
    assert.equal(v.settings.mac, ZERO_MAC);
    assert.deepEqual(v.settings.vlans, []);
    assert.throws(() => k.daemon.getVf(r.claim.policy), /has no policy/);
    await assert.rejects(
      k.daemon.pools.claims.release(r.claim.id, { who: 'admin' }),
      /does not exist/,
    );
  });

  it('a claim and its release are events on the stream, with the pool and the owner', async () => {
    const seen: DaemonEvent[] = [];
    const off = k.daemon.bus.subscribe((e) => {
      if (e.type === 'claim') seen.push(e);
    });
    try {
      const r = await k.daemon.pools.claims.claim(
        'net1',
        { owner: vm('ev'), numaStrict: false },
        'admin',
      );
      await k.daemon.pools.claims.claim('net1', { owner: vm('ev'), numaStrict: false }, 'admin');
      await k.daemon.pools.claims.release(r.claim.id, { who: 'admin' });
      const base = { type: 'claim', pool: 'net1', claim: r.claim.id, owner: 'vm:ev' };
      assert.deepEqual(
        seen,
        [
          { ...base, change: 'claimed' },
          { ...base, change: 'released' },
        ],
        'one event each; the idempotent retry changes nothing and says nothing',
      );
    } finally {
      off();
    }
  });

  it('a full pool refuses with the reason and writes nothing', async () => {
    const held = [];
    for (let i = 0; i < 6; i++)
      held.push(
        await k.daemon.pools.claims.claim(
          'net1',
          { owner: vm(`f${i}`), numaStrict: false },
          'admin',
        ),
      );
    const before = await readFile(join(k.stateDir, 'claims.json'), 'utf8');
    await assert.rejects(
      k.daemon.pools.claims.claim('net1', { owner: vm('late'), numaStrict: false }, 'admin'),
      /pool net1: no VF for vm:late: pool net1 has 8 VFs: 7 claimed, 1 held by VF policies \(static-1\), none free/,
    );
    assert.equal(await readFile(join(k.stateDir, 'claims.json'), 'utf8'), before);
    for (const h of held) await k.daemon.pools.claims.release(h.claim.id, { who: 'admin' });
    const metrics = (await k.daemon.metrics()).text;
    assert.match(metrics, /nicvisor_pool_claim_conflicts_total\{pool="net1"\} 1/);
    assert.match(metrics, /nicvisor_pool_free\{pool="net1",physicalNetwork="physnet1"\} 6/);
    assert.match(metrics, /nicvisor_pool_claim_seconds_count\{pool="net1"\} \d+/);
  });

  it('an unknown pool names the known ones', async () => {
    await assert.rejects(
      k.daemon.pools.claims.claim('nope', { owner: vm('x'), numaStrict: false }, 'admin'),
      /pool "nope" does not exist \(pools: net1\)/,
    );
  });
});

describe('leak sweeper and restart recovery', () => {
  let k: PoolKit;
  before(async () => {
    k = await startPoolKit();
  });
  after(() => k.cleanup());

  it('reclaims claims whose process died, netns vanished or lease expired; keeps live ones', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)']);
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    const netns = join(k.dir, 'netns-x');
    await writeFile(netns, '');
    const c = k.daemon.pools.claims;
    const proc = await c.claim(
      'net1',
      { owner: { kind: 'process', id: String(pid) }, numaStrict: false },
      'admin',
    );
    const pod = await c.claim(
      'net1',
      { owner: { kind: 'pod', id: 'ctr1' }, netns, numaStrict: false },
      'admin',
    );
    const lease = await c.claim(
      'net1',
      { owner: vm('l'), leaseSeconds: 1, numaStrict: false },
      'admin',
    );
    const live = await c.claim(
      'net1',
      { owner: { kind: 'process', id: String(process.pid) }, numaStrict: false },
      'admin',
    );
    assert.equal(await k.daemon.pools.sweeper.sweep(), 0);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await rm(netns);
    const leaseEnd = Date.parse(lease.claim.leaseExpires!);
    while (Date.now() <= leaseEnd) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await k.daemon.pools.sweeper.sweep(), 3);
    const left = k.daemon.pools.view('net1').claims.map((x) => x.id);
    assert.deepEqual(left, [live.claim.id]);
    for (const x of [proc, pod, lease]) assert.throws(() => k.daemon.getVf(x.claim.policy));
    const m = (await k.daemon.metrics()).text;
    for (const reason of ['process', 'netns', 'lease'])
      assert.match(
        m,
        new RegExp(`nicvisor_pool_leaks_reclaimed_total\\{pool="net1",reason="${reason}"\\} 1`),
      );
    await c.release(live.claim.id, { who: 'admin' });
  });

  it('after a restart: an interrupted release is finished, an unwritten claim policy applied, an orphan policy deleted', async () => {
    const c = k.daemon.pools.claims;
    const a = await c.claim('net1', { owner: vm('r1'), numaStrict: false }, 'admin');
    const b = await c.claim('net1', { owner: vm('r2'), numaStrict: false }, 'admin');
    await k.daemon.stop();
    // As a crash would leave it: a marked for release, b's policy not written yet, and a
    // claim policy the ledger does not know.
    const file = join(k.stateDir, 'claims.json');
    const ledger = JSON.parse(await readFile(file, 'utf8'));
    ledger.claims = ledger.claims.map((x: { id: string }) =>
      x.id === a.claim.id ? { ...x, state: 'releasing' } : x,
    );
    await writeFile(file, JSON.stringify(ledger));
    await rm(join(k.stateDir, 'vfs', `${b.claim.policy}.json`));
    await writeFile(
      join(k.stateDir, 'vfs', 'claim-net1-999.json'),
      JSON.stringify({ name: 'claim-net1-999', pf: PF1, vf: 3, macs: ['02:00:00:00:09:99'] }),
    );
    const d = await k.restart();
    const ids = d.pools.view('net1').claims.map((x) => x.id);
    assert.deepEqual(ids, [b.claim.id]);
    assert.equal(d.getVf(b.claim.policy).policy.macs[0], b.claim.mac);
    assert.equal((await observedVf(d, b.claim.pf, b.claim.vf)).settings.mac, b.claim.mac);
    assert.throws(() => d.getVf(a.claim.policy));
    assert.throws(() => d.getVf('claim-net1-999'));
    // Fences keep increasing across restarts.
    const n = await d.pools.claims.claim('net1', { owner: vm('r3'), numaStrict: false }, 'admin');
    assert.ok(n.claim.fence > b.claim.fence);
  });
});

describe('leak grace for a vanished namespace', () => {
  it('waits poolLeakGraceMs for the runtime’s DEL before reclaiming', async () => {
    const k = await startPoolKit({ daemon: { poolLeakGraceMs: 300 } });
    try {
      const netns = join(k.dir, 'netns-y');
      await writeFile(netns, '');
      const c = k.daemon.pools.claims;
      const pod = await c.claim(
        'net1',
        { owner: { kind: 'pod', id: 'ctr2' }, netns, numaStrict: false },
        'admin',
      );
      await rm(netns);
      assert.equal(await k.daemon.pools.sweeper.sweep(), 0, 'first sight: within the grace');
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(await k.daemon.pools.sweeper.sweep(), 1, 'after the grace');
      assert.throws(() => c.get(pod.claim.id), /does not exist/);
    } finally {
      await k.cleanup();
    }
  });
});

// Migration hand-off between two daemons in one process (two sim NICs): prepare, commit,
// abort, the refusals, and the expiry that resolves a hand-off whose driver went away.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../../src/daemon/service.js';
import type { MigrationTicket, PoolInput } from '../../../src/model/index.js';
import { PF0, PF1, type PoolKit, startPoolKit } from './kit.js';

const vm = (id: string) => ({ kind: 'vm' as const, id });

const pool = (over: Partial<PoolInput> = {}): PoolInput => ({
  name: 'mig',
  pfs: [PF0, PF1],
  physicalNetwork: 'physnet1',
  migratable: true,
  vfs: { from: 0, to: 2 },
  profile: {
    vlans: [100],
    maxTxRate: 1000,
    mac: { mode: 'range', from: '02:00:00:00:07:00', to: '02:00:00:00:07:ff' },
  },
  ...over,
});

async function observedVf(d: Daemon, pf: string, vf: number) {
  const [p] = await d.driver.observe({ pf });
  return p!.vfs.find((v) => v.vf === vf)!;
}

const src = (k: PoolKit) => k.daemon.pools.migrations;

async function prepare(a: PoolKit, b: PoolKit, id: string, token: string, ttl = 300) {
  const ticket = await src(a).prepare(id, { token, target: 'hostB', ttlSeconds: ttl }, 'admin');
  const r = await src(b).reserve({ ticket, source: 'hostA' }, 'admin');
  return { ticket, r };
}

describe('migration hand-off between two daemons', () => {
  let a: PoolKit;
  let b: PoolKit;
  before(async () => {
    a = await startPoolKit({
      pools: [pool(), pool({ name: 'fixed', migratable: false, vfs: { from: 3, to: 3 } })],
    });
    b = await startPoolKit({ pools: [pool()] });
  });
  after(async () => {
    await a.cleanup();
    await b.cleanup();
  });

  it('prepare reserves the MAC on the target without applying anything; commit moves the claim and restores the source VF', async () => {
    const c = await a.daemon.pools.claims.claim(
      'mig',
      { owner: vm('g1'), numaStrict: false },
      'admin',
    );
    const before = await observedVf(b.daemon, PF0, 0);
    const { ticket, r } = await prepare(a, b, c.claim.id, 'token-commit-1');
    assert.equal(ticket.mac, c.claim.mac);
    assert.equal(a.daemon.pools.claims.get(c.claim.id).state, 'migrating');
    assert.equal(r.claim.state, 'reserved');
    assert.equal(r.claim.mac, c.claim.mac);
    assert.deepEqual([r.claim.pf, r.claim.vf], [PF0, 0]);
    // Reserved: the VF is taken in the ledger, nothing is applied yet.
    assert.throws(() => b.daemon.getVf(r.claim.policy));
    assert.equal((await observedVf(b.daemon, PF0, 0)).settings.mac, before.settings.mac);
    assert.equal(b.daemon.pools.view('mig').claimed, 1);
    // A retried prepare (same token) answers the same reservation.
    const again = await prepare(a, b, c.claim.id, 'token-commit-1');
    assert.equal(again.r.existing, true);
    assert.equal(again.r.claim.id, r.claim.id);

    const s = await src(a).commitSource(c.claim.id, 'token-commit-1', 'admin');
    assert.equal(s.alreadyReleased, false);
    assert.equal(s.verified, true, s.differences.join('; '));
    assert.deepEqual(a.daemon.pools.view('mig').claims, []);
    assert.throws(() => a.daemon.getVf(c.claim.policy));
    const t = await src(b).commitTarget('token-commit-1', 'admin');
    assert.equal(t.claim.state, 'active');
    assert.equal(t.syncState, 'in-sync');
    const v = await observedVf(b.daemon, PF0, 0);
    assert.equal(v.settings.mac, c.claim.mac);
    assert.deepEqual(v.settings.vlans, [100]);
    assert.equal(v.settings.maxTxRate, 1000);
    // Both commits are idempotent.
    assert.equal(
      (await src(a).commitSource(c.claim.id, 'token-commit-1', 'admin')).alreadyReleased,
      true,
    );
    assert.equal((await src(b).commitTarget('token-commit-1', 'admin')).existing, true);
    // A committed migration cannot be aborted on the target.
    await assert.rejects(src(b).abortTarget('token-commit-1', 'admin'), /was committed here/);
    await b.daemon.pools.claims.release(t.claim.id, { who: 'admin' });
  });

  it('abort drops the reservation and the source claim is active again', async () => {
    const c = await a.daemon.pools.claims.claim(
      'mig',
      { owner: vm('g2'), numaStrict: false },
      'admin',
    );
    const { r } = await prepare(a, b, c.claim.id, 'token-abort-1');
    const t = await src(b).abortTarget('token-abort-1', 'admin');
    assert.equal(t.released?.released, r.claim.id);
    assert.deepEqual(b.daemon.pools.view('mig').claims, []);
    const back = await src(a).abortSource(c.claim.id, 'token-abort-1', 'admin');
    assert.equal(back.state, 'active');
    assert.equal(back.migration, undefined);
    assert.equal((await observedVf(a.daemon, c.claim.pf, c.claim.vf)).settings.mac, c.claim.mac);
    // Idempotent, and the source commit of an aborted migration is refused.
    assert.equal((await src(b).abortTarget('token-abort-1', 'admin')).released, null);
    assert.equal((await src(a).abortSource(c.claim.id, 'token-abort-1', 'admin')).state, 'active');
    await assert.rejects(
      src(a).commitSource(c.claim.id, 'token-abort-1', 'admin'),
      /is active, not migrating with token token-abort-1: its hand-off was aborted or expired/,
    );
    await a.daemon.pools.claims.release(c.claim.id, { who: 'admin' });
  });

  it('refuses: unknown claim, pool not migratable, a second migration, MAC taken on the target, another profile, no VF', async () => {
    const m = src(a);
    await assert.rejects(
      m.prepare('mig-999', { token: 'token-x-0001', target: 'B', ttlSeconds: 300 }, 'admin'),
      /claim "mig-999" does not exist/,
    );
    const f = await a.daemon.pools.claims.claim(
      'fixed',
      { owner: vm('g3'), numaStrict: false },
      'admin',
    );
    await assert.rejects(
      m.prepare(f.claim.id, { token: 'token-x-0002', target: 'B', ttlSeconds: 300 }, 'admin'),
      /pool fixed is not migratable: set "migratable": true/,
    );
    const c = await a.daemon.pools.claims.claim(
      'mig',
      { owner: vm('g4'), numaStrict: false },
      'admin',
    );
    const ticket = await m.prepare(
      c.claim.id,
      { token: 'token-x-0003', target: 'B', ttlSeconds: 300 },
      'admin',
    );
    await assert.rejects(
      m.prepare(c.claim.id, { token: 'token-x-0004', target: 'C', ttlSeconds: 300 }, 'admin'),
      /already migrating to B/,
    );
    // The MAC is held on the target by another claim.
    const holder = await b.daemon.pools.claims.claim(
      'mig',
      { owner: vm('other'), mac: ticket.mac, numaStrict: false },
      'admin',
    );
    await assert.rejects(
      src(b).reserve({ ticket, source: 'A' }, 'admin'),
      new RegExp(
        `migration of claim ${c.claim.id}: pool mig: no VF for vm:g4: .*MAC ${ticket.mac} is already in use`,
      ),
    );
    await b.daemon.pools.claims.release(holder.claim.id, { who: 'admin' });
    // Another profile, another network: every difference at once.
    const other: MigrationTicket = {
      ...ticket,
      physicalNetwork: 'physnet9',
      profile: { ...ticket.profile, vlans: [200] },
    };
    await assert.rejects(
      src(b).reserve({ ticket: other, source: 'A' }, 'admin'),
      /reaches physical network physnet1, the source claim physnet9.*profile\.vlans: \[100\] here, \[200\] on the source/,
    );
    assert.deepEqual(b.daemon.pools.view('mig').claims, []);
    // A full target pool says why no VF fits.
    const fill = [];
    for (let i = 0; i < 6; i++)
      fill.push(
        await b.daemon.pools.claims.claim(
          'mig',
          { owner: vm(`f${i}`), numaStrict: false },
          'admin',
        ),
      );
    await assert.rejects(src(b).reserve({ ticket, source: 'A' }, 'admin'), /none free/);
    for (const x of fill) await b.daemon.pools.claims.release(x.claim.id, { who: 'admin' });
    await m.abortSource(c.claim.id, 'token-x-0003', 'admin');
    await a.daemon.pools.claims.release(c.claim.id, { who: 'admin' });
    await a.daemon.pools.claims.release(f.claim.id, { who: 'admin' });
  });

  it('an expired hand-off resolves on each host alone: the reservation is swept, the source is active again, its commit refused', async () => {
    const c = await a.daemon.pools.claims.claim(
      'mig',
      { owner: vm('g5'), numaStrict: false },
      'admin',
    );
    await prepare(a, b, c.claim.id, 'token-exp-01', 60);
    const later = Date.now() + 61_000;
    assert.equal(await src(b).expire(Date.now()), 0, 'nothing expires early');
    assert.equal(await src(b).expire(later), 1);
    assert.deepEqual(b.daemon.pools.view('mig').claims, []);
    await assert.rejects(
      src(b).commitTarget('token-exp-01', 'admin'),
      /no migration with token token-exp-01/,
    );
    assert.equal(await src(a).expire(later), 1);
    const back = a.daemon.pools.claims.get(c.claim.id);
    assert.equal(back.state, 'active');
    await assert.rejects(src(a).commitSource(c.claim.id, 'token-exp-01', 'admin'), /is active/);
    await a.daemon.pools.claims.release(c.claim.id, { who: 'admin' });
  });

  it('a reservation survives a restart unapplied, and the sweeper frees it once expired', async () => {
    const c = await a.daemon.pools.claims.claim(
      'mig',
      { owner: vm('g6'), numaStrict: false },
      'admin',
    );
    const { r } = await prepare(a, b, c.claim.id, 'token-rst-01', 60);
    const d = await b.restart();
    const kept = d.pools.migrations.get('token-rst-01');
    assert.equal(kept.state, 'reserved');
    assert.throws(() => d.getVf(r.claim.policy), 'recovery applies nothing to a reservation');
    // Expire it as the sweeper would, after the restart.
    const file = join(b.stateDir, 'claims.json');
    const ledger = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(ledger.claims[0].state, 'reserved');
    assert.equal(await d.pools.migrations.expire(Date.now() + 61_000), 1);
    assert.deepEqual(d.pools.view('mig').claims, []);
    await src(a).abortSource(c.claim.id, 'token-rst-01', 'admin');
    await a.daemon.pools.claims.release(c.claim.id, { who: 'admin' });
  });
});

/**
 * Pools and claims in fleet mode, on a real 3-member etcd cluster: pools come from the
 * fleet's desired state (scoped by labels), every claim is recorded in etcd, and the
 * cross-host rules — an owner's claims are on one host, a MAC is held once per physical
 * network — are etcd transactions: of two hosts claiming at the same moment exactly one wins,
 * and the loser's answer names why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DaemonError } from '../../../src/daemon/errors.js';
import { EtcdFleet } from '../../../src/daemon/fleet/etcd.js';
import { parseFleetUrl } from '../../../src/daemon/fleet/url.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import type { FleetDoc } from '../../../src/model/fleet.js';
import { ClaimBody, type ClaimBodyInput, type ClaimResult } from '../../../src/model/index.js';
import { EtcdCluster, etcdMissing } from './etcd-cluster.js';
import { type Host, PF, startHost, stopFleet, tempRoot, until } from './fleet-harness.js';

const skip = etcdMissing();

const poolDoc = (name: string, matchLabels: Record<string, string>, pool: object): FleetDoc => ({
  kind: 'pool',
  name,
  selector: { matchLabels },
  policy: { name, pfs: [PF], physicalNetwork: 'physnet1', ...pool },
  writtenAt: new Date().toISOString(),
});

const RANGE = { mode: 'range', from: '02:00:00:0a:00:00', to: '02:00:00:0a:00:ff' };

describe('pools and claims across the fleet (3-member etcd)', {
  skip: skip ?? false,
  timeout: 180_000,
}, () => {
  const cluster = new EtcdCluster();
  const hosts: Host[] = [];
  let fleet: EtcdFleet;
  let tmp: Awaited<ReturnType<typeof tempRoot>>;
  const [h1, h2, h3] = [0, 1, 2].map((i) => () => hosts[i]);

  const claim = (h: Host, pool: string, body: ClaimBodyInput): Promise<ClaimResult> =>
    h.daemon.pools.claims.claim(pool, ClaimBody.parse(body), 'test');
  const hasPool = (h: Host, name: string) =>
    h.daemon.storeState().main.pools.some((p) => p.name === name);
  const claimsOf = (h: Host) => h.daemon.pools.ledger.view().claims;

  before(async () => {
    tmp = await tempRoot();
    await cluster.start(3);
    fleet = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    for (const [i, rack] of ['a', 'a', 'b'].entries())
      hosts.push(
        await startHost(tmp.root, { name: `c${i}`, labels: { rack }, url: cluster.url() }),
      );
    await until(async () => (await fleet.hosts()).length === 3, 30_000, 'registrations');
  });

  after(() => stopFleet({ hosts, fleet, cluster, tmp }));

  test('a pool document reaches exactly the hosts its labels select', async () => {
    await fleet.writeDocs({
      put: [
        poolDoc('vms', {}, { vfs: { from: 0, to: 5 }, profile: { vlans: [300], mac: RANGE } }),
        poolDoc('rack-a', { rack: 'a' }, { vfs: { from: 6, to: 7 } }),
      ],
      delete: [],
    });
    await until(() => hosts.every((h) => hasPool(h, 'vms')), 30_000, 'pool vms on every host');
    await until(
      () => hasPool(h1(), 'rack-a') && hasPool(h2(), 'rack-a'),
      30_000,
      'pool rack-a on rack a',
    );
    assert.equal(hasPool(h3(), 'rack-a'), false, 'rack b does not get rack-a');
    assert.equal(h1().daemon.pools.view('vms').capacity, 6);
  });

  test('two hosts claiming for the same owner at once: exactly one wins, the other says why', async () => {
    const out = await Promise.allSettled([
      claim(h1(), 'vms', { owner: { kind: 'vm', id: 'x' } }),
      claim(h2(), 'vms', { owner: { kind: 'vm', id: 'x' } }),
    ]);
    const won = out.filter((o) => o.status === 'fulfilled');
    const lost = out.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(out.map((o) => o.status)));
    const winner = out[0].status === 'fulfilled' ? h1() : h2();
    const loser = winner === h1() ? h2() : h1();
    const err = lost[0].reason as DaemonError;
    assert.ok(err instanceof DaemonError, String(err));
    assert.equal(err.kind, 'refused');
    assert.match(err.message, /owner vm:x holds claim vms-\d+ on host c[01]/);
    assert.match(err.message, new RegExp(`on host ${winner.name}`));
    // Nothing half-made on the loser: no claim in its ledger, no claim policy, no record.
    assert.equal(claimsOf(loser).length, 0);
    assert.equal(
      [...loser.daemon.storeState().policies.keys()].some((n) => n.startsWith('claim-')),
      false,
    );
    assert.deepEqual(
      (await fleet.vfClaims()).map((c) => `${c.host} ${c.owner}`),
      [`${winner.name} vm:x`],
    );
    // The winner's VF carries the pool's profile and the MAC the fleet recorded.
    const c = claimsOf(winner)[0];
    assert.deepEqual(winner.daemon.getVf(c.policy).policy.vlans, [300]);
    const macs = await fleet.macsOn('physnet1');
    assert.deepEqual(macs.get(c.mac), { host: winner.name, vf: c.policy });
    // The owner may claim again on its own host (a second interface).
    await claim(winner, 'vms', { owner: { kind: 'vm', id: 'x' }, ifname: 'eth1' });
    assert.equal(claimsOf(winner).length, 2);
  });

  test('two hosts asking for the same MAC at once: exactly one wins, the other names the holder', async () => {
    const mac = '02:00:00:0b:00:01';
    const out = await Promise.allSettled([
      claim(h1(), 'vms', { owner: { kind: 'vm', id: 'm1' }, mac }),
      claim(h3(), 'vms', { owner: { kind: 'vm', id: 'm3' }, mac }),
    ]);
    assert.equal(out.filter((o) => o.status === 'fulfilled').length, 1);
    const winner = out[0].status === 'fulfilled' ? h1() : h3();
    const err = (out.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason;
    assert.match(
      (err as Error).message,
      new RegExp(`MAC ${mac} on physical network physnet1 is held by host ${winner.name}`),
    );
    assert.equal((await fleet.macsOn('physnet1')).get(mac)?.host, winner.name);
  });

  test('hosts sharing a MAC range never hand out one MAC twice, even claiming at once', async () => {
    const out = await Promise.all(
      [h1(), h2(), h3(), h1(), h2(), h3()].map((h, i) =>
        claim(h, 'vms', { owner: { kind: 'pod', id: `p${i}-${h.name}` } }),
      ),
    );
    const all = hosts.flatMap((h) => claimsOf(h).map((c) => c.mac));
    assert.equal(new Set(all).size, all.length, `MACs: ${all.join(' ')}`);
    assert.equal(out.length, 6);
    const recorded = await fleet.macsOn('physnet1');
    for (const h of hosts)
      for (const c of claimsOf(h)) assert.equal(recorded.get(c.mac)?.host, h.name, c.mac);
  });

  test('a release frees the owner and the MAC fleet-wide: another host may claim them', async () => {
    const holder = hosts.find((h) => claimsOf(h).some((c) => c.owner.id === 'x'))!;
    const other = hosts.find((h) => h !== holder)!;
    const mine = claimsOf(holder).filter((c) => c.owner.id === 'x');
    assert.equal((await fleet.vfClaims()).filter((c) => c.owner === 'vm:x').length, 2);
    for (const c of mine) await holder.daemon.pools.claims.release(c.id, { who: 'test' });
    assert.equal((await fleet.vfClaims()).filter((c) => c.owner === 'vm:x').length, 0);
    const macs = await fleet.macsOn('physnet1');
    for (const c of mine) assert.equal(macs.has(c.mac), false, c.mac);
    const again = await claim(other, 'vms', { owner: { kind: 'vm', id: 'x' }, mac: mine[0].mac });
    assert.equal(again.claim.mac, mine[0].mac);
  });

  test('a pool document a host cannot run is refused in its status; the others keep theirs', async () => {
    const { revision } = await fleet.writeDocs({
      put: [poolDoc('rack-a', { rack: 'a' }, { vfs: { from: 6, to: 12 } })],
      delete: [],
    });
    await until(
      async () =>
        (await fleet.statuses()).filter(
          (s) => s.revision >= revision && s.refused.some((r) => r.doc === 'pool/rack-a'),
        ).length === 2,
      30_000,
      'pool/rack-a refused on rack a',
    );
    const st = (await fleet.statuses()).find((s) => s.host === h1().name)!;
    const p = st.refused.find((r) => r.doc === 'pool/rack-a')!.problems[0];
    assert.match(p.message, /numVfs|12/);
    // The host keeps the version it ran, and pool vms goes on.
    assert.deepEqual(
      h1()
        .daemon.storeState()
        .main.pools.find((x) => x.name === 'rack-a')?.vfs,
      {
        from: 6,
        to: 7,
      },
    );
    assert.equal(hasPool(h1(), 'vms'), true);
    // The fleet owns the VF policies of its documents, never a claim's.
    for (const h of hosts)
      for (const c of claimsOf(h))
        assert.equal(h.daemon.storeState().policies.has(c.policy), true, `${h.name} ${c.policy}`);
  });

  test('the fleet store unreachable: a claim is refused, saying so, and nothing stays', async () => {
    cluster.kill(0);
    cluster.kill(1);
    cluster.kill(2);
    try {
      await assert.rejects(
        claim(h3(), 'vms', { owner: { kind: 'vm', id: 'offline' } }),
        (err: DaemonError) => {
          assert.equal(err.kind, 'unavailable');
          assert.match(err.message, /fleet store is unreachable/);
          return true;
        },
      );
      assert.equal(
        claimsOf(h3()).some((c) => c.owner.id === 'offline'),
        false,
      );
    } finally {
      for (const i of [0, 1, 2]) cluster.restart(i);
      await cluster.healthy(60_000);
    }
  });
});

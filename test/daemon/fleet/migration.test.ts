/**
 * Migration hand-off in fleet mode, on a real 3-member etcd cluster (issues 12 and 13): the
 * target's reservation goes through the fleet store as the same owner moving, so while a VM
 * is in flight no third host can take its owner or its MAC; the source's release hands both
 * to the target in one transaction; an abort drops the move and leaves the source's records
 * as they were; a source whose release did not reach etcd hands over when its agent comes back.
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
import {
  bootHost,
  type Host,
  PF,
  startHost,
  stopFleet,
  stopHost,
  tempRoot,
  until,
} from './fleet-harness.js';

const skip = etcdMissing();

const POOL: FleetDoc = {
  kind: 'pool',
  name: 'mig',
  selector: { matchLabels: {} },
  policy: {
    name: 'mig',
    pfs: [PF],
    physicalNetwork: 'physnet1',
    migratable: true,
    vfs: { from: 0, to: 5 },
    profile: {
      vlans: [100],
      mac: { mode: 'range', from: '02:00:00:0c:00:00', to: '02:00:00:0c:00:ff' },
    },
  },
  writtenAt: new Date().toISOString(),
};

describe('migration hand-off through the fleet store (3-member etcd)', {
  skip: skip ?? false,
  timeout: 240_000,
}, () => {
  const cluster = new EtcdCluster();
  const hosts: Host[] = [];
  let fleet: EtcdFleet;
  let tmp: Awaited<ReturnType<typeof tempRoot>>;
  const [a, b, c] = [0, 1, 2].map((i) => () => hosts[i]!);
  const mig = (h: Host) => h.daemon.pools.migrations;
  const claim = (h: Host, body: ClaimBodyInput): Promise<ClaimResult> =>
    h.daemon.pools.claims.claim('mig', ClaimBody.parse(body), 'test');
  const claimsOf = (h: Host) => h.daemon.pools.ledger.view().claims;
  const recorded = async (owner: string) =>
    (await fleet.vfClaims()).filter((x) => x.owner === owner).map((x) => `${x.host} ${x.claim}`);

  /** prepare on `from`, reserve on `to`: the ticket and the reservation. */
  async function handOff(from: Host, to: Host, id: string, token: string) {
    const ticket = await mig(from).prepare(id, { token, target: to.name, ttlSeconds: 300 }, 'test');
    const r = await mig(to).reserve({ ticket, source: from.name }, 'test');
    return { ticket, r };
  }

  before(async () => {
    tmp = await tempRoot();
    await cluster.start(3);
    fleet = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    for (const i of [0, 1, 2])
      hosts.push(await startHost(tmp.root, { name: `m${i}`, labels: {}, url: cluster.url() }));
    await fleet.writeDocs({ put: [POOL], delete: [] });
    await until(
      () => hosts.every((h) => h.daemon.storeState().main.pools.some((p) => p.name === 'mig')),
      30_000,
      'pool mig on every host',
    );
  });

  after(() => stopFleet({ hosts, fleet, cluster, tmp }));

  test('the reservation holds the owner and the MAC for the move; the source commit hands both over', async () => {
    const src = await claim(a(), { owner: { kind: 'vm', id: 'g1' } });
    const { ticket, r } = await handOff(a(), b(), src.claim.id, 'token-fleet-0001');
    assert.equal(r.claim.state, 'reserved');
    assert.equal(r.claim.mac, src.claim.mac);
    assert.ok(
      r.why.some((w) => /recorded fleet-wide as vm:g1 moving here/.test(w)),
      r.why.join(),
    );
    const moves = await fleet.moves('m1');
    assert.deepEqual(
      moves.map((m) => [m.owner, m.from, m.to, m.sourceClaim, m.claim.mac]),
      [['vm:g1', 'm0', 'm1', src.claim.id, src.claim.mac]],
    );
    // In flight: the owner and the MAC are still the source's, for every other host.
    await assert.rejects(
      claim(c(), { owner: { kind: 'vm', id: 'g1' } }),
      /owner vm:g1 holds claim mig-\d+ on host m0/,
    );
    await assert.rejects(
      claim(c(), { owner: { kind: 'vm', id: 'thief' }, mac: ticket.mac }),
      // Held elsewhere (by the source) counts as in use on this physical network.
      new RegExp(`no VF for vm:thief: .*MAC ${ticket.mac} is already in use`),
    );
    // A second target for the same source claim is refused by the fleet.
    const again = await mig(a())
      .prepare(src.claim.id, { token: 'token-fleet-0001', target: 'm1', ttlSeconds: 300 }, 'test')
      .catch((e: Error) => e);
    assert.ok(!(again instanceof Error), String(again));
    await assert.rejects(
      mig(c()).reserve({ ticket: { ...ticket, token: 'token-fleet-0002' }, source: 'm0' }, 'test'),
      /the fleet refuses: claim mig-\d+ of vm:g1 is already moving to host m1 \(token token-fleet-0001\)/,
    );
    assert.equal(
      claimsOf(c()).some((x) => x.owner.id === 'g1'),
      false,
    );
    // The target may not activate while the source still holds the claim.
    await assert.rejects(
      mig(b()).commitTarget('token-fleet-0001', 'test'),
      /nothing committed: the source host m0 still records claim mig-\d+ of vm:g1/,
    );
    assert.equal(claimsOf(b())[0]?.state, 'reserved');
    // Source commit: released there, owner and MAC handed to the target in one transaction.
    const s = await mig(a()).commitSource(src.claim.id, 'token-fleet-0001', 'test');
    assert.equal(s.verified, true);
    assert.deepEqual(await recorded('vm:g1'), [`m1 ${r.claim.id}`]);
    assert.deepEqual((await fleet.macsOn('physnet1')).get(src.claim.mac), {
      host: 'm1',
      vf: r.claim.policy,
    });
    assert.deepEqual(await fleet.moves(), []);
    const t = await mig(b()).commitTarget('token-fleet-0001', 'test');
    assert.equal(t.claim.state, 'active');
    // The owner lives on the target now: its next claim goes there, not to the source.
    await assert.rejects(
      claim(a(), { owner: { kind: 'vm', id: 'g1' }, ifname: 'eth1' }),
      new RegExp(`owner vm:g1 holds claim ${r.claim.id} on host m1`),
    );
    await b().daemon.pools.claims.release(t.claim.id, { who: 'test' });
    assert.deepEqual(await recorded('vm:g1'), []);
    assert.equal((await fleet.macsOn('physnet1')).has(src.claim.mac), false);
  });

  test('abort drops the move and leaves the source’s records; another target may reserve then', async () => {
    const src = await claim(a(), { owner: { kind: 'vm', id: 'g2' } });
    const { ticket } = await handOff(a(), b(), src.claim.id, 'token-fleet-0003');
    assert.equal((await fleet.moves()).length, 1);
    await mig(b()).abortTarget('token-fleet-0003', 'test');
    await mig(a()).abortSource(src.claim.id, 'token-fleet-0003', 'test');
    assert.deepEqual(await fleet.moves(), []);
    assert.deepEqual(await recorded('vm:g2'), [`m0 ${src.claim.id}`]);
    assert.equal((await fleet.macsOn('physnet1')).get(src.claim.mac)?.host, 'm0');
    assert.equal(claimsOf(b()).length, 0);
    // Migrate again, to the third host this time.
    const t2 = await mig(a()).prepare(
      src.claim.id,
      { token: 'token-fleet-0004', target: 'm2', ttlSeconds: 300 },
      'test',
    );
    assert.equal(t2.mac, ticket.mac);
    const r = await mig(c()).reserve({ ticket: t2, source: 'm0' }, 'test');
    assert.equal(r.claim.mac, src.claim.mac);
    await mig(c()).abortTarget('token-fleet-0004', 'test');
    await mig(a()).abortSource(src.claim.id, 'token-fleet-0004', 'test');
    await a().daemon.pools.claims.release(src.claim.id, { who: 'test' });
    assert.deepEqual(await recorded('vm:g2'), []);
  });

  test('two targets reserving one source claim at the same moment: exactly one move is recorded', async () => {
    const src = await claim(a(), { owner: { kind: 'vm', id: 'g3' } });
    const ticket = await mig(a()).prepare(
      src.claim.id,
      { token: 'token-fleet-0005', target: 'm1', ttlSeconds: 300 },
      'test',
    );
    const out = await Promise.allSettled([
      mig(b()).reserve({ ticket, source: 'm0' }, 'test'),
      mig(c()).reserve({ ticket: { ...ticket, token: 'token-fleet-0006' }, source: 'm0' }, 'test'),
    ]);
    assert.equal(out.filter((o) => o.status === 'fulfilled').length, 1, JSON.stringify(out));
    const lost = out.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
    assert.ok(lost.reason instanceof DaemonError);
    assert.match(lost.reason.message, /is already moving to host m[12]/);
    const loser = out[0].status === 'rejected' ? b() : c();
    assert.equal(claimsOf(loser).length, 0, 'the loser keeps no reservation');
    assert.equal((await fleet.moves()).length, 1);
    const winner = loser === b() ? c() : b();
    const token = winner === b() ? 'token-fleet-0005' : 'token-fleet-0006';
    await mig(winner).abortTarget(token, 'test');
    await mig(a()).abortSource(src.claim.id, 'token-fleet-0005', 'test');
    await a().daemon.pools.claims.release(src.claim.id, { who: 'test' });
  });

  test('an owner with two claims moves one at a time: the owner record names the source until its last claim leaves', async () => {
    const owner = { kind: 'vm' as const, id: 'g5' };
    const s1 = await claim(a(), { owner, ifname: 'eth0' });
    const s2 = await claim(a(), { owner, ifname: 'eth1' });
    const first = await handOff(a(), b(), s1.claim.id, 'token-fleet-0011');
    await mig(a()).commitSource(s1.claim.id, 'token-fleet-0011', 'test');
    await mig(b()).commitTarget('token-fleet-0011', 'test');
    assert.deepEqual((await recorded('vm:g5')).sort(), [
      `m0 ${s2.claim.id}`,
      `m1 ${first.r.claim.id}`,
    ]);
    // Half moved: the owner is still the source's for every other host, and for the target's
    // own new claims (its VM is not all there yet).
    await assert.rejects(
      claim(c(), { owner, ifname: 'eth2' }),
      new RegExp(`owner vm:g5 holds claim ${s2.claim.id} on host m0`),
    );
    await assert.rejects(claim(b(), { owner, ifname: 'eth2' }), /on host m0/);
    const second = await handOff(a(), b(), s2.claim.id, 'token-fleet-0012');
    await mig(a()).commitSource(s2.claim.id, 'token-fleet-0012', 'test');
    await mig(b()).commitTarget('token-fleet-0012', 'test');
    assert.deepEqual((await recorded('vm:g5')).sort(), [
      `m1 ${first.r.claim.id}`,
      `m1 ${second.r.claim.id}`,
    ]);
    // All moved: the owner is the target's, with both claims.
    await assert.rejects(
      claim(c(), { owner, ifname: 'eth2' }),
      new RegExp(
        `owner vm:g5 holds claim ${first.r.claim.id}, ${second.r.claim.id} on host m1|owner vm:g5 holds claim ${second.r.claim.id}, ${first.r.claim.id} on host m1`,
      ),
    );
    for (const x of [first.r.claim, second.r.claim])
      await b().daemon.pools.claims.release(x.id, { who: 'test' });
    assert.deepEqual(await recorded('vm:g5'), []);
    // Nothing of g5 is left: any host may claim for it now.
    const again = await claim(c(), { owner, ifname: 'eth0' });
    await c().daemon.pools.claims.release(again.claim.id, { who: 'test' });
  });

  test('the source released while etcd was down: the target waits, the source’s agent hands over when back', async () => {
    const src = await claim(a(), { owner: { kind: 'vm', id: 'g4' } });
    const { r } = await handOff(a(), b(), src.claim.id, 'token-fleet-0007');
    // The source commits locally while the whole cluster is down: its release cannot reach
    // the store (logged), the VF is given back here all the same.
    for (const i of [0, 1, 2]) cluster.kill(i);
    try {
      const s = await mig(a()).commitSource(src.claim.id, 'token-fleet-0007', 'test');
      assert.equal(s.verified, true);
      assert.equal(claimsOf(a()).length, 0);
      // The source host goes down before etcd is back (its agent would sync on reconnect).
      await stopHost(a());
    } finally {
      for (const i of [0, 1, 2]) cluster.restart(i);
      await cluster.healthy(60_000);
    }
    // Until the source's agent is back, the store still says the source holds it.
    assert.deepEqual(await recorded('vm:g4'), [`m0 ${src.claim.id}`]);
    await assert.rejects(
      mig(b()).commitTarget('token-fleet-0007', 'test'),
      /the source host m0 still records claim/,
    );
    // The source's agent starts again: its claim sync finds the record of a claim it no
    // longer holds, with a move pending, and hands over instead of dropping it.
    await bootHost(a());
    await until(
      async () =>
        (await recorded('vm:g4')).length === 1 &&
        (await recorded('vm:g4'))[0] === `m1 ${r.claim.id}`,
      30_000,
      'the hand-over',
    );
    const t = await mig(b()).commitTarget('token-fleet-0007', 'test');
    assert.equal(t.claim.state, 'active');
    assert.equal((await fleet.macsOn('physnet1')).get(src.claim.mac)?.host, 'm1');
    await b().daemon.pools.claims.release(t.claim.id, { who: 'test' });
  });
});

/** The etcd fleet backend against a real 3-member etcd cluster on 127.0.0.1. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DocEvent } from '../../../src/daemon/fleet/backend.js';
import { EtcdFleet } from '../../../src/daemon/fleet/etcd.js';
import { parseFleetUrl } from '../../../src/daemon/fleet/url.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import type { FleetDoc } from '../../../src/model/fleet.js';
import { EtcdCluster, etcdMissing } from './etcd-cluster.js';

const skip = etcdMissing();

function doc(name: string, vlan: number): FleetDoc {
  return {
    kind: 'vf',
    name,
    selector: { matchLabels: {} },
    policy: { name, pf: 'sim:nic0/0', vf: 0, vlans: [vlan] },
  };
}

describe('etcd fleet backend', { skip: skip ?? false, timeout: 60_000 }, () => {
  const cluster = new EtcdCluster();
  let fleet: EtcdFleet;
  before(async () => {
    await cluster.start(3);
    fleet = new EtcdFleet(parseFleetUrl(cluster.url('/t1')), silentLogger());
  });
  after(async () => {
    await fleet?.close();
    await cluster.stop();
  });

  test('a snapshot holds every document; a watch from its revision sees later changes in order', async () => {
    await fleet.writeDocs({ put: [doc('a', 10), doc('b', 20)], delete: [] });
    const snap = await fleet.snapshot();
    assert.deepEqual(snap.docs.map((d) => d.key).sort(), ['vf/a', 'vf/b']);
    const seen: DocEvent[] = [];
    const w = fleet.watch(snap.revision + 1, {
      onEvents: (ev) => seen.push(...ev),
      onCompacted: () => assert.fail('not compacted'),
      onDisconnected: () => {},
      onConnected: () => {},
    });
    await fleet.writeDocs({ put: [doc('a', 11)], delete: ['vf/b'] });
    const end = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await w.close();
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.key}`),
      ['put vf/a', 'delete vf/b'],
    );
  });

  test('a watch from a compacted revision says so', async () => {
    const snap = await fleet.snapshot();
    await fleet.writeDocs({ put: [doc('c', 30)], delete: [] });
    const c = cluster.client();
    const { revision } = await fleet.writeDocs({ put: [doc('c', 31)], delete: [] });
    await c.namespace('/t1/').get('x').exec(); // any call, to be connected
    await (c as unknown as { kv: { compact(r: object): Promise<unknown> } }).kv.compact({
      revision: String(revision),
      physical: true,
    });
    c.close();
    let compacted = false;
    const w = fleet.watch(snap.revision, {
      onEvents: () => {},
      onCompacted: () => {
        compacted = true;
      },
      onDisconnected: () => {},
      onConnected: () => {},
    });
    const end = Date.now() + 5000;
    while (!compacted && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await w.close();
    assert.equal(compacted, true);
  });

  test('of two hosts claiming one MAC at once exactly one wins, and the winner can claim again', async () => {
    const other = new EtcdFleet(parseFleetUrl(cluster.url('/t1')), silentLogger());
    const [a, b] = await Promise.all([
      fleet.claimMacs('net1', ['02:00:00:00:00:aa'], { host: 'h1', vf: 'x' }),
      other.claimMacs('net1', ['02:00:00:00:00:aa'], { host: 'h2', vf: 'x' }),
    ]);
    await other.close();
    assert.equal([a.ok, b.ok].filter(Boolean).length, 1);
    const winner = a.ok ? 'h1' : 'h2';
    assert.deepEqual(
      await fleet.claimMacs('net1', ['02:00:00:00:00:aa'], { host: winner, vf: 'x' }),
      { ok: true },
    );
    // Another network is another address space.
    assert.deepEqual(
      await fleet.claimMacs('net2', ['02:00:00:00:00:aa'], { host: 'h3', vf: 'y' }),
      { ok: true },
    );
    await fleet.releaseMacs(winner, new Set());
    assert.deepEqual((await fleet.claimsOf(winner)).size, 0);
  });

  test('the rollout record is written only from the revision the writer read', async () => {
    const r = await fleet.rollout();
    assert.equal(r.record, null);
    const rec = {
      id: 'r1',
      state: 'running' as const,
      canary: null,
      maxUnavailable: 1,
      docs: [],
      hosts: [],
      vfsByHost: {},
      done: [],
      inFlight: [],
      failure: null,
      consent: [],
      waitingFor: [],
      startedAt: '',
      updatedAt: '',
    };
    assert.equal(
      (await fleet.writeDocs({ put: [], delete: [], rollout: rec, rolloutRevision: 0 })).ok,
      true,
    );
    assert.equal(
      (await fleet.writeDocs({ put: [], delete: [], rollout: rec, rolloutRevision: 0 })).ok,
      false,
    );
    const now = await fleet.rollout();
    assert.equal(now.record?.id, 'r1');
    assert.equal(
      (await fleet.writeDocs({ put: [], delete: [], rollout: null, rolloutRevision: now.revision }))
        .ok,
      true,
    );
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetDoc, HostRegistration, HostStatus } from '../../src/model/fleet.js';
import { canonical, hostDesired, selects, versionFor } from '../../src/policy/fleet.js';
import { consentNeeds, planFleet, planHost } from '../../src/policy/fleet-plan.js';

const PF = 'sim:nic0/0';
const vf = (name: string, policy: object, matchLabels: Record<string, string> = {}): FleetDoc => ({
  kind: 'vf',
  name,
  selector: { matchLabels },
  policy: { name, pf: PF, ...policy },
});
const pf = (name: string, policy: object): FleetDoc => ({
  kind: 'pf',
  name,
  selector: { matchLabels: {} },
  policy: { pf: PF, ...policy },
});
const reg = (host: string, labels: Record<string, string> = {}): HostRegistration => ({
  host,
  labels,
  driver: 'sim',
  pfs: [PF],
  version: '0',
  startedAt: '',
});

test('a selector matches when every label matches; empty selects everything', () => {
  assert.equal(selects({ matchLabels: {} }, {}), true);
  assert.equal(selects({ matchLabels: { rack: 'r1' } }, { rack: 'r1', zone: 'a' }), true);
  assert.equal(
    selects({ matchLabels: { rack: 'r1', zone: 'b' } }, { rack: 'r1', zone: 'a' }),
    false,
  );
});

test('a host takes the documents its labels (and its implicit host name) select', () => {
  const docs = [
    vf('a', { vf: 0 }, { rack: 'r1' }),
    vf('b', { vf: 1 }, { 'nicvisor.io/hostname': 'h2' }),
  ];
  assert.deepEqual(
    hostDesired(docs, 'h1', { rack: 'r1' }).vfs.map((d) => d.key),
    ['vf/a'],
  );
  assert.deepEqual(
    hostDesired(docs, 'h2', { rack: 'r2' }).vfs.map((d) => d.key),
    ['vf/b'],
  );
  assert.equal(hostDesired(docs, 'h2', { 'nicvisor.io/network': 'n7' }).vfs[0].network, 'n7');
});

test('during a rollout hosts outside it run the previous version; a new document nowhere else', () => {
  const d: FleetDoc = {
    ...vf('a', { vf: 0, vlans: [2] }),
    rollout: {
      id: 'r',
      previous: { selector: { matchLabels: {} }, policy: { vlans: [1] } },
      hosts: ['h1'],
    },
  };
  assert.deepEqual(versionFor(d, 'h1')?.policy, { name: 'a', pf: PF, vf: 0, vlans: [2] });
  assert.deepEqual(versionFor(d, 'h2')?.policy, { vlans: [1] });
  assert.equal(versionFor({ ...d, rollout: { ...d.rollout!, previous: null } }, 'h2'), null);
  assert.equal(versionFor({ ...d, deleted: true }, 'h1'), null);
});

test('canonical text ignores key order', () => {
  assert.equal(canonical({ a: 1, b: { c: 2, d: 3 } }), canonical({ b: { d: 3, c: 2 }, a: 1 }));
});

test('plan classes: attributes in place, MAC/VLAN of an owned VF visible, numVfs disruptive', () => {
  const cur = [
    vf('a', { vf: 0, vlans: [1], maxTxRate: 10 }),
    vf('b', { vf: 1, vlans: [1] }),
    pf('p', { numVfs: 4 }),
  ];
  const status = {
    vfs: { b: { syncState: 'in-sync', lastError: null, owned: true } },
  } as unknown as HostStatus;
  const next = [
    vf('a', { vf: 0, vlans: [2], maxTxRate: 20 }),
    vf('b', { vf: 1, vlans: [2] }),
    pf('p', { numVfs: 8 }),
  ];
  const p = planHost(reg('h1'), status, cur, next);
  const byDoc = Object.fromEntries(p.changes.map((c) => [c.doc, c]));
  assert.equal(byDoc['vf/a'].class, 'in-place', 'a free VF');
  assert.deepEqual(byDoc['vf/a'].fields, ['maxTxRate', 'vlans']);
  assert.equal(byDoc['vf/b'].class, 'visible-to-owner');
  assert.equal(byDoc['pf/p'].class, 'disruptive');
  assert.deepEqual(byDoc['pf/p'].vfs, ['a', 'b'], 'only the VFs of that PF');
  assert.equal(p.class, 'disruptive');
  assert.equal(p.vfCount, 2);
});

test('consent: exactly the owners of VFs changed visibly, per host; pools change in place', () => {
  const cur = [
    vf('a', { vf: 0, vlans: [1] }),
    vf('b', { vf: 1, vlans: [1] }),
    vf('c', { vf: 2, vlans: [1], maxTxRate: 1 }),
  ];
  const status = (host: string) =>
    ({
      host,
      vfs: {
        a: { syncState: 'in-sync', lastError: null, owned: true, owner: 'vm:x' },
        b: { syncState: 'in-sync', lastError: null, owned: true, owner: null },
        c: { syncState: 'in-sync', lastError: null, owned: true, owner: 'vm:y' },
      },
    }) as unknown as HostStatus;
  const pool = (vlans: number[]): FleetDoc => ({
    kind: 'pool',
    name: 'vms',
    selector: { matchLabels: {} },
    policy: { name: 'vms', pfs: [PF], physicalNetwork: 'n', profile: { vlans } },
  });
  const next = [
    vf('a', { vf: 0, vlans: [2] }),
    vf('b', { vf: 1, vlans: [2] }),
    vf('c', { vf: 2, vlans: [1], maxTxRate: 2 }),
    pool([5]),
  ];
  const plan = planFleet([reg('h1'), reg('h2')], [status('h1')], [...cur, pool([4])], next);
  const needs = consentNeeds(plan);
  assert.deepEqual(needs, [
    { owner: 'vm:x', host: 'h1', vfs: ['a'], docs: ['vf/a'] },
    { owner: 'guest:h1/b', host: 'h1', vfs: ['b'], docs: ['vf/b'] },
  ]);
  // vm:y's VF changes only its rate (in place); h2 reports no owners.
  const pc = plan[0].changes.find((c) => c.doc === 'pool/vms')!;
  assert.equal(pc.class, 'in-place');
  assert.deepEqual(pc.vfs, []);
  assert.equal(plan[1].changes.filter((c) => c.class === 'visible-to-owner').length, 0);
});

test('a plan lists per host only what changes for it', () => {
  const cur = [vf('a', { vf: 0 })];
  const next = [vf('a', { vf: 0 }), vf('e', { vf: 1 }, { rack: 'r1' })];
  const plan = planFleet([reg('h2', { rack: 'r2' }), reg('h1', { rack: 'r1' })], [], cur, next);
  assert.deepEqual(
    plan.map((h) => [h.host, h.changes.map((c) => `${c.action} ${c.doc}`)]),
    [
      ['h1', ['add vf/e']],
      ['h2', []],
    ],
  );
  assert.equal(plan[1].class, null);
});

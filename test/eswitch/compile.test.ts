import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EswitchRuleSet } from '../../src/model/index.js';
import { formatRule } from '../../src/policy/eswitch/format.js';
import { byId, chainOf, world } from './kit.js';

const A = '02:00:00:00:00:0a';

describe('eswitch compiler', () => {
  it('a port VLAN refuses guest tags, then polices, tags with its PCP and protocol', () => {
    const w = world([
      {
        name: 'a',
        vf: 0,
        vlans: [100],
        vlanQoS: 5,
        vlanProto: '802.1ad',
        maxTxRate: 10,
        macs: [A],
      },
    ]);
    const vlan = chainOf(w, 'vf0', 1);
    assert.deepEqual(
      vlan.map((r) => [r.match, r.actions, r.counter]),
      [
        [{ protocol: '802.1ad' }, [{ kind: 'drop' }], 'spoofed'],
        [{ protocol: 'all' }, [{ kind: 'goto', chain: 2 }], undefined],
      ],
    );
    assert.deepEqual(byId(w, 'vf0/3/end').actions, [
      { kind: 'police', rateMbps: 10, burstBytes: 9242 },
      { kind: 'vlanPush', id: 100, prio: 5, proto: '802.1ad' },
      { kind: 'goto', chain: 4 },
    ]);
    assert.equal(byId(w, 'vf0/3/end').counter, 'txDropped');
    // From the wire, VLAN 100 (802.1ad) to its MAC: the tag comes off before delivery.
    assert.deepEqual(byId(w, `uplink/${0x2000 + 100}/mac/${A}`).actions, [
      { kind: 'vlanPop' },
      { kind: 'redirect', to: 'vf0' },
    ]);
  });

  it('MAC and VLAN anti-spoof are independent checks with their own rules', () => {
    const macOnly = world([
      { name: 'a', vf: 0, vlans: [10, 20], macs: [A], macAntiSpoof: true, vlanAntiSpoof: false },
    ]);
    assert.deepEqual(
      chainOf(macOnly, 'vf0', 0).map((r) => [r.match.srcMac, r.counter]),
      [
        [A, undefined],
        [undefined, 'spoofed'],
      ],
    );
    assert.equal(chainOf(macOnly, 'vf0', 1).length, 1, 'no VLAN check');
    const vlanOnly = world([
      { name: 'a', vf: 0, vlans: [10, 20], macs: [A], macAntiSpoof: false, vlanAntiSpoof: true },
    ]);
    assert.equal(chainOf(vlanOnly, 'vf0', 0).length, 1, 'no MAC check');
    assert.deepEqual(
      chainOf(vlanOnly, 'vf0', 1).map((r) => r.id),
      [
        'vf0/1/vlan/802.1Q/0',
        'vf0/1/vlan/802.1Q/10',
        'vf0/1/vlan/802.1Q/20',
        'vf0/1/tagged/802.1Q',
        'vf0/1/end',
      ],
    );
  });

  it('broadcast, multicast and unknown unicast reach only the VFs that allow them', () => {
    const w = world([
      { name: 'a', vf: 0, macs: [A] },
      { name: 'b', vf: 1, allowBroadcast: false, allowMulticast: true, allowUnknownUnicast: true },
      { name: 'c', vf: 2, allowBroadcast: true, allowMulticast: false },
    ]);
    // Untagged frames go to the chain the dispatch's catch-all names.
    const chainOfUntagged = (port: string, chain: number) =>
      (byId(w, `${port}/${chain}/end`).actions[0] as { chain: number }).chain;
    const untagged = chainOfUntagged('vf0', 4);
    assert.equal(chainOfUntagged('uplink', 0), untagged, 'one group: untagged, priority, 802.1ad');
    const to = (id: string) =>
      byId(w, id)
        .actions.filter((a) => a.kind === 'mirror' || a.kind === 'redirect')
        .map((a) => (a as { to: string }).to);
    assert.deepEqual(to(`vf0/${untagged}/bcast`), ['uplink', 'vf2']);
    assert.deepEqual(to(`vf0/${untagged}/mcast`), ['uplink', 'vf1']);
    assert.deepEqual(to(`vf0/${untagged}/end`), ['uplink', 'vf1']);
    assert.deepEqual(to(`uplink/${untagged}/end`), ['vf1']);
  });

  it('a frame for a local MAC the owner refuses is dropped, never flooded', () => {
    const w = world([
      { name: 'a', vf: 0, vlans: [10], macs: [A] },
      { name: 'b', vf: 1, vlans: [20], macs: ['02:00:00:00:00:0b'] },
    ]);
    const r = byId(w, `vf1/${0x1000 + 20}/mac/${A}`);
    assert.deepEqual([r.actions, r.counter, r.owner], [[{ kind: 'drop' }], 'txDropped', 'pf']);
    assert.match(r.why, /refuses VLAN 20/);
  });

  it('mirrors copy what a VF receives after the strip, and what it sends as it left', () => {
    const w = world([
      { name: 'a', vf: 0, vlans: [10], macs: [A], mirror: { target: 'tap', direction: 'all' } },
      { name: 'tap', vf: 1 },
    ]);
    assert.deepEqual(byId(w, `uplink/${0x1000 + 10}/mac/${A}`).actions, [
      { kind: 'vlanPop' },
      { kind: 'mirror', to: 'vf0' },
      { kind: 'redirect', to: 'vf1', counter: 'mirrored', of: 'vf0' },
    ]);
    assert.deepEqual(byId(w, `vf0/${0x1000 + 10}/end`).actions, [
      { kind: 'mirror', to: 'vf1', counter: 'mirrored', of: 'vf0' },
      { kind: 'redirect', to: 'uplink' },
    ]);
  });

  it('loopback off sends everything a VF sends to the wire', () => {
    const w = world(
      [
        { name: 'a', vf: 0 },
        { name: 'b', vf: 1 },
      ],
      { loopback: false },
    );
    assert.deepEqual(chainOf(w, 'vf0', 4), [
      {
        id: 'vf0/4/end',
        owner: 'pf',
        port: 'vf0',
        chain: 4,
        prio: 0xffff,
        match: { protocol: 'all' },
        actions: [{ kind: 'redirect', to: 'uplink' }],
        why: 'loopback off: all to the wire',
      },
    ]);
    assert.ok(!w.rules.rules.some((r) => r.port === 'vf0' && r.chain > 4));
  });

  it('isolates a VF without a policy: nicvisor owns the whole eswitch', () => {
    const w = world([{ name: 'a', vf: 0 }], { numVfs: 2 });
    assert.deepEqual(
      chainOf(w, 'vf1', 0).map((r) => r.actions),
      [[{ kind: 'drop' }]],
    );
    assert.ok(!w.rules.rules.some((r) => r.actions.some((a) => 'to' in a && a.to === 'vf1')));
  });

  it('prints like tc and reads back from its JSON unchanged', () => {
    const w = world([{ name: 'a', vf: 0, vlans: [10, 20], macs: [A] }]);
    assert.equal(
      formatRule(byId(w, 'vf0/1/vlan/802.1Q/10')),
      'vf0 chain 1 prio 11 protocol 802.1Q flower vlan_id 10 action goto chain 2  # VLAN 10 (802.1Q) is a member VLAN',
    );
    const text = JSON.stringify(w.rules);
    assert.deepEqual(EswitchRuleSet.parse(JSON.parse(text)), w.rules);
  });

  it('gives the same rules, with the same ids, for the same policy', () => {
    const p = [
      { name: 'a', vf: 0, vlans: [10], macs: [A] },
      { name: 'b', vf: 3 },
    ];
    assert.deepEqual(world(p).rules, world(p).rules);
  });
});

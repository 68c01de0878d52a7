import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EswitchRule,
  type EswitchRuleInput,
  ObservedRule,
  portVf,
  RuleMatch,
  vfPort,
} from '../../src/model/index.js';

const rule: EswitchRuleInput = {
  id: 'vf3/vlan/100',
  owner: { vf: 3, name: 'web-1' },
  port: 'vf3',
  chain: 1,
  prio: 20,
  match: { protocol: '802.1Q', vlanId: 100, srcMac: '02:AA:00:00:00:01' },
  actions: [
    { kind: 'mirror', to: 'vf5', counter: 'mirrored' },
    { kind: 'goto', chain: 100 },
  ],
  why: 'VLAN 100 is in the trunk',
};

test('eswitch model: a rule reads back from its JSON text unchanged', () => {
  const parsed = EswitchRule.parse(rule);
  assert.equal(parsed.match.srcMac, '02:aa:00:00:00:01', 'MACs are lower-cased');
  assert.deepEqual(EswitchRule.parse(JSON.parse(JSON.stringify(parsed))), parsed);
});

test('eswitch model: an action list must end in exactly one of redirect, drop, goto', () => {
  const early = { ...rule, actions: [{ kind: 'drop' }, { kind: 'goto', chain: 1 }] };
  const open = { ...rule, actions: [{ kind: 'vlanPop' }] };
  for (const bad of [early, open]) {
    const r = EswitchRule.safeParse(bad);
    assert.equal(r.success, false, JSON.stringify(bad.actions));
  }
});

test('eswitch model: flower key dependencies are checked (vlan needs a VLAN protocol)', () => {
  assert.equal(RuleMatch.safeParse({ protocol: 'all', vlanId: 5 }).success, false);
  assert.equal(RuleMatch.safeParse({ protocol: '802.1ad', vlanId: 5, cvlanId: 7 }).success, false);
  const qinq = { protocol: '802.1ad', vlanId: 5, vlanEthType: '802.1Q', cvlanId: 7 } as const;
  assert.equal(RuleMatch.safeParse(qinq).success, true);
  assert.equal(
    RuleMatch.safeParse({ dstMac: '01:00:00:00:00:00/01:00:00:00:00:00' }).success,
    true,
  );
  assert.equal(RuleMatch.safeParse({ dstMac: '01:00:00:00:00:00/zz' }).success, false);
});

test('eswitch model: ports are uplink, host or vfN', () => {
  assert.equal(vfPort(12), 'vf12');
  assert.equal(portVf('vf12'), 12);
  assert.equal(portVf('uplink'), null);
  for (const bad of ['vf', 'vf01', 'pf0vf3', 'wire']) {
    assert.equal(EswitchRule.safeParse({ ...rule, port: bad }).success, false, bad);
  }
});

test('eswitch model: observed rules carry counters and inHw', () => {
  const o = ObservedRule.parse({ ...rule, packets: 3, bytes: 192, drops: 0, inHw: true });
  assert.equal(o.inHw, true);
  assert.equal(ObservedRule.safeParse({ ...rule, packets: 3 }).success, false);
});

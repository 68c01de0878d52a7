import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deleteLine,
  replaceLine,
  ruleCookie,
  ruleField,
  tcAction,
} from '../../../../src/drivers/linux/eswitch/tc-lines.js';
import { EswitchRule, type EswitchRuleInput } from '../../../../src/model/index.js';
import { world } from '../../../eswitch/kit.js';

const DEVS: Record<string, string> = { uplink: 'enp8s0f0np0', vf0: 'pf0vf0', vf1: 'pf0vf1' };
const devOf = (p: string) => {
  const d = DEVS[p];
  if (!d) throw new Error(`no netdev for ${p}`);
  return d;
};
const rule = (r: Partial<EswitchRuleInput>) =>
  EswitchRule.parse({
    id: 'vf0/1/x',
    owner: { vf: 0, name: 'web' },
    port: 'vf0',
    chain: 1,
    prio: 11,
    match: {},
    actions: [{ kind: 'drop' }],
    why: 'test',
    ...r,
  });

/** The line without its cookie (a digest, checked on its own). */
function lineOf(r: EswitchRule, handle = 1, placement: 'skip_hw' | 'both' = 'skip_hw'): string {
  return replaceLine(r, handle, devOf, placement).line.replace(/ cookie [0-9a-f]{32}$/, '');
}

describe('rule → tc filter line', () => {
  it('a VLAN trunk member: protocol, keys, goto', () => {
    const r = rule({
      match: { protocol: '802.1Q', vlanId: 100 },
      actions: [{ kind: 'goto', chain: 2 }],
    });
    assert.equal(
      lineOf(r, 4),
      'filter replace dev pf0vf0 ingress chain 1 prio 11 handle 4 protocol 802.1Q flower skip_hw vlan_id 100 action goto chain 2',
    );
  });

  it('QinQ keys, MAC masks, and no placement flag when the NIC may choose', () => {
    const r = rule({
      chain: 0,
      prio: 12,
      match: {
        protocol: '802.1ad',
        vlanId: 10,
        vlanEthType: '802.1Q',
        cvlanId: 20,
        dstMac: '01:00:00:00:00:00/01:00:00:00:00:00',
        srcMac: '02:00:00:00:00:01',
      },
      actions: [{ kind: 'vlanPop' }, { kind: 'redirect', to: 'vf1' }],
    });
    assert.equal(
      lineOf(r, 1, 'both'),
      'filter replace dev pf0vf0 ingress chain 0 prio 12 handle 1 protocol 802.1ad flower dst_mac 01:00:00:00:00:00/01:00:00:00:00:00 src_mac 02:00:00:00:00:01 vlan_id 10 vlan_ethtype 802.1Q cvlan_id 20 action vlan pop pipe action mirred egress redirect dev pf0vf1',
    );
  });

  it('every action kind as tc spells it', () => {
    assert.equal(
      tcAction({ kind: 'vlanPush', id: 7, prio: 3, proto: '802.1ad' }, devOf),
      'vlan push id 7 priority 3 protocol 802.1ad pipe',
    );
    assert.equal(
      tcAction({ kind: 'mirror', to: 'vf1', counter: 'mirrored', of: 'vf0' }, devOf),
      'mirred egress mirror dev pf0vf1 pipe',
    );
    assert.equal(
      tcAction({ kind: 'redirect', to: 'uplink' }, devOf),
      'mirred egress redirect dev enp8s0f0np0',
    );
    assert.equal(
      tcAction({ kind: 'police', rateMbps: 100, burstBytes: 125000 }, devOf),
      'police rate 100mbit burst 125000 conform-exceed drop/pipe',
    );
    // The whole frame, as the model says (software TC: minus an outer tag, lab-tested).
    assert.equal(
      tcAction({ kind: 'policeMtu', mtu: 1518 }, devOf),
      'police mtu 1518 conform-exceed drop/pipe',
    );
    assert.equal(tcAction({ kind: 'drop' }, devOf), 'drop');
    assert.equal(tcAction({ kind: 'goto', chain: 0x1064 }, devOf), 'goto chain 4196');
  });

  it('named ethertypes use tc words (ip for ipv4), others hex', () => {
    assert.match(lineOf(rule({ match: { protocol: 'ipv4' } })), / protocol ip flower /);
    assert.match(lineOf(rule({ match: { protocol: 0x88cc } })), / protocol 0x88cc flower /);
    assert.match(
      lineOf(rule({ match: { protocol: 'all' } })),
      / protocol all flower skip_hw action drop$/,
    );
  });

  it('the cookie is on the last action and changes with the rule, its id and its ports', () => {
    const r = rule({});
    const { line, cookie } = replaceLine(r, 1, devOf, 'skip_hw');
    assert.match(cookie, /^[0-9a-f]{32}$/);
    assert.ok(line.endsWith(`action drop cookie ${cookie}`));
    assert.equal(ruleCookie(r, devOf, 'skip_hw'), cookie, 'the same rule, the same cookie');
    assert.notEqual(ruleCookie(rule({ id: 'vf0/1/y' }), devOf, 'skip_hw'), cookie);
    assert.notEqual(ruleCookie(rule({ prio: 12 }), devOf, 'skip_hw'), cookie);
    assert.notEqual(ruleCookie(r, devOf, 'both'), cookie);
    const other = (p: string) => (p === 'vf0' ? 'eth9' : devOf(p));
    assert.notEqual(ruleCookie(r, other, 'skip_hw'), cookie, 'a renamed representor');
  });

  it('delete names the filter by place, handle and protocol', () => {
    const { place } = replaceLine(
      rule({ match: { protocol: '802.1Q', vlanId: 5 } }),
      3,
      devOf,
      'skip_hw',
    );
    assert.equal(
      deleteLine(place),
      'filter del dev pf0vf0 ingress chain 1 prio 11 handle 3 protocol 802.1Q flower',
    );
  });

  it('a port without a representor is an error naming it', () => {
    assert.throws(
      () => replaceLine(rule({ port: 'vf5' }), 1, devOf, 'skip_hw'),
      /no netdev for vf5/,
    );
  });

  it('every rule of a compiled eswitch translates, and the field it is blamed on is a policy field', () => {
    const w = world(
      [
        {
          name: 'a',
          vf: 0,
          vlans: [10, 20],
          macs: ['02:00:00:00:00:01'],
          maxTxRate: 100,
          mtu: 1500,
        },
        {
          name: 'b',
          vf: 1,
          vlans: [10],
          vlanProto: '802.1ad',
          mirror: { target: 'a', direction: 'all' },
        },
      ],
      { numVfs: 2, loopback: true },
    );
    const fields = new Set<string>();
    for (const r of w.rules.rules) {
      const { line } = replaceLine(r, 1, devOf, 'skip_hw');
      assert.match(
        line,
        /^filter replace dev \S+ ingress chain \d+ prio \d+ handle 1 protocol \S+ flower skip_hw/,
      );
      assert.doesNotMatch(line, /undefined|NaN/);
      fields.add(ruleField(r));
    }
    for (const f of fields) {
      assert.match(
        f,
        /^(macs\/macAntiSpoof|vlans\/vlanAntiSpoof|mtu|maxTxRate|vlans|macs|mirror|allowBroadcast|allowMulticast|loopback|allowUnknownUnicast)$/,
      );
    }
    assert.ok(fields.has('maxTxRate') && fields.has('mirror') && fields.has('vlans/vlanAntiSpoof'));
  });
});

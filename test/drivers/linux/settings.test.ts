import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipEquivalent } from '../../../src/drivers/linux/ip-equivalent.js';
import {
  changeOf,
  differingGroups,
  type KernelState,
  kernelState,
  observedSettings,
  refusal,
  withField,
} from '../../../src/drivers/linux/settings.js';
import { linuxCapabilities, NEUTRAL_VF_VALUES } from '../../../src/model/index.js';
import { VF_FIELD_ORDER } from '../../../src/policy/plan.js';
import { vfInfo } from './fixtures.js';

const blank: KernelState = kernelState(vfInfo(0));

const igb = linuxCapabilities({
  driver: 'igb',
  totalVfs: 7,
  linkSpeedMbps: 1000,
  maxMtu: 9216,
  hasDevlinkEswitch: false,
});
const nsim = linuxCapabilities({
  driver: 'netdevsim',
  totalVfs: 64,
  linkSpeedMbps: 0,
  maxMtu: 65535,
  hasDevlinkEswitch: true,
});

describe('capabilities per kernel driver', () => {
  it('igb: no 802.1ad, link state, min rate or switchdev', () => {
    assert.deepEqual(igb.vlanProtos, ['802.1Q']);
    assert.deepEqual(igb.eswitchModes, ['legacy']);
    assert.equal(igb.unsupportedVfFields.linkState?.only, 'auto');
    assert.equal(igb.unsupportedVfFields.minTxRate?.only, 0);
    assert.equal(igb.driver, 'linux/igb');
    assert.equal(igb.maxMtu, 9216);
  });

  it('netdevsim: everything the VF API has, switchdev, MTU capped to the model maximum', () => {
    assert.deepEqual(nsim.vlanProtos, ['802.1Q', '802.1ad']);
    assert.deepEqual(nsim.eswitchModes, ['legacy', 'switchdev']);
    assert.equal(nsim.unsupportedVfFields.linkState, undefined);
    assert.equal(nsim.maxMtu, 9216);
  });

  it('all: no mailbox, no mirroring, no per-VF bcast/mcast/unknown-unicast, one spoofchk', () => {
    for (const c of [igb, nsim]) {
      assert.equal(c.mailbox, false);
      assert.equal(c.mirroring, false);
      assert.equal(c.unsupportedVfFields.allowBroadcast?.only, true);
      assert.equal(c.unsupportedVfFields.allowMulticast?.only, true);
      assert.equal(c.unsupportedVfFields.allowUnknownUnicast?.only, false);
      assert.equal(c.unsupportedVfFields.vlanAntiSpoof?.sameAs, 'macAntiSpoof');
      assert.deepEqual(c.unsupportedVfFields.trafficShares?.only, []);
    }
  });

  it('every "only" value is the field\'s neutral value, so default policies pass', () => {
    for (const [field, limit] of Object.entries(igb.unsupportedVfFields)) {
      if (limit && 'only' in limit && field in NEUTRAL_VF_VALUES) {
        assert.deepEqual(
          limit.only,
          NEUTRAL_VF_VALUES[field as keyof typeof NEUTRAL_VF_VALUES],
          field,
        );
      }
    }
  });
});

describe('settings', () => {
  it('observed settings have every field plan() compares', () => {
    const s = observedSettings({ ...blank, vf: 0 }, undefined, undefined);
    assert.deepEqual(Object.keys(s).sort(), [...VF_FIELD_ORDER].sort());
    assert.equal(s.macAntiSpoof, true);
    assert.equal(s.vlanAntiSpoof, true);
    assert.deepEqual(s.vlans, []);
  });

  it('keeps the applied protocol when there is no VLAN (the kernel reports 802.1Q then)', () => {
    const s = observedSettings({ ...blank, vf: 0 }, { vlanProto: '802.1ad' }, 1500);
    assert.equal(s.vlanProto, '802.1ad');
  });

  it('folds fields into composite attributes, 802.1Q in the classic form', () => {
    let s = withField(blank, 'vlans', [100]);
    s = withField(s, 'vlanQoS', 3);
    assert.deepEqual(changeOf(1, s, ['vlan']), { vf: 1, vlan: { vlan: 100, qos: 3 } });
    s = withField(s, 'vlanProto', '802.1ad');
    s = withField(s, 'maxTxRate', 500);
    assert.deepEqual(changeOf(1, s, ['vlan', 'rate']), {
      vf: 1,
      vlan: { vlan: 100, qos: 3, proto: '802.1ad' },
      rate: { min: 0, max: 500 },
    });
    assert.equal(
      ipEquivalent('eth0', changeOf(1, s, ['vlan', 'rate'])),
      'ip link set eth0 vf 1 vlan 100 qos 3 proto 802.1ad min_tx_rate 0 max_tx_rate 500',
    );
  });

  it('refuses a non-neutral value of a field the driver cannot do, naming it', () => {
    assert.equal(refusal(igb, 'linkState', 'auto'), null);
    assert.match(
      refusal(igb, 'linkState', 'disable') ?? '',
      /^driver linux\/igb does not support linkState = "disable": igb refuses `state` \(EOPNOTSUPP\)/,
    );
    assert.match(refusal(igb, 'macFilters', ['02:00:00:00:00:01']) ?? '', /guestMacs = 1/);
    assert.equal(refusal(igb, 'macFilters', []), null);
    assert.equal(refusal(igb, 'trust', true), null);
  });

  it('restores only what differs', () => {
    assert.deepEqual(differingGroups(blank, blank), []);
    assert.deepEqual(differingGroups(blank, { ...blank, mac: '02:00:00:00:00:01', maxTxRate: 5 }), [
      'mac',
      'rate',
    ]);
    assert.equal(differingGroups(blank, undefined).length, 6);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mainInput, PF0, problems, vf, vfFile } from '../fixtures.js';

const _M1 = '02:00:00:00:00:01';
const _M2 = '02:00:00:00:00:02';
const _M3 = '02:00:00:00:00:03';

describe('validate: VLANs', () => {
  it('refuses VLAN 0 and 4095', () => {
    const r = problems([vf('a', PF0, 0, { vlans: [0, 10, 4095] })]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'vlans.0',
        value: 0,
        allowed: '1-4094',
        fix: 'use a VLAN ID from 1 to 4094 (0 and 4095 are reserved)',
        message: 'vf 0 (a) on sim:nic0/0: vlan 0 is out of range 1-4094',
      },
      {
        file: vfFile('a'),
        field: 'vlans.2',
        value: 4095,
        allowed: '1-4094',
        fix: 'use a VLAN ID from 1 to 4094 (0 and 4095 are reserved)',
        message: 'vf 0 (a) on sim:nic0/0: vlan 4095 is out of range 1-4094',
      },
    ]);
  });

  it('refuses a duplicate VLAN', () => {
    assert.deepEqual(problems([vf('a', PF0, 0, { vlans: [10, 20, 10] })]), [
      {
        file: vfFile('a'),
        field: 'vlans.2',
        value: 10,
        allowed: 'each VLAN once',
        fix: 'remove the second 10 from vlans',
        message: 'vf 0 (a) on sim:nic0/0: vlan 10 is listed twice',
      },
    ]);
  });

  it('refuses untagged with a VLAN list', () => {
    assert.deepEqual(problems([vf('a', PF0, 0, { untagged: true, vlans: [10] })]), [
      {
        file: vfFile('a'),
        field: 'vlans',
        value: [10],
        allowed: '[] when untagged is true',
        fix: 'remove the VLANs for a flat network, or set untagged to false',
        message: 'vf 0 (a) on sim:nic0/0: untagged is true but vlans lists 10',
      },
    ]);
  });

  it('refuses 802.1ad on an untagged VF and without VLANs', () => {
    const r = problems([
      vf('a', PF0, 0, { untagged: true, vlanProto: '802.1ad' }),
      vf('b', PF0, 1, { vlanProto: '802.1ad' }),
      vf('c', PF0, 2, { vlanProto: '802.1ad', vlans: [100] }),
    ]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'vlanProto',
        value: '802.1ad',
        allowed: '802.1Q (no tag is used)',
        fix: 'remove vlanProto: an untagged VF has no outer tag',
        message:
          'vf 0 (a) on sim:nic0/0: vlanProto 802.1ad needs a VLAN to tag with, but the VF is untagged',
      },
      {
        file: vfFile('b'),
        field: 'vlanProto',
        value: '802.1ad',
        allowed: '802.1Q, or 802.1ad with vlans',
        fix: 'add the S-VLAN to vlans, or remove vlanProto',
        message:
          'vf 1 (b) on sim:nic0/0: vlanProto 802.1ad needs a VLAN to tag with, but vlans is empty',
      },
    ]);
  });

  it('refuses a vlanProto the driver cannot tag with', () => {
    const r = problems([vf('a', PF0, 0, { vlanProto: '802.1ad', vlans: [5] })], mainInput(), {
      vlanProtos: ['802.1Q'],
    });
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'vlanProto',
        value: '802.1ad',
        allowed: '802.1Q',
        fix: 'use 802.1Q, or move the VF to a PF whose driver supports 802.1ad',
        message: 'vf 0 (a) on sim:nic0/0: driver sim cannot tag with 802.1ad',
      },
    ]);
  });
});

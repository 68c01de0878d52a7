import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAIN_FILE, mac, mainInput, PF0, problems, vf, vfFile } from '../fixtures.js';

describe('validate: MAC and VLAN limits from capabilities', () => {
  it('counts macs + guestMacs against the per-VF MAC table', () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { macs: [mac(), mac()], guestMacs: 2 })], mainInput(), {
        macsPerVf: 3,
      }),
      [
        {
          file: vfFile('a'),
          field: 'guestMacs',
          value: 2,
          allowed: 'macs entries + guestMacs <= 3 (driver sim)',
          fix: 'list at most 3 MACs in macs + guestMacs',
          message:
            'vf 0 (a) on sim:nic0/0: 2 MACs + guestMacs 2 = 4 exceed the 3 MAC filters driver sim offers per VF',
        },
      ],
    );
  });

  it('refuses more VLANs than the per-VF table', () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { vlans: [1, 2, 3] })], mainInput(), { vlansPerVf: 2 }),
      [
        {
          file: vfFile('a'),
          field: 'vlans',
          value: [1, 2, 3],
          allowed: 'at most 2 VLANs (driver sim)',
          fix: 'list at most 2 VLANs',
          message: 'vf 0 (a) on sim:nic0/0: 3 VLANs exceed the 2 driver sim offers per VF',
        },
      ],
    );
  });

  it('sums MACs and distinct VLANs over the PF', () => {
    const r = problems(
      [
        vf('a', PF0, 0, { macs: [mac()], guestMacs: 1, vlans: [1, 2] }),
        vf('b', PF0, 1, { macs: [mac()], guestMacs: 1, vlans: [2, 3] }),
      ],
      mainInput(),
      { macsPerPf: 3, vlansPerPf: 2 },
    );
    assert.deepEqual(r, [
      {
        file: MAIN_FILE,
        field: 'pfs.0',
        value: 4,
        allowed: 'at most 3 MACs (macs + guestMacs) over all VFs of the PF',
        fix: 'lower guestMacs or shorten allow-lists on this PF, or move VFs to another PF',
        message:
          'PF sim:nic0/0: its VFs may hold 4 MACs, more than the 3 filters driver sim offers',
      },
      {
        file: MAIN_FILE,
        field: 'pfs.0',
        value: 3,
        allowed: 'at most 2 distinct VLANs over all VFs of the PF',
        fix: 'use fewer distinct VLANs on this PF, or move VFs to another PF',
        message:
          'PF sim:nic0/0: its VFs use 3 distinct VLANs, more than the 2 filters driver sim offers',
      },
    ]);
  });
});

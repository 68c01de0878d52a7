import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyGuestState } from '../../../src/model/index.js';
import { validate } from '../../../src/policy/validate.js';
import {
  capsFor,
  MAIN_FILE,
  mainInput,
  PF0,
  PF1,
  problems,
  sourced,
  vf,
  vfFile,
} from '../fixtures.js';

const M1 = '02:00:00:00:00:01';
const M2 = '02:00:00:00:00:02';
const M3 = '02:00:00:00:00:03';

describe('validate: MACs', () => {
  it('refuses malformed, zero, multicast and broadcast MACs', () => {
    const r = problems([
      vf('a', PF0, 0, {
        macs: ['02:00:00:00:00', '00:00:00:00:00:00', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff'],
      }),
    ]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'macs.0',
        value: '02:00:00:00:00',
        allowed: 'six hex octets separated by colons, e.g. 02:00:00:00:00:01',
        fix: 'write the MAC as xx:xx:xx:xx:xx:xx',
        message: 'vf 0 (a) on sim:nic0/0: MAC "02:00:00:00:00" is not well-formed',
      },
      {
        file: vfFile('a'),
        field: 'macs.1',
        value: '00:00:00:00:00:00',
        allowed: 'a non-zero unicast MAC',
        fix: 'use a real address, e.g. a locally administered 02:xx:xx:xx:xx:xx',
        message: 'vf 0 (a) on sim:nic0/0: MAC 00:00:00:00:00:00 is all zeros',
      },
      {
        file: vfFile('a'),
        field: 'macs.2',
        value: '01:00:5e:00:00:01',
        allowed: 'a unicast MAC (lowest bit of the first octet clear)',
        fix: 'use a unicast address; broadcast and multicast MACs cannot be assigned to a VF',
        message: 'vf 0 (a) on sim:nic0/0: MAC 01:00:5e:00:00:01 is a multicast/broadcast address',
      },
      {
        file: vfFile('a'),
        field: 'macs.3',
        value: 'ff:ff:ff:ff:ff:ff',
        allowed: 'a unicast MAC (lowest bit of the first octet clear)',
        fix: 'use a unicast address; broadcast and multicast MACs cannot be assigned to a VF',
        message: 'vf 0 (a) on sim:nic0/0: MAC ff:ff:ff:ff:ff:ff is a multicast/broadcast address',
      },
    ]);
  });

  it('refuses a MAC listed twice, whatever its case', () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { macs: [M1, '02:00:00:00:00:0A', '02:00:00:00:00:0a'] })]),
      [
        {
          file: vfFile('a'),
          field: 'macs.2',
          value: '02:00:00:00:00:0a',
          allowed: 'each MAC once',
          fix: 'remove the second 02:00:00:00:00:0a from macs',
          message: 'vf 0 (a) on sim:nic0/0: MAC 02:00:00:00:00:0a is listed twice',
        },
      ],
    );
  });

  it('refuses the same default MAC on two VFs of a PF', () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { macs: [M1] }), vf('b', PF0, 1, { macs: ['02:00:00:00:00:01'] })]),
      [
        {
          file: vfFile('b'),
          field: 'macs.0',
          value: M1,
          allowed: 'a MAC no other VF of this PF uses',
          fix: 'give b its own default MAC',
          message: `vf 1 (b) on sim:nic0/0: default MAC ${M1} is also the default MAC of vf 0 (a) on sim:nic0/0 (${vfFile('a')})`,
        },
      ],
    );
  });

  it("refuses an allow-list entry that is another VF's default MAC", () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { macs: [M1] }), vf('b', PF0, 1, { macs: [M2, M1] })]),
      [
        {
          file: vfFile('b'),
          field: 'macs.1',
          value: M1,
          allowed: 'a MAC that is not another VF’s default MAC',
          fix: `remove ${M1} from the allow-list, or move it out of macs[0] of a`,
          message: `vf 1 (b) on sim:nic0/0: allow-list MAC ${M1} is the default MAC of vf 0 (a) on sim:nic0/0 (${vfFile('a')})`,
        },
      ],
    );
  });

  it('refuses a default MAC that the guest of another VF holds, naming that VF', () => {
    const main = mainInput();
    const guests = new Map([
      ['a', { ...emptyGuestState(), mac: '02:00:00:00:99:99' }],
      ['c', { ...emptyGuestState(), macs: [M3] }],
    ]);
    const r = validate(
      { file: MAIN_FILE, data: main },
      sourced([
        vf('a', PF0, 0, { macs: [M1], guestMacs: 1 }),
        vf('b', PF0, 1, { macs: ['02:00:00:00:99:99'] }),
        // c's guest added M3 but its new policy allows no guest MACs: it loses it, so d may.
        vf('c', PF0, 2, { macs: [M2] }),
        vf('d', PF0, 3, { macs: [M3] }),
      ]),
      capsFor(main),
      guests,
    );
    assert.deepEqual(
      r.problems.map((p) => [p.file, p.field, p.message]),
      [
        [
          vfFile('b'),
          'macs.0',
          'vf 1 (b) on sim:nic0/0: default MAC 02:00:00:00:99:99 is held by the guest of vf 0 (a) on sim:nic0/0, which a guest request granted',
        ],
      ],
    );
  });

  it('accepts overlapping allow-lists (HA virtual MAC) and one MAC on two PFs', () => {
    const r = problems([
      vf('fw-a', PF0, 0, { macs: [M1, M3] }),
      vf('fw-b', PF0, 1, { macs: [M2, M3] }),
      vf('other', PF1, 0, { macs: [M1] }),
    ]);
    assert.deepEqual(r, []);
  });
});

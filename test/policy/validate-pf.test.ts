import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mac, mainInput, PF0, PF1, problems, vf, vfFile } from './fixtures.js';

describe('validate: PFs', () => {
  it('refuses a PF the driver did not discover, listing the discovered ones', () => {
    const main = mainInput({
      pfs: [
        { pf: PF0, numVfs: 2 },
        { pf: 'sim:nic0/7', numVfs: 2 },
      ],
    });
    assert.deepEqual(problems([], main), [
      {
        file: MAIN_FILE,
        field: 'pfs.1.pf',
        value: 'sim:nic0/7',
        allowed: 'sim:nic0/0',
        fix: 'use the id of a discovered PF (driver sim)',
        message: 'PF sim:nic0/7: driver sim did not discover this PF',
      },
    ]);
  });

  it('refuses a PF listed twice', () => {
    const main = mainInput({
      pfs: [
        { pf: PF0, numVfs: 2 },
        { pf: PF0, numVfs: 4 },
      ],
    });
    assert.deepEqual(problems([], main), [
      {
        file: MAIN_FILE,
        field: 'pfs.1.pf',
        value: PF0,
        allowed: 'each PF once',
        fix: 'merge the two entries for sim:nic0/0',
        message: 'PF sim:nic0/0 is listed twice (pfs.0 and pfs.1)',
      },
    ]);
  });

  it('refuses numVfs above the PF total, from capabilities or the totalVfs override', () => {
    const main = mainInput({
      pfs: [
        { pf: PF0, numVfs: 65 },
        { pf: PF1, numVfs: 9, totalVfs: 8 },
      ],
    });
    assert.deepEqual(problems([], main), [
      {
        file: MAIN_FILE,
        field: 'pfs.0.numVfs',
        value: 65,
        allowed: '0-64 (sriov_totalvfs of driver sim)',
        fix: 'set numVfs to at most 64',
        message: 'PF sim:nic0/0: numVfs 65 is more than the 64 VFs the PF offers',
      },
      {
        file: MAIN_FILE,
        field: 'pfs.1.numVfs',
        value: 9,
        allowed: '0-8 (totalVfs override)',
        fix: 'set numVfs to at most 8',
        message: 'PF sim:nic0/1: numVfs 9 is more than the 8 VFs the PF offers',
      },
    ]);
  });

  it("refuses a PF mtu above the driver's maximum", () => {
    const main = mainInput({ pfs: [{ pf: PF0, numVfs: 1, mtu: 9000 }] });
    assert.deepEqual(problems([], main, { maxMtu: 1500 }), [
      {
        file: MAIN_FILE,
        field: 'pfs.0.mtu',
        value: 9000,
        allowed: '68-1500',
        fix: 'set mtu to at most 1500',
        message: 'PF sim:nic0/0: mtu 9000 is more than driver sim allows (1500)',
      },
    ]);
  });

  it('refuses an eswitch mode the driver lacks', () => {
    const main = mainInput({ pfs: [{ pf: PF0, numVfs: 1, eswitchMode: 'switchdev' }] });
    assert.deepEqual(problems([], main), [], 'the sim offers switchdev');
    assert.deepEqual(problems([], main, { eswitchModes: ['legacy'] }), [
      {
        file: MAIN_FILE,
        field: 'pfs.0.eswitchMode',
        value: 'switchdev',
        allowed: 'legacy',
        fix: 'set eswitchMode to legacy',
        message: 'PF sim:nic0/0: driver sim does not offer eswitch mode switchdev',
      },
    ]);
  });

  it('refuses traffic classes whose bandwidth does not sum to 100', () => {
    const main = mainInput({
      pfs: [
        { pf: PF0, numVfs: 1, qos: { trafficClasses: [{ bandwidth: 50 }, { bandwidth: 30 }] } },
      ],
    });
    assert.deepEqual(problems([], main), [
      {
        file: MAIN_FILE,
        field: 'pfs.0.qos.trafficClasses',
        value: [50, 30],
        allowed: 'bandwidth values summing to 100',
        fix: "adjust the classes' bandwidth by 20 so they sum to 100",
        message: 'PF sim:nic0/0: traffic class bandwidth sums to 80%, not 100%',
      },
    ]);
  });
});

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

describe('validate: unsupported fields', () => {
  const limits = {
    unsupportedVfFields: {
      allowUnknownUnicast: { reason: 'no unknown-unicast switch', only: false },
      vlanAntiSpoof: { reason: 'one spoofchk switch', sameAs: 'macAntiSpoof' as const },
      trafficShares: { reason: 'no per-VF shares' },
    },
    unsupportedPfFields: { flowControl: { reason: 'no pause frames' } },
  };

  it('accepts the values the driver can live with', () => {
    const r = problems(
      [vf('a', PF0, 0, { macAntiSpoof: false, vlanAntiSpoof: false })],
      mainInput(),
      limits,
    );
    assert.deepEqual(r, []);
  });

  it('names field, PF and driver for each value it cannot enforce', () => {
    const main = mainInput({ pfs: [{ pf: PF0, numVfs: 2, flowControl: 'both' }] });
    const r = validate(
      { file: MAIN_FILE, data: main },
      [
        {
          file: vfFile('a'),
          data: vf('a', PF0, 0, {
            allowUnknownUnicast: true,
            vlanAntiSpoof: false,
            trafficShares: [],
          }),
        },
      ],
      capsFor(main, { ...limits, driver: 'linux/igb' }),
    ).problems;
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'allowUnknownUnicast',
        value: true,
        allowed: 'false',
        fix: 'set allowUnknownUnicast to false, or move the VF to a PF whose driver supports it',
        message:
          'vf 0 (a) on sim:nic0/0: driver linux/igb cannot enforce allowUnknownUnicast = true: no unknown-unicast switch',
      },
      {
        file: vfFile('a'),
        field: 'vlanAntiSpoof',
        value: false,
        allowed: 'true (equal to macAntiSpoof)',
        fix: 'set vlanAntiSpoof to true (equal to macAntiSpoof), or move the VF to a PF whose driver supports it',
        message:
          'vf 0 (a) on sim:nic0/0: driver linux/igb cannot enforce vlanAntiSpoof = false: one spoofchk switch',
      },
      {
        file: MAIN_FILE,
        field: 'pfs.0.flowControl',
        value: 'both',
        allowed: 'none',
        fix: 'set flowControl to none',
        message:
          'PF sim:nic0/0: driver linux/igb cannot enforce flowControl = both: no pause frames',
      },
    ]);
  });

  it('refuses trafficShares on a driver without them (neutral value: [])', () => {
    const main = mainInput({
      pfs: [{ pf: PF0, numVfs: 2, qos: { trafficClasses: [{ bandwidth: 100 }] } }],
    });
    const r = problems([vf('a', PF0, 0, { trafficShares: [10] })], main, {
      unsupportedVfFields: { trafficShares: { reason: 'no per-VF shares' } },
    });
    assert.deepEqual(
      r.map((p) => [p.field, p.allowed, p.message]),
      [
        [
          'trafficShares',
          '[]',
          'vf 0 (a) on sim:nic0/0: driver sim cannot enforce trafficShares = [10]: no per-VF shares',
        ],
      ],
    );
  });
});

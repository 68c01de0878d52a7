import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '../../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mainInput, PF0, problems, vf, vfFile } from '../fixtures.js';

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

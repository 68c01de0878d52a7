import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '../../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mainInput, PF0, PF1, run } from '../fixtures.js';

describe('pool rules', () => {
  it('a valid pool has no problems', () => {
    const main = mainInput({
      pools: [
        {
          name: 'fast',
          pfs: [PF0, { pf: PF1, numaNode: 1 }],
          vfs: { from: 2, to: 7 },
          physicalNetwork: 'physnet1',
        },
      ],
    });
    assert.deepEqual(run([], main).problems, []);
  });

  it('reports every pool problem at once, each naming the field, range and fix', () => {
    const main = mainInput({
      pools: [
        {
          name: 'a',
          pfs: [PF0, 'sim:nic9/0'],
          vfs: { from: 0, to: 9 },
          physicalNetwork: 'n',
          profile: {
            vlans: [5000],
            mtu: 9000,
            mac: { mode: 'range', from: '02:00:00:00:00:09', to: '02:00:00:00:00:01' },
          },
        },
        {
          name: 'a',
          pfs: [PF0, PF0],
          vfs: { from: 5, to: 3 },
          physicalNetwork: 'n',
          profile: {
            mac: {
              mode: 'fixed',
              macs: ['03:00:00:00:00:01', '02:00:00:00:00:01', '02:00:00:00:00:01'],
            },
          },
        },
        { name: 'c', pfs: [PF0], physicalNetwork: 'n' },
      ],
    });
    const ps = run([], main).problems;
    const fields = ps.map((p) => p.field).sort();
    assert.deepEqual(fields, [
      'pools.0.pfs.1',
      'pools.0.profile.mac',
      'pools.0.profile.mtu',
      'pools.0.profile.vlans.0',
      'pools.0.vfs.to',
      'pools.1.name',
      'pools.1.pfs.1',
      'pools.1.profile.mac.macs.0',
      'pools.1.profile.mac.macs.2',
      'pools.1.vfs',
      'pools.2.vfs',
    ]);
    const to = ps.find((p) => p.field === 'pools.0.vfs.to')!;
    assert.equal(to.allowed, '0-7 (numVfs of sim:nic0/0 is 8)');
    assert.match(
      ps.find((p) => p.field === 'pools.2.vfs')!.message,
      /shares 8 VF\(s\) with other pools/,
    );
  });

  it('schema problems of a pool come with the rest', () => {
    const main = mainInput({
      pools: [{ name: 'Bad Name', pfs: [], physicalNetwork: 'n', deviceType: 'virtio' } as never],
    });
    const caps = capsFor(mainInput());
    const fields = validate({ file: MAIN_FILE, data: main }, [], caps).problems.map((p) => p.field);
    for (const f of ['pools.0.name', 'pools.0.pfs', 'pools.0.deviceType'])
      assert.ok(fields.includes(f), `${f} in ${fields}`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mainInput, PF0, PF1, problems, vf, vfFile } from '../fixtures.js';

describe('validate: mirrors', () => {
  it('refuses a mirror to itself, to a missing VF and across PFs', () => {
    const r = problems([
      vf('a', PF0, 0, { mirror: { target: 'a', direction: 'in' } }),
      vf('b', PF0, 1, { mirror: { target: 'ghost', direction: 'out' } }),
      vf('c', PF0, 2, { mirror: { target: 'd', direction: 'all' } }),
      vf('d', PF1, 0),
    ]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'mirror.target',
        value: 'a',
        allowed: 'another VF of the same PF',
        fix: 'name a different VF as the target',
        message: 'vf 0 (a) on sim:nic0/0: mirrors to itself',
      },
      {
        file: vfFile('b'),
        field: 'mirror.target',
        value: 'ghost',
        allowed: 'the name of a VF on sim:nic0/0',
        fix: 'create a policy named ghost or name an existing VF',
        message: 'vf 1 (b) on sim:nic0/0: mirror target "ghost" does not exist',
      },
      {
        file: vfFile('c'),
        field: 'mirror.target',
        value: 'd',
        allowed: 'a VF on sim:nic0/0',
        fix: 'mirror to a VF of sim:nic0/0; the NIC cannot copy frames across PFs',
        message: 'vf 2 (c) on sim:nic0/0: mirror target vf 0 (d) on sim:nic0/1 is on another PF',
      },
    ]);
  });

  it('refuses a mirror without PF loopback and on a driver that cannot mirror', () => {
    const main = mainInput({ pfs: [{ pf: PF0, numVfs: 2, loopback: false }] });
    const m = { target: 'b', direction: 'in' as const };
    const r = problems([vf('a', PF0, 0, { mirror: m }), vf('b', PF0, 1)], main, {
      mirroring: false,
    });
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'mirror',
        value: m,
        allowed: 'no mirror while loopback is off on sim:nic0/0',
        fix: 'set loopback: true on sim:nic0/0 or remove the mirror',
        message: 'vf 0 (a) on sim:nic0/0: mirroring needs the PF loopback (VEB), which is off',
      },
      {
        file: vfFile('a'),
        field: 'mirror',
        value: m,
        allowed: 'no mirror (driver sim cannot mirror)',
        fix: 'remove the mirror, or move the VFs to a PF whose driver can mirror',
        message: 'vf 0 (a) on sim:nic0/0: driver sim cannot mirror VF traffic',
      },
    ]);
  });
});

describe('validate: hooks', () => {
  it('refuses a relative argv[0]', () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { onStart: ['/usr/bin/true'], onStop: ['unplug', 'a'] })]),
      [
        {
          file: vfFile('a'),
          field: 'onStop.0',
          value: 'unplug',
          allowed: 'an absolute path, e.g. /usr/local/bin/hook',
          fix: 'give the full path of unplug (see `command -v unplug`)',
          message: 'vf 0 (a) on sim:nic0/0: onStop program "unplug" is not an absolute path',
        },
      ],
    );
  });
});

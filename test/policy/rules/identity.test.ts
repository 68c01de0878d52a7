import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '../../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mainInput, PF0, problems, vf, vfFile } from '../fixtures.js';

describe('validate: names', () => {
  it('refuses a name with a path separator', () => {
    const p = vf('a/b', PF0, 0);
    assert.deepEqual(
      validate(
        { file: MAIN_FILE, data: mainInput() },
        [{ file: 'api:vfs', data: p }],
        capsFor(mainInput()),
      ).problems,
      [
        {
          file: 'api:vfs',
          field: 'name',
          value: 'a/b',
          allowed: '1-64 characters of A-Z a-z 0-9 . _ -, not starting with a dot',
          fix: 'rename the VF, e.g. "web-1"',
          message: 'vf 0 (a/b) on sim:nic0/0: name "a/b" is not a valid VF name',
        },
      ],
    );
  });

  it('refuses a name starting with a dot, as the daemon does (it would be a hidden file)', () => {
    const r = validate(
      { file: MAIN_FILE, data: mainInput() },
      [{ file: vfFile('.web'), data: vf('.web', PF0, 0) }],
      capsFor(mainInput()),
    );
    assert.deepEqual(
      r.problems.map((p) => [p.field, p.value]),
      [['name', '.web']],
    );
  });

  it('refuses "..", and a 65-character name', () => {
    const long = 'x'.repeat(65);
    const r = validate(
      { file: MAIN_FILE, data: mainInput() },
      [
        { file: 'api:1', data: vf('..', PF0, 0) },
        { file: 'api:2', data: vf(long, PF0, 1) },
      ],
      capsFor(mainInput()),
    );
    assert.deepEqual(
      r.problems.map((x) => [x.file, x.field, x.message]),
      [
        ['api:1', 'name', 'vf 0 (..) on sim:nic0/0: name ".." is not a valid VF name'],
        ['api:2', 'name', `vf 1 (${long}) on sim:nic0/0: name "${long}" is not a valid VF name`],
      ],
    );
  });

  it('requires NAME.json to hold the policy named NAME', () => {
    const r = validate(
      { file: MAIN_FILE, data: mainInput() },
      [{ file: '/tmp/vfs/web-1.json', data: vf('web-2', PF0, 0) }],
      capsFor(mainInput()),
    );
    assert.deepEqual(r.problems, [
      {
        file: '/tmp/vfs/web-1.json',
        field: 'name',
        value: 'web-2',
        allowed: '"web-1" (the file name)',
        fix: 'rename the file to web-2.json or set "name" to "web-1"',
        message: 'vf 0 (web-2) on sim:nic0/0: name "web-2" does not match its file name web-1.json',
      },
    ]);
  });

  it('refuses the same name in two files', () => {
    const r = validate(
      { file: MAIN_FILE, data: mainInput() },
      [
        { file: 'a/web.json', data: vf('web', PF0, 0) },
        { file: 'b/web.json', data: vf('web', PF0, 1) },
      ],
      capsFor(mainInput()),
    );
    assert.deepEqual(r.problems, [
      {
        file: 'b/web.json',
        field: 'name',
        value: 'web',
        allowed: 'a name no other VF policy uses',
        fix: 'rename one of a/web.json and b/web.json',
        message: 'vf 1 (web) on sim:nic0/0: name "web" is also used by a/web.json',
      },
    ]);
  });
});

describe('validate: PF and VF index', () => {
  it('refuses a VF on a PF the main config does not list, naming the known PFs', () => {
    assert.deepEqual(problems([vf('x', 'sim:nic9/0', 0)]), [
      {
        file: vfFile('x'),
        field: 'pf',
        value: 'sim:nic9/0',
        allowed: 'sim:nic0/0, sim:nic0/1',
        fix: 'use one of the PFs in the main config, or add sim:nic9/0 to its "pfs"',
        message: "vf 0 (x) on sim:nic9/0: PF sim:nic9/0 is not in the main config's pfs",
      },
    ]);
  });

  it('refuses two policies for the same (pf, vf)', () => {
    assert.deepEqual(problems([vf('a', PF0, 3), vf('b', PF0, 3)]), [
      {
        file: vfFile('b'),
        field: 'vf',
        value: 3,
        allowed: 'a VF index no other policy on this PF uses',
        fix: 'give b a free VF index or remove one of the two policies',
        message: `vf 3 (b) on sim:nic0/0: VF index 3 is already taken by vf 3 (a) on sim:nic0/0 (${vfFile('a')})`,
      },
    ]);
  });

  it('refuses vf >= numVfs', () => {
    assert.deepEqual(problems([vf('a', PF0, 8)]), [
      {
        file: vfFile('a'),
        field: 'vf',
        value: 8,
        allowed: '0-7',
        fix: 'use a VF index below 8 or raise numVfs of sim:nic0/0 to 9',
        message: 'vf 8 (a) on sim:nic0/0: VF index 8 is not below numVfs 8 of the PF',
      },
    ]);
  });
});

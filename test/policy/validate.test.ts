import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mac, mainInput, PF0, problems, vf, vfFile } from './fixtures.js';

describe('validate: a valid configuration', () => {
  it('has no problems and returns the parsed documents', () => {
    const main = mainInput();
    const r = validate(
      { file: MAIN_FILE, data: main },
      [
        { file: vfFile('web-1'), data: vf('web-1', PF0, 0, { macs: [mac()], vlans: [10] }) },
        { file: 'api:vfs/web-2', data: vf('web-2', PF0, 1, { untagged: true }) },
      ],
      capsFor(main),
    );
    assert.deepEqual(r.problems, []);
    assert.equal(r.config?.pfs.length, 2);
    assert.deepEqual(
      r.policies.map((p) => p.name),
      ['web-1', 'web-2'],
    );
  });
});

describe('validate: schema problems', () => {
  it('reports every schema problem of a VF file at once, with ranges and fixes', () => {
    const bad = {
      name: 'a',
      pf: PF0,
      vf: 300,
      vlan: [10],
      linkState: 'up',
      guestMacs: 1.5,
      onStart: '/usr/bin/hot_plug a',
    } as never;
    assert.deepEqual(problems([bad]), [
      {
        file: vfFile('a'),
        field: 'vf',
        value: 300,
        allowed: 'integer 0-255',
        fix: 'set vf to at most 255',
        message: 'vf 300 is out of range integer 0-255',
      },
      {
        file: vfFile('a'),
        field: 'guestMacs',
        value: 1.5,
        allowed: 'integer 0-64',
        fix: 'make guestMacs a whole number',
        message: 'guestMacs is 1.5, expected int',
      },
      {
        file: vfFile('a'),
        field: 'linkState',
        value: 'up',
        allowed: 'one of auto, enable, disable',
        fix: 'set linkState to one of auto, enable, disable',
        message: 'linkState "up" is not one of auto, enable, disable',
      },
      {
        file: vfFile('a'),
        field: 'onStart',
        value: '/usr/bin/hot_plug a',
        allowed: 'argv array, e.g. ["/usr/local/bin/hook", "arg"]',
        fix: 'write the command as an argv array (no shell): ["/usr/bin/hot_plug","a"]',
        message: 'hook onStart is a shell string; hooks run without a shell',
      },
      {
        file: vfFile('a'),
        field: 'vlan',
        value: [10],
        allowed: `one of ${[
          'name',
          'pf',
          'vf',
          'vlans',
          'untagged',
          'vlanProto',
          'vlanQoS',
          'stripOuterTag',
          'macs',
          'guestMacs',
          'guestMulticast',
          'macAntiSpoof',
          'vlanAntiSpoof',
          'trust',
          'guardMode',
          'haPeer',
          'allowBroadcast',
          'allowMulticast',
          'allowUnknownUnicast',
          'linkState',
          'mtu',
          'minTxRate',
          'maxTxRate',
          'trafficShares',
          'mirror',
          'onStart',
          'onStop',
        ].join(', ')}`,
        fix: 'did you mean "vlans"? rename the field',
        message: 'unknown field vlan',
      },
    ]);
  });

  it('names a missing required field, a near-miss enum value and nested paths', () => {
    const r = problems([
      { name: 'a', pf: PF0, mirror: { target: 'b', direction: 'inn' } } as never,
    ]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'vf',
        value: undefined,
        allowed: 'number',
        fix: 'add "vf"',
        message: 'required field vf is missing',
      },
      {
        file: vfFile('a'),
        field: 'mirror.direction',
        value: 'inn',
        allowed: 'one of in, out, all',
        fix: 'did you mean "in"?',
        message: 'mirror.direction "inn" is not one of in, out, all',
      },
    ]);
  });

  it('reports main-config problems with dotted paths and array sizes', () => {
    const main = {
      pfs: [{ pf: PF0, numVfs: -1, qos: { trafficClasses: [] } }],
      daemon: { logLevl: 'x' },
    };
    const r = validate({ file: MAIN_FILE, data: main }, [], capsFor(mainInput())).problems;
    assert.deepEqual(r, [
      {
        file: MAIN_FILE,
        field: 'daemon.logLevl',
        value: 'x',
        allowed: r[0].allowed,
        fix: 'did you mean "logLevel"? rename the field',
        message: 'unknown field daemon.logLevl',
      },
      {
        file: MAIN_FILE,
        field: 'pfs.0.numVfs',
        value: -1,
        allowed: 'integer 0-256',
        fix: 'set pfs.0.numVfs to at least 0',
        message: 'pfs.0.numVfs -1 is out of range integer 0-256',
      },
      {
        file: MAIN_FILE,
        field: 'pfs.0.qos.trafficClasses',
        value: [],
        allowed: 'at least 1 entries',
        fix: 'give pfs.0.qos.trafficClasses at least 1 entries',
        message: 'pfs.0.qos.trafficClasses has 0 entries, at least 1 entries allowed',
      },
    ]);
    assert.match(r[0].allowed, /^one of stateDir, socket, .*logLevel/);
  });
});

describe('validate: a schema problem hides nothing else', () => {
  it('checks every field that parsed, in files with type errors, with their own indices', () => {
    const main = mainInput();
    const docs = [
      // vlans: a string VLAN beside 0 and 4095; the range rule still sees those two.
      { name: 'a', pf: PF0, vf: 0, vlans: ['10', 0, 4095], trust: 'yes' },
      // vf past numVfs (8), beside a type error.
      { name: 'b', pf: PF0, vf: 9, guestMacs: 'two' },
      // an unknown PF, untagged with VLANs, a missing mirror target.
      {
        name: 'c',
        pf: 'sim:nic9/0',
        vf: 1,
        untagged: true,
        vlans: [20],
        mirror: { target: 'nobody', direction: 'in' },
        linkState: 'up',
      },
      // the name differs from the file, beside a type error.
      { name: 'other', pf: PF0, vf: 3, macAntiSpoof: 1 },
    ].map((data, i) => ({ file: vfFile(['a', 'b', 'c', 'd'][i]), data }));
    const r = validate({ file: MAIN_FILE, data: main }, docs, capsFor(main));
    const got = r.problems.map((p) => `${p.file.split('/').pop()} ${p.field}`);
    for (const want of [
      'a.json vlans.0', // the string, a type error
      'a.json trust',
      'a.json vlans.1', // VLAN 0
      'a.json vlans.2', // VLAN 4095
      'b.json guestMacs',
      'b.json vf',
      'c.json linkState',
      'c.json pf',
      'c.json vlans', // untagged with VLANs
      'c.json mirror.target',
      'd.json macAntiSpoof',
      'd.json name',
    ])
      assert.ok(got.includes(want), `${want} reported; got: ${got.join(', ')}`);
    assert.deepEqual(r.policies, [], 'no document that failed its schema counts as parsed');
  });

  it('says nothing about a field it had to replace by its default', () => {
    const r = problems([{ name: 'e', pf: PF0, vf: 0, vlans: 'ten', untagged: true } as never]);
    assert.deepEqual(
      r.map((p) => p.field),
      ['vlans'],
    );
  });
});

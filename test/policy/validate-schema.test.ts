import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mainInput, PF0, problems, vfFile } from './fixtures.js';

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

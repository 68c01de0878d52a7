import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAIN_FILE, mainInput, PF0, PF1, problems } from '../fixtures.js';

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

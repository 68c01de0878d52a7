import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAIN_FILE, mainInput, PF0, PF1, problems, vf, vfFile } from '../fixtures.js';

const qosMain = (oversubscribe = false) =>
  mainInput({
    pfs: [
      {
        pf: PF0,
        numVfs: 4,
        oversubscribe,
        qos: { trafficClasses: [{ bandwidth: 60 }, { bandwidth: 40 }] },
      },
    ],
  });

describe('validate: MTU', () => {
  it('refuses a VF mtu above the PF mtu and below 68', () => {
    const r = problems([vf('a', PF0, 0, { mtu: 9000 }), vf('b', PF0, 1, { mtu: 60 })]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'mtu',
        value: 9000,
        allowed: "68-1500 (the PF's mtu)",
        fix: 'lower mtu to 1500 or raise the mtu of sim:nic0/0 to 9000',
        message: 'vf 0 (a) on sim:nic0/0: mtu 9000 is out of range 68-1500',
      },
      {
        file: vfFile('b'),
        field: 'mtu',
        value: 60,
        allowed: "68-1500 (the PF's mtu)",
        fix: 'raise mtu to at least 68',
        message: 'vf 1 (b) on sim:nic0/0: mtu 60 is out of range 68-1500',
      },
    ]);
  });
});

describe('validate: transmit rates', () => {
  it('refuses minTxRate above a set maxTxRate, not above an unlimited one', () => {
    const r = problems([
      vf('a', PF0, 0, { minTxRate: 2000, maxTxRate: 1000 }),
      vf('b', PF0, 1, { minTxRate: 2000, maxTxRate: 0 }),
    ]);
    assert.deepEqual(r, [
      {
        file: vfFile('a'),
        field: 'minTxRate',
        value: 2000,
        allowed: '0-1000 (maxTxRate)',
        fix: 'lower minTxRate to 1000 or raise maxTxRate',
        message: 'vf 0 (a) on sim:nic0/0: minTxRate 2000 Mbps is above maxTxRate 1000 Mbps',
      },
    ]);
  });

  it('refuses maxTxRate above the link speed', () => {
    assert.deepEqual(problems([vf('a', PF0, 0, { maxTxRate: 40000 })]), [
      {
        file: vfFile('a'),
        field: 'maxTxRate',
        value: 40000,
        allowed: '0-25000 Mbps (link speed; 0 = unlimited)',
        fix: 'set maxTxRate to at most 25000, or 0 for no limit',
        message: 'vf 0 (a) on sim:nic0/0: maxTxRate 40000 Mbps is above the link speed 25000 Mbps',
      },
    ]);
  });

  it('refuses guarantees that sum past the link speed of one PF only', () => {
    const r = problems([
      vf('a', PF0, 0, { minTxRate: 15000 }),
      vf('b', PF0, 1, { minTxRate: 15000 }),
      vf('c', PF1, 0, { minTxRate: 15000 }),
    ]);
    assert.deepEqual(r, [
      {
        file: MAIN_FILE,
        field: 'pfs.0',
        value: 30000,
        allowed: 'sum of minTxRate <= 25000 Mbps (link speed)',
        fix: 'lower the guarantees by 5000 Mbps in total',
        message:
          'PF sim:nic0/0: its VFs are guaranteed 30000 Mbps (a 15000, b 15000), more than the 25000 Mbps link',
      },
    ]);
  });
});

describe('validate: traffic shares', () => {
  it('refuses more shares than the PF has classes', () => {
    assert.deepEqual(problems([vf('a', PF0, 0, { trafficShares: [10, 10, 10] })], qosMain()), [
      {
        file: vfFile('a'),
        field: 'trafficShares',
        value: [10, 10, 10],
        allowed: 'at most 2 entries (traffic classes of sim:nic0/0)',
        fix: 'keep the first 2 entries',
        message:
          'vf 0 (a) on sim:nic0/0: trafficShares has 3 entries but the PF has 2 traffic classes',
      },
    ]);
  });

  it('refuses shares on a PF without traffic classes', () => {
    assert.deepEqual(
      problems([vf('a', PF0, 0, { trafficShares: [10] })]).map((p) => [p.allowed, p.fix]),
      [
        [
          'at most 0 entries (traffic classes of sim:nic0/0)',
          'remove trafficShares, or define qos.trafficClasses on sim:nic0/0',
        ],
      ],
    );
  });

  it('refuses a class oversubscribed by active VFs unless the PF allows it', () => {
    const vfs = [
      vf('a', PF0, 0, { trafficShares: [50, 10] }),
      vf('b', PF0, 1, { trafficShares: [50, 10] }),
      vf('c', PF0, 2, { trafficShares: [20, 10] }),
      vf('d', PF0, 3, { trafficShares: [90], linkState: 'disable' }),
    ];
    assert.deepEqual(problems(vfs, qosMain()), [
      {
        file: MAIN_FILE,
        field: 'pfs.0.oversubscribe',
        value: 120,
        allowed: 'VF shares of class 0 summing to at most 100',
        fix: 'lower the trafficShares[0] of its VFs by 20 in total, or set oversubscribe: true',
        message:
          'PF sim:nic0/0: VF shares of traffic class 0 sum to 120%, more than 100% and oversubscribe is off',
      },
    ]);
    assert.deepEqual(problems(vfs, qosMain(true)), []);
  });
});

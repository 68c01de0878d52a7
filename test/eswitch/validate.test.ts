import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PfCapabilities } from '../../src/model/index.js';
import { capsFor, mainInput, PF0, problems, vf } from '../policy/fixtures.js';

/** A NIC like the linux driver's legacy view, whose eswitch takes everything in switchdev. */
const LEGACY_LIMITS: Partial<PfCapabilities> = {
  driver: 'nic',
  vlansPerVf: 1,
  mirroring: false,
  unsupportedVfFields: {
    allowBroadcast: { reason: 'no per-VF broadcast filter', only: true },
  },
  switchdev: {
    macsPerVf: 16,
    vlansPerVf: 64,
    mirroring: true,
    unsupportedVfFields: {},
    unsupportedPfFields: {},
    maxRules: 65536,
  },
};

const policies = [
  vf('trunk', PF0, 0, {
    vlans: [10, 20],
    allowBroadcast: false,
    mirror: { target: 'tap', direction: 'in' },
  }),
  vf('tap', PF0, 1),
];

function main(eswitchMode: 'legacy' | 'switchdev') {
  return mainInput({ pfs: [{ pf: PF0, numVfs: 4, eswitchMode }] });
}

describe('validate: fields that need switchdev', () => {
  it('refuses them in legacy mode, naming field, PF and "put the PF in switchdev mode"', () => {
    const r = problems(policies, main('legacy'), LEGACY_LIMITS);
    assert.deepEqual(
      r.map((p) => [p.field, p.message, p.fix.split(', or ')[0]]),
      [
        [
          'vlans',
          'vf 0 (trunk) on sim:nic0/0: 2 VLANs exceed the 1 driver nic offers per VF in legacy mode',
          'put the PF in switchdev mode (eswitchMode: "switchdev" in the PF policy of sim:nic0/0)',
        ],
        [
          'mirror',
          'vf 0 (trunk) on sim:nic0/0: driver nic cannot mirror VF traffic in legacy mode',
          'put the PF in switchdev mode (eswitchMode: "switchdev" in the PF policy of sim:nic0/0)',
        ],
        [
          'allowBroadcast',
          'vf 0 (trunk) on sim:nic0/0: driver nic cannot enforce allowBroadcast = false in legacy mode: no per-VF broadcast filter',
          'put the PF in switchdev mode (eswitchMode: "switchdev" in the PF policy of sim:nic0/0)',
        ],
      ],
    );
  });

  it('accepts them with the PF in switchdev mode', () => {
    assert.deepEqual(problems(policies, main('switchdev'), LEGACY_LIMITS), []);
  });

  it('gives no switchdev hint where the driver does not program an eswitch', () => {
    const r = problems(policies, main('legacy'), { ...LEGACY_LIMITS, switchdev: undefined });
    assert.equal(r.length, 3);
    for (const p of r) assert.doesNotMatch(`${p.message} ${p.fix}`, /switchdev/);
  });

  it('refuses what the eswitch cannot express, naming the VF, the field and why', () => {
    const caps = {
      ...LEGACY_LIMITS,
      switchdev: {
        ...LEGACY_LIMITS.switchdev!,
        unsupportedVfFields: { trafficShares: { reason: 'TC has no per-class shares' } },
      },
    };
    const m = mainInput({
      pfs: [
        {
          pf: PF0,
          numVfs: 2,
          eswitchMode: 'switchdev',
          qos: { trafficClasses: [{ bandwidth: 100 }] },
        },
      ],
    });
    const r = problems([vf('a', PF0, 0, { trafficShares: [50] })], m, caps);
    assert.deepEqual(
      r.map((p) => [p.field, p.message]),
      [
        [
          'trafficShares',
          'vf 0 (a) on sim:nic0/0: driver nic cannot enforce trafficShares = [50]: TC has no per-class shares',
        ],
      ],
    );
  });

  it('refuses a policy whose rules do not fit the NIC, naming the VFs with the most', () => {
    const caps = { ...LEGACY_LIMITS, switchdev: { ...LEGACY_LIMITS.switchdev!, maxRules: 40 } };
    const r = problems(policies, main('switchdev'), caps);
    assert.equal(r.length, 1);
    assert.equal(r[0].field, 'pfs.0.eswitchMode');
    assert.match(
      r[0].message,
      /^PF sim:nic0\/0: its policy compiles to \d+ eswitch rules, more than the 40 the NIC holds; most rules: trunk \(\d+\), tap \(\d+\)$/,
    );
    assert.ok((r[0].value as number) > 40);
  });

  it('checks the capability map the daemon would use (capsFor keeps the sim default)', () => {
    const caps = capsFor(main('switchdev'));
    assert.ok(caps.get(PF0)?.switchdev, 'the sim programs its eswitch in switchdev mode');
  });
});

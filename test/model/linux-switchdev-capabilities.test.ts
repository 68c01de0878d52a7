import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MainConfigInput, VfPolicyInput } from '../../src/model/index.js';
import { linuxCapabilities, pciSlotSwitchId } from '../../src/model/linux-capabilities.js';
import { validate } from '../../src/policy/validate.js';
import { capsFor, MAIN_FILE, sourced } from '../policy/fixtures.js';

const PF = '0000:3b:00.0';
const main = (eswitchMode: 'legacy' | 'switchdev'): MainConfigInput => ({
  driver: 'linux',
  pfs: [{ pf: PF, numVfs: 4, eswitchMode }],
});
/** A typical VFd host: a trunk with an allow-list, QinQ, flood flags, a mirror. */
const VFS: VfPolicyInput[] = [
  {
    name: 'trunk',
    pf: PF,
    vf: 0,
    vlans: [10, 20, 30],
    stripOuterTag: false,
    macs: ['02:00:00:00:00:01', '02:00:00:00:00:02'],
    allowUnknownUnicast: true,
  },
  {
    name: 'qinq',
    pf: PF,
    vf: 1,
    vlans: [100],
    vlanProto: '802.1ad',
    macs: ['02:00:00:00:00:11'],
    allowBroadcast: false,
    vlanAntiSpoof: false,
  },
  {
    name: 'tap',
    pf: PF,
    vf: 2,
    macs: ['02:00:00:00:00:21'],
    mirror: { target: 'trunk', direction: 'all' },
  },
];

function problems(mode: 'legacy' | 'switchdev') {
  const m = main(mode);
  return validate({ file: MAIN_FILE, data: m }, sourced(VFS), capsFor(m)).problems;
}

describe('linux driver capabilities in switchdev mode', () => {
  it('a PF in switchdev mode takes trunks, QinQ, allow-lists, flood flags and mirrors', () => {
    assert.deepEqual(
      problems('switchdev').map((p) => p.message),
      [],
    );
  });

  it('the same policies in legacy mode are refused, each naming the field and the fix', () => {
    const found = problems('legacy');
    const fields = new Set(found.map((p) => p.field));
    for (const f of [
      'vlans',
      'stripOuterTag',
      'macs',
      'allowBroadcast',
      'allowUnknownUnicast',
      'mirror',
    ]) {
      assert.ok(
        [...fields].some((x) => x.endsWith(f)),
        `${f} refused: ${[...fields].join(', ')}`,
      );
    }
    assert.ok(
      found.every((p) => /in legacy mode|legacy/.test(p.message)),
      found.map((p) => p.message).join('\n'),
    );
    assert.ok(found.some((p) => /put the PF in switchdev mode/.test(p.fix)));
  });

  it('what stays refused in switchdev mode: shares, minimum rates (devlink rate objects)', () => {
    const caps = linuxCapabilities({
      driver: 'mlx5_core',
      totalVfs: 8,
      linkSpeedMbps: 100000,
      maxMtu: 9000,
      hasDevlinkEswitch: true,
    });
    assert.ok(caps.switchdev);
    assert.deepEqual(Object.keys(caps.switchdev.unsupportedVfFields).sort(), [
      'minTxRate',
      'trafficShares',
    ]);
    assert.equal(caps.switchdev.mirroring, true);
    assert.equal('loopback' in caps.switchdev.unsupportedPfFields, false);
    const igb = linuxCapabilities({
      driver: 'igb',
      totalVfs: 7,
      linkSpeedMbps: 1000,
      maxMtu: 9000,
      hasDevlinkEswitch: true,
    });
    assert.equal(igb.switchdev, undefined, 'igb has no switchdev mode');
  });

  it('hardware VF-LAG where the PF has switchdev, with the NIC as switch id; refused otherwise', () => {
    const mlx = linuxCapabilities({
      driver: 'mlx5_core',
      totalVfs: 8,
      linkSpeedMbps: 100000,
      maxMtu: 9000,
      hasDevlinkEswitch: true,
      switchId: '1c34da0300a1b2c4',
    });
    assert.equal(mlx.lag?.vfLag, true);
    assert.match(mlx.lag?.vfLagFirstMemberOnly ?? '', /first member/);
    assert.equal(mlx.switchId, '1c34da0300a1b2c4');
    const igb = linuxCapabilities({
      driver: 'igb',
      totalVfs: 7,
      linkSpeedMbps: 1000,
      maxMtu: 9000,
      hasDevlinkEswitch: true,
    });
    assert.equal(igb.lag?.vfLag, false);
    assert.match(igb.lag?.vfLagReason ?? '', /igb has no devlink eswitch switchdev mode/);
    assert.equal(pciSlotSwitchId('0000:08:00.1'), 'pci:0000:08:00');
    assert.equal(pciSlotSwitchId('netdevsim10'), undefined);
  });
});

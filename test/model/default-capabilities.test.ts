import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driverNames } from '../../src/drivers/registry.js';
import {
  defaultCapabilities,
  defaultCapabilityMap,
  KNOWN_DRIVERS,
  linuxCapabilities,
  MainConfig,
  PfPolicy,
  simPfIds,
} from '../../src/model/index.js';
import { validate } from '../../src/policy/validate.js';

const pf = (id: string, extra = {}) => PfPolicy.parse({ pf: id, numVfs: 1, ...extra });

describe('default capabilities', () => {
  it('sim: per NIC spec, 64 VFs and 25000 Mbps by default, unknown ports not discovered', () => {
    const config = MainConfig.parse({
      sim: { nics: [{ name: 'big', ports: 1, totalVfs: 256, linkSpeedMbps: 100000 }] },
    });
    const caps = defaultCapabilities('sim', pf('sim:big/0'), config);
    assert.deepEqual(
      [caps?.totalVfs, caps?.linkSpeedMbps, caps?.macsPerVf, caps?.vlansPerVf, caps?.mailbox],
      [256, 100000, 16, 64, true],
    );
    assert.equal(defaultCapabilities('sim', pf('sim:big/1'), config), null);
    assert.equal(defaultCapabilities('sim', pf('0000:08:00.0'), config), null);
    const dflt = defaultCapabilities('sim', pf('sim:nic0/1'));
    assert.deepEqual([dflt?.totalVfs, dflt?.linkSpeedMbps], [64, 25000]);
    assert.deepEqual(simPfIds(MainConfig.parse({})), ['sim:nic0/0', 'sim:nic0/1']);
  });

  it('linux: PCI addresses only, totalVfs override, one MAC and one VLAN per VF', () => {
    const caps = defaultCapabilities('linux', pf('0000:08:00.0', { totalVfs: 7 }));
    assert.deepEqual(
      [caps?.totalVfs, caps?.macsPerVf, caps?.vlansPerVf, caps?.mailbox, caps?.mirroring],
      [7, 1, 1, false, false],
    );
    assert.equal(defaultCapabilities('linux', pf('sim:nic0/0')), null);
  });

  it('linux offline refuses what the driver refuses at run time (loopback off)', () => {
    const main = MainConfig.parse({
      driver: 'linux',
      pfs: [{ pf: '0000:08:00.0', numVfs: 2, loopback: false }],
    });
    const r = validate({ file: 'main.json', data: main }, [], defaultCapabilityMap(main));
    assert.deepEqual(
      r.problems.map((p) => [p.field, p.message]),
      [
        [
          'pfs.0.loopback',
          'PF 0000:08:00.0: driver linux cannot enforce loopback = false: the kernel has no switch for the NIC-internal VEB',
        ],
      ],
    );
  });

  it('linux offline holds every kernel-wide limit of the driver (one table for both)', () => {
    const offline = defaultCapabilities('linux', pf('0000:08:00.0'))!;
    // A kernel driver nicvisor knows nothing special about: only kernel-wide limits.
    const online = linuxCapabilities({
      driver: 'some_nic',
      totalVfs: 256,
      linkSpeedMbps: 100000,
      maxMtu: 9216,
      hasDevlinkEswitch: true,
    });
    assert.deepEqual(offline.unsupportedVfFields, online.unsupportedVfFields);
    const { eswitchMode: _driverSpecific, ...onlinePf } = online.unsupportedPfFields;
    assert.deepEqual(offline.unsupportedPfFields, onlinePf);
  });

  it('names the valid drivers for an unknown one, and knows the registry’s drivers', () => {
    assert.throws(
      () => defaultCapabilities('dpdk', pf('x')),
      /unknown driver "dpdk": valid drivers are linux, sim/,
    );
    assert.throws(
      () => defaultCapabilityMap(MainConfig.parse({ driver: 'dpdk' })),
      /valid drivers are linux, sim/,
    );
    assert.deepEqual([...KNOWN_DRIVERS], driverNames());
  });
});

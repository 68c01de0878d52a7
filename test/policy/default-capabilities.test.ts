import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driverNames } from '../../src/drivers/registry.js';
import {
  defaultCapabilities,
  defaultCapabilityMap,
  KNOWN_DRIVERS,
  MainConfig,
  PfPolicy,
  simPfIds,
} from '../../src/model/index.js';

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

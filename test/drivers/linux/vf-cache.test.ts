import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LinkInfo } from '../../../src/drivers/linux/netlink/link-decode.js';
import type { VfInfo } from '../../../src/drivers/linux/netlink/vf-decode.js';
import { VfCache } from '../../../src/drivers/linux/vf-cache.js';
import { vfInfo } from './fixtures.js';

const vf = (n: number, vlan: number): VfInfo => vfInfo(n, vlan, '02:00:00:00:00:0A');
const link = (vfs: VfInfo[]): LinkInfo => ({
  index: 2,
  name: 'eth0',
  flags: 1,
  up: true,
  lowerUp: true,
  mtu: 1500,
  numVfs: vfs.length,
  vfs,
});

test('a plain read learns unknown VFs but never hides drift from the detector', () => {
  const cache = new VfCache();
  cache.rememberLink('pf', link([vf(0, 100)])); // what nicvisor applied
  // `ip link set … vf 0 vlan 0` behind its back, then the counters read sees it first:
  cache.learnLink('pf', link([vf(0, 0), vf(1, 7)]));
  assert.equal(cache.kernel('pf', 0)?.vlan, 100, 'known VF keeps what was applied');
  assert.equal(cache.kernel('pf', 1)?.vlan, 7, 'an unknown VF is learnt');
  assert.equal(cache.kernel('pf', 0)?.mac, '02:00:00:00:00:0a');
});

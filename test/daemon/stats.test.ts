import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/daemon/events.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { StatsCache } from '../../src/daemon/stats.js';
import { FakeDriver } from '../fakes/fake-driver.js';

test('counters are cached, and made monotonic across a NIC that zeroes them', async () => {
  const fake = new FakeDriver(['p']);
  await fake.apply({ steps: [{ kind: 'setNumVfs', pf: 'p', from: 0, to: 2, reason: 't' }] });
  const stats = new StatsCache(fake, 60_000, new EventBus(() => {}), silentLogger());
  await stats.start();
  try {
    fake.count('p', 0, 10, 1000);
    assert.equal(stats.vf('p', 0)?.rxPackets, 0, 'served from the cache until the next read');
    await stats.refresh();
    assert.equal(stats.vf('p', 0)?.rxPackets, 10);
    fake.zeroCounters('p');
    fake.count('p', 0, 3, 300);
    await stats.refresh();
    assert.equal(stats.vf('p', 0)?.rxPackets, 13);
    assert.equal(stats.vf('p', 0)?.rxBytes, 1300);
    fake.failObserve = 'EIO';
    await stats.refresh();
    assert.equal(stats.vf('p', 0)?.rxPackets, 13, 'a failed read keeps the last values');
  } finally {
    await stats.stop();
  }
});

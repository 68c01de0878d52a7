import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/daemon/events.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { Observations } from '../../src/daemon/observations.js';
import { StatsRefresh } from '../../src/daemon/stats.js';
import { FakeDriver } from '../fakes/fake-driver.js';

test('the stats refresh reads counters into the observations; a failed read keeps them', async () => {
  const fake = new FakeDriver(['p']);
  await fake.apply({ steps: [{ kind: 'setNumVfs', pf: 'p', from: 0, to: 2, reason: 't' }] });
  const observed = new Observations(60_000);
  const events: string[] = [];
  const bus = new EventBus(() => {});
  bus.subscribe((e) => events.push(e.type));
  const stats = new StatsRefresh(fake, observed, 60_000, bus, silentLogger());
  await stats.start();
  try {
    fake.count('p', 0, 10, 1000);
    assert.equal(observed.vfCounters('p', 0)?.rxPackets, 0, 'unchanged until the next read');
    await stats.refresh();
    assert.equal(observed.vfCounters('p', 0)?.rxPackets, 10);
    assert.deepEqual(events, ['stats', 'stats']);
    fake.failObserve = 'EIO';
    await stats.refresh();
    assert.equal(observed.vfCounters('p', 0)?.rxPackets, 10, 'a failed read keeps the last values');
    assert.equal(events.length, 2, 'and announces nothing');
  } finally {
    await stats.stop();
  }
});

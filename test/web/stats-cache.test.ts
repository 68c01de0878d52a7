/**
 * The counters cache as the metrics and plots see it: rates recorded per refresh, and a VF
 * the NIC no longer reports (numVfs lowered) dropped from both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/daemon/events.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { StatsCache } from '../../src/daemon/stats.js';
import type { NicDriver } from '../../src/drivers/driver.js';
import { type ObservedPf, zeroCounters } from '../../src/model/index.js';

function pf(vfs: number[], rxPackets: number): ObservedPf {
  return {
    id: 'p0',
    counters: zeroCounters(),
    vfs: vfs.map((vf) => ({ vf, counters: { ...zeroCounters(), rxPackets } })),
  } as unknown as ObservedPf;
}

test('refreshes feed the history; VFs that vanish leave the cache and the history', async () => {
  let now = [pf([0, 1], 0)];
  const driver = { observe: async () => now } as unknown as NicDriver;
  const cache = new StatsCache(driver, 1000, new EventBus(() => {}), silentLogger());
  await cache.refresh();
  await new Promise((r) => setTimeout(r, 20));
  now = [pf([0, 1], 10)];
  await cache.refresh();
  assert.deepEqual(
    [...cache.vfEntries()].map(([k, c]) => [k, c.rxPackets]),
    [
      ['p0#0', 10],
      ['p0#1', 10],
    ],
  );
  const w = cache.history('p0', 1);
  assert.equal(w.t.length, 2);
  assert.ok((w.series.rxPps[1] ?? 0) > 0, 'a positive rate after the second read');

  now = [pf([0], 12)];
  await cache.refresh();
  assert.deepEqual(
    [...cache.vfEntries()].map(([k]) => k),
    ['p0#0'],
  );
  assert.equal(cache.vf('p0', 1), null);
  assert.deepEqual(cache.history('p0', 1).t, []);
});

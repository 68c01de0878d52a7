import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from './harness.js';

test('stop removes every listener and timer', async () => {
  const h = await startHarness({ daemon: { driftIntervalMs: 100, statsIntervalMs: 100 } });
  // The drift loop, the LAG event recorder (audit + SSE) and the MAC guard's recorder each
  // listen to the driver.
  assert.equal(h.fake.listenerCount, 3);
  await h.daemon.stop();
  assert.equal(h.fake.listenerCount, 0);
  await h.cleanup();
});

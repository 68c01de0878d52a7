import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateHistory } from '../../src/daemon/history.js';
import { zeroCounters } from '../../src/model/index.js';

const c = (rxPackets: number, rxBytes: number) => ({ ...zeroCounters(), rxPackets, rxBytes });

test('rates are per second between consecutive samples; the first is unknown', () => {
  const h = new RateHistory<string>(10);
  h.begin(1000);
  h.record('a', c(0, 0));
  h.begin(3000); // 2 s later
  h.record('a', c(10, 3000));
  const w = h.window('a');
  assert.deepEqual(w.t, [1000, 3000]);
  assert.deepEqual(w.series.rxPps, [null, 5]);
  assert.deepEqual(w.series.rxBps, [null, 1500]);
  assert.deepEqual(w.series.txPps, [null, 0]);
});

test('a key missing from samples shows gaps, and restarts its rate after them', () => {
  const h = new RateHistory<string>(10);
  h.begin(1000);
  h.record('a', c(0, 0));
  h.begin(2000);
  h.record('a', c(5, 0));
  h.begin(3000); // 'a' not read this time
  h.begin(4000);
  h.record('a', c(100, 0));
  h.begin(5000);
  h.record('a', c(104, 0));
  assert.deepEqual(h.window('a').series.rxPps, [null, 5, null, null, 4]);
});

test('the window keeps `capacity` samples and `since` returns only newer ones', () => {
  const h = new RateHistory<string>(3);
  for (let i = 1; i <= 5; i++) {
    h.begin(i * 1000);
    h.record('a', c(i * 2, 0));
  }
  const w = h.window('a');
  assert.deepEqual(w.t, [3000, 4000, 5000]);
  assert.deepEqual(w.series.rxPps, [2, 2, 2]);
  assert.deepEqual(h.window('a', 4000).t, [5000]);
  assert.deepEqual(h.window('nobody').t, []);
});

test('a key that returns after more than a full turn shows no stale samples', () => {
  const h = new RateHistory<string>(3);
  h.begin(1000);
  h.record('a', c(0, 0));
  h.begin(2000);
  h.record('a', c(7, 0));
  for (let t = 3000; t <= 6000; t += 1000) h.begin(t);
  h.begin(7000);
  h.record('a', c(50, 0));
  assert.deepEqual(h.window('a').series.rxPps, [null, null, null]);
});

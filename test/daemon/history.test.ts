import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
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

test('an idle key holds no ring until a rate is not 0, and gives it back after a window of zeros', () => {
  const h = new RateHistory<string>(3);
  const at = (t: number, rx: number) => {
    h.begin(t);
    h.record('a', c(rx, 0));
  };
  at(1000, 5);
  at(2000, 5);
  at(3000, 5);
  assert.equal(h.rings(), 0);
  assert.deepEqual(h.window('a').series.rxPps, [null, 0, 0]);
  at(4000, 9);
  assert.equal(h.rings(), 1);
  assert.deepEqual(h.window('a').series.rxPps, [0, 0, 4]);
  at(5000, 9);
  at(6000, 9);
  assert.equal(h.rings(), 1, 'the 4 is still in the window');
  at(7000, 9);
  assert.equal(h.rings(), 0);
  assert.deepEqual(h.window('a').series.rxPps, [0, 0, 0]);
  assert.deepEqual(h.window('a').t, [5000, 6000, 7000]);
});

/** The window as defined: every sample kept, each rate from the key's previous sample. */
function reference(capacity: number, ops: { t: number; rx: (number | null)[] }[], key: number) {
  const first = Math.max(0, ops.length - capacity);
  const rxPps: (number | null)[] = [];
  for (let s = first; s < ops.length; s++) {
    const now = ops[s].rx[key];
    const prev = s > 0 ? ops[s - 1].rx[key] : null;
    const dt = s > 0 ? (ops[s].t - ops[s - 1].t) / 1000 : 0;
    const rate = now !== null && prev !== null && dt > 0 ? (now - prev) / dt : null;
    rxPps.push(rate === null ? null : Math.round(Math.fround(rate) * 10) / 10);
  }
  return { t: ops.slice(first).map((o) => o.t), rxPps };
}

test('the window reads as if every sample were kept, idle or not (random samples, gaps, zeros)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 6 }), // historyCapacity() keeps at least 2
      fc.array(
        fc.record({
          dt: fc.integer({ min: 0, max: 3 }),
          // Per key: null = not read this time, else the counter's increment (mostly 0).
          inc: fc.array(fc.option(fc.oneof(fc.constant(0), fc.constant(0), fc.nat(50))), {
            minLength: 2,
            maxLength: 2,
          }),
        }),
        { maxLength: 30 },
      ),
      (capacity, steps) => {
        const h = new RateHistory<number>(capacity);
        const total = [0, 0];
        const ops: { t: number; rx: (number | null)[] }[] = [];
        let t = 1000;
        for (const step of steps) {
          t += step.dt * 1000;
          h.begin(t);
          const rx = step.inc.map((inc, k) => {
            if (inc === null) return null;
            total[k] += inc;
            h.record(k, c(total[k], 0));
            return total[k];
          });
          ops.push({ t, rx });
        }
        for (const key of [0, 1]) {
          if (!ops.some((o) => o.rx[key] !== null)) continue;
          const w = h.window(key);
          assert.deepEqual({ t: w.t, rxPps: w.series.rxPps }, reference(capacity, ops, key));
        }
      },
    ),
    { numRuns: 500 },
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClassSpec, UplinkAllocator } from '../../../src/drivers/sim/ets.js';
import { fairShare } from '../../../src/drivers/sim/fair.js';

const f64 = (xs: number[]) => new Float64Array(xs);
const round = (a: Float64Array) => [...a].map((x) => Math.round(x));

test('fairShare: demands that fit are all served, with the whole capacity as room', () => {
  const rate = new Float64Array(2);
  assert.equal(fairShare(100, 2, f64([30, 40]), f64([0, 0]), f64([1, 1]), rate), Infinity);
  assert.deepEqual(round(rate), [100, 100]);
});

test('fairShare: equal weights split equally; a small demand leaves room to the rest', () => {
  const rate = new Float64Array(3);
  fairShare(90, 3, f64([100, 100, 10]), f64([0, 0, 0]), f64([1, 1, 1]), rate);
  assert.deepEqual(round(rate), [40, 40, 40], 'fair level 40: the third uses 10 of it');
});

test('fairShare: floors are guaranteed, weights share the rest', () => {
  const rate = new Float64Array(2);
  fairShare(100, 2, f64([100, 100]), f64([70, 0]), f64([1, 1]), rate);
  assert.deepEqual(round(rate), [70, 30]);
  fairShare(100, 2, f64([100, 100]), f64([0, 0]), f64([3, 1]), rate);
  assert.deepEqual(round(rate), [75, 25]);
});

test('fairShare: floors that do not fit shrink in proportion', () => {
  const rate = new Float64Array(2);
  // Each floor counts up to its demand (80 and 100 of 180 wanted).
  fairShare(100, 2, f64([100, 100]), f64([80, 120]), f64([1, 1]), rate);
  assert.deepEqual(round(rate), [44, 56]);
});

/** Rates (per source, class) for a link of 1000 and the given demands. */
function allocate(
  classes: ClassSpec[],
  demand: number[][],
  min: number[] = [],
  shares: number[][] = [],
): number[][] {
  const k = classes.length;
  const s = demand.length;
  const a = new UplinkAllocator(s, classes);
  const rate = new Float64Array(s * k);
  a.allocate(
    1000,
    f64(demand.flat()),
    f64(demand.map((_, i) => min[i] ?? 0)),
    f64(demand.flatMap((_, i) => Array.from({ length: k }, (_, c) => shares[i]?.[c] ?? 0))),
    rate,
  );
  return demand.map((_, i) => round(rate.subarray(i * k, i * k + k)));
}

const C = (bandwidth: number, strict = false, group = 0): ClassSpec => ({
  bandwidth,
  strict,
  group,
});

test('allocator: ETS classes by weight; a source’s share is a floor within its class', () => {
  // Two sources in class 0, one in class 1, everyone saturating. Each may grow into its
  // fair rate of every class, also where it sends nothing yet.
  const demand = [
    [1000, 0],
    [1000, 0],
    [0, 1000],
  ];
  assert.deepEqual(allocate([C(60), C(40)], demand, [], [[16, 0]]), [
    [300, 400],
    [300, 400],
    [300, 400],
  ]);
  const floor = allocate([C(60), C(40)], demand, [], [[70, 0]]);
  assert.deepEqual(floor[0], [420, 400], '70 % of class 0’s 600');
  assert.deepEqual(floor[1], [180, 400]);
});

test('allocator: strict classes first, then groups, then classes within the group', () => {
  const rates = allocate(
    [C(25), C(25), C(30, false, 1), C(20, true)],
    [
      [1000, 0, 0, 0],
      [0, 0, 1000, 0],
      [0, 0, 0, 300],
    ],
  );
  // Strict class 3 takes 300; group 0 (weight 50) and group 1 (weight 30) share 700 as
  // 437.5 / 262.5; class 0 alone in group 0 inherits idle class 1's half.
  assert.equal(rates[2][3], 1000, 'the strict class may use all that is left (1000)');
  assert.equal(rates[0][0], 438);
  assert.equal(rates[1][2], 263);
});

test('allocator: minTxRate is served off the top, across the source’s classes by demand', () => {
  const rates = allocate(
    [C(50), C(50)],
    [
      [500, 500],
      [0, 1000],
    ],
    [400],
  );
  // Source 0 gets 200 + 200 guaranteed; 600 left: class 0 (300 more wanted) and class 1
  // (300 + 1000) share it 50/50 by weight, 300 each; class 1 splits its 300 equally.
  assert.deepEqual(rates[0], [500, 350]);
  assert.deepEqual(rates[1], [300, 150]);
});

/**
 * Weighted max-min fair sharing with floors, the rule every level of the uplink scheduler
 * uses (docs/qos.md). Entry i asks for `demand[i]`, is guaranteed `floor[i]` and shares what
 * is left by `weight[i]`: it gets min(demand, max(floor, weight·λ)) with λ chosen so the
 * entries together get the capacity (or everything they ask for, when that is less).
 * Written here rather than taken from a library: it is twenty lines over typed arrays that
 * the scheduler reuses every epoch without allocating.
 */

/** Bisection steps: the fair level is found to capacity·2^-60, far below a byte per epoch. */
const STEPS = 60;

function served(
  level: number,
  n: number,
  demand: Float64Array,
  floor: Float64Array,
  weight: Float64Array,
): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.min(demand[i], Math.max(floor[i], weight[i] * level));
  return sum;
}

/**
 * Fills `rate[0..n)` with what each entry may use: its fair rate max(floor, weight·λ),
 * which is at least what it gets (a satisfied entry may grow into it before the next
 * epoch). Returns the fair level λ (Infinity when the capacity covers every demand).
 */
export function fairShare(
  capacity: number,
  n: number,
  demand: Float64Array,
  floor: Float64Array,
  weight: Float64Array,
  rate: Float64Array,
): number {
  let total = 0;
  let floors = 0;
  for (let i = 0; i < n; i++) {
    total += demand[i];
    floors += Math.min(demand[i], floor[i]);
  }
  if (total <= capacity) {
    for (let i = 0; i < n; i++) rate[i] = capacity;
    return Number.POSITIVE_INFINITY;
  }
  if (floors >= capacity) {
    // Guarantees that do not fit (never with validated shares) shrink in proportion.
    for (let i = 0; i < n; i++) rate[i] = (Math.min(demand[i], floor[i]) * capacity) / floors;
    return 0;
  }
  let hi = 0;
  for (let i = 0; i < n; i++) if (weight[i] > 0) hi = Math.max(hi, demand[i] / weight[i]);
  let lo = 0;
  for (let step = 0; step < STEPS; step++) {
    const mid = (lo + hi) / 2;
    if (served(mid, n, demand, floor, weight) > capacity) hi = mid;
    else lo = mid;
  }
  for (let i = 0; i < n; i++) rate[i] = Math.max(floor[i], weight[i] * lo);
  return lo;
}

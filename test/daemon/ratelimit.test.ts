import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../src/daemon/ratelimit.js';

test('RateLimiter: burst, then the configured rate, per key', () => {
  let now = 0;
  const rl = new RateLimiter(10, 3, () => now);
  assert.deepEqual(
    [rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')],
    [true, true, true, false],
  );
  assert.equal(rl.take('b'), true, 'another VF has its own bucket');
  now = 100; // 0.1 s at 10/s: one token
  assert.deepEqual([rl.take('a'), rl.take('a')], [true, false]);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normaliseClassShares, normaliseShares } from '../../src/policy/qos.js';

describe('qos: normaliseShares', () => {
  it("VFd's example: 50, 50, 20 become 42, 42, 16", () => {
    assert.deepEqual(normaliseShares([50, 50, 20]), [42, 42, 16]);
  });

  it('keeps shares that sum to 100 or less: they are guaranteed minimums, not weights', () => {
    assert.deepEqual(normaliseShares([10, 10]), [10, 10]);
    assert.deepEqual(normaliseShares([16, 0]), [16, 0]);
    assert.deepEqual(normaliseShares([1, 1, 1]), [1, 1, 1]);
  });

  it('gives the rounding remainder to the largest fractions, earlier VFs first on ties', () => {
    assert.deepEqual(normaliseShares([100, 100, 100]), [34, 33, 33]);
    assert.deepEqual(normaliseShares([60, 60, 60, 18]), [31, 30, 30, 9]);
  });

  it('leaves an all-zero class at zero and an exact 100 unchanged', () => {
    assert.deepEqual(normaliseShares([0, 0]), [0, 0]);
    assert.deepEqual(normaliseShares([]), []);
    assert.deepEqual(normaliseShares([70, 30]), [70, 30]);
  });

  it('sums to exactly 100 when the shares sum past it, each share within 1 of exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 64 }),
        (shares) => {
          const out = normaliseShares(shares);
          const total = shares.reduce((a, b) => a + b, 0);
          if (total <= 100) return out.every((x, i) => x === shares[i]);
          assert.equal(
            out.reduce((a, b) => a + b, 0),
            100,
          );
          for (const [i, x] of out.entries())
            assert.ok(Math.abs(x - (shares[i] * 100) / total) < 1);
          return true;
        },
      ),
    );
  });
});

describe('qos: normaliseClassShares', () => {
  it('normalises each class separately; missing entries count as 0', () => {
    assert.deepEqual(normaliseClassShares([[50, 10], [50, 30], [20]], 3), [
      [42, 10, 0],
      [42, 30, 0],
      [16, 0, 0],
    ]);
  });
});

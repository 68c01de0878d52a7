import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normaliseClassShares, normaliseShares } from '../../src/policy/qos.js';

describe('qos: normaliseShares', () => {
  it("VFd's example: 50, 50, 20 become 42, 42, 16", () => {
    assert.deepEqual(normaliseShares([50, 50, 20]), [42, 42, 16]);
  });

  it('scales shares up when they sum below 100', () => {
    assert.deepEqual(normaliseShares([10, 10]), [50, 50]);
    assert.deepEqual(normaliseShares([10, 20, 10]), [25, 50, 25]);
  });

  it('gives the rounding remainder to the largest fractions, earlier VFs first on ties', () => {
    assert.deepEqual(normaliseShares([1, 1, 1]), [34, 33, 33]);
    assert.deepEqual(normaliseShares([30, 30, 30, 9]), [31, 30, 30, 9]);
  });

  it('leaves an all-zero class at zero and an exact 100 unchanged', () => {
    assert.deepEqual(normaliseShares([0, 0]), [0, 0]);
    assert.deepEqual(normaliseShares([]), []);
    assert.deepEqual(normaliseShares([70, 30]), [70, 30]);
  });

  it('always sums to exactly 100 when any share is set, each share within 1 of exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 64 }),
        (shares) => {
          const out = normaliseShares(shares);
          const total = shares.reduce((a, b) => a + b, 0);
          if (total === 0) return out.every((x) => x === 0);
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
      [42, 25, 0],
      [42, 75, 0],
      [16, 0, 0],
    ]);
  });
});

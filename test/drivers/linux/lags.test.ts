// The linux driver's failover count (src/drivers/linux/lags.ts trackFailover), read by read:
// the kernel shows no active member between a member going down and miimon picking another,
// and the lab's netdevsim bond once read exactly there (failovers 0 after a failover).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FailoverTrack, trackFailover } from '../../../src/drivers/linux/lags.js';

const A = 11;
const B = 12;

/** Feeds reads of [active ifindex, members whose link is up] and returns the count. */
function count(reads: [number, number[]][]): number {
  const t: FailoverTrack = { active: 0, wentDown: false, failovers: 0 };
  for (const [active, up] of reads) trackFailover(t, active, (i) => up.includes(i));
  return t.failovers;
}

describe('linux LAG failover count', () => {
  it('counts the active member going down and another taking over', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [B, [B]],
      ]),
      1,
    );
  });

  it('counts it across a read with no active member (before miimon picks the other)', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [0, [B]],
        [B, [B]],
      ]),
      1,
    );
    // …and when the member that went down is back up by the time the other is seen active.
    assert.equal(
      count([
        [A, [A, B]],
        [0, [A, B]],
        [B, [A, B]],
      ]),
      1,
    );
    assert.equal(
      count([
        [A, [A, B]],
        [A, [B]],
        [B, [A, B]],
      ]),
      1,
    );
  });

  it('does not count a change of active member while its link is up (primary, by hand)', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [B, [A, B]],
        [A, [A, B]],
      ]),
      0,
    );
  });

  it('does not count the first read, nor the member coming back to the same place', () => {
    assert.equal(count([[B, [B]]]), 0);
    assert.equal(
      count([
        [A, [A, B]],
        [0, [B]],
        [A, [A, B]],
      ]),
      0,
    );
  });

  it('counts each failover of a flapping pair once', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [0, [B]],
        [B, [B]],
        [B, [A, B]],
        [0, [A]],
        [A, [A]],
        [A, [A, B]],
      ]),
      2,
    );
  });
});

/**
 * Rate limiting on the virtual clock.
 *
 * The sim shapes rather than schedules (there are no queues): a frame either fits the
 * buckets it passes through at the instant it is sent, or it is dropped and counted. Each
 * bucket holds BURST_NS worth of its rate, but never less than one jumbo frame, so a frame
 * of any legal size can pass an idle limiter.
 */
export const BURST_NS = 1_000_000;
export const MIN_BURST_BYTES = 9216 + 26;

/** Bytes per nanosecond for a rate in Mbit/s. */
export function bytesPerNs(mbps: number): number {
  return (mbps * 1e6) / 8 / 1e9;
}

/** How many bytes an idle bucket of this rate lets through at once. */
export function burstBytes(mbps: number): number {
  return Math.max(bytesPerNs(mbps) * BURST_NS, MIN_BURST_BYTES);
}

export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  private tokens: number;
  private last: number;

  /** `burst` defaults to the sim's own rule; a TC police action brings its own. */
  constructor(mbps: number, nowNs: number, burst = burstBytes(mbps)) {
    this.rate = bytesPerNs(mbps);
    this.burst = burst;
    this.tokens = this.burst;
    this.last = nowNs;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.rate);
      this.last = now;
    }
  }

  /** True when `bytes` fit now (nothing is taken). */
  fits(bytes: number, now: number): boolean {
    this.refill(now);
    return this.tokens >= bytes;
  }

  /** Take `bytes` if they fit; false (and nothing taken) otherwise. */
  take(bytes: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < bytes) return false;
    this.tokens -= bytes;
    return true;
  }
}

/**
 * Uplink shaping of one PF's traffic classes (DCB/ETS-like). Class c is capped at
 * `classes[c]`% of the link, and within it a VF with a share s is capped at s% of that.
 * A class with 0% and a VF with share 0 are not capped (best effort): capping them at zero
 * would black-hole traffic of VFs that simply asked for no guarantee.
 * Frames map to classes by the PCP of their outer tag (untagged: 0), the last class taking
 * every higher PCP.
 */
export function classOf(pcp: number, classCount: number): number {
  return pcp < classCount ? pcp : classCount - 1;
}

export function classBuckets(
  linkMbps: number,
  classes: readonly number[],
  now: number,
): (TokenBucket | null)[] {
  return classes.map((pct) => (pct > 0 ? new TokenBucket((linkMbps * pct) / 100, now) : null));
}

export function shareBuckets(
  linkMbps: number,
  classes: readonly number[],
  shares: readonly number[],
  now: number,
): (TokenBucket | null)[] {
  return classes.map((pct, c) => {
    const share = shares[c] ?? 0;
    if (pct === 0 || share === 0) return null;
    return new TokenBucket((linkMbps * pct * share) / 10000, now);
  });
}

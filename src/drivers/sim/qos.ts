/**
 * Token buckets on the virtual clock, for per-VF rate limits and the uplink scheduler.
 *
 * The sim has no queues: a frame either fits the buckets it passes through at the instant
 * it is sent, or it is dropped and counted. Each bucket holds BURST_NS worth of its rate, but
 * never less than one jumbo frame, so a frame of any legal size can pass an idle limiter.
 */
export const BURST_NS = 1_000_000;
export const MIN_BURST_BYTES = 9216 + 26;

/** Bytes per nanosecond for a rate in Mbit/s. */
export function bytesPerNs(mbps: number): number {
  return (mbps * 1e6) / 8 / 1e9;
}

/** How many bytes an idle bucket of this rate (bytes/ns) lets through at once. */
export function burstOf(rate: number): number {
  return Math.max(rate * BURST_NS, MIN_BURST_BYTES);
}

/** How many bytes an idle bucket of this rate (Mbit/s) lets through at once. */
export function burstBytes(mbps: number): number {
  return burstOf(bytesPerNs(mbps));
}

export class TokenBucket {
  /** Bytes per nanosecond. */
  rate: number;
  burst: number;
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

  /** Change the rate (bytes/ns) from now on; what was earned so far stays. */
  setRate(rate: number, now: number): void {
    this.refill(now);
    this.rate = rate;
    this.burst = burstOf(rate);
    this.tokens = Math.min(this.tokens, this.burst);
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
 * Frames map to traffic classes by the PCP of their outer tag (untagged: 0), the last class
 * taking every higher PCP.
 */
export function classOf(pcp: number, classCount: number): number {
  return pcp < classCount ? pcp : classCount - 1;
}

/**
 * Token bucket per VF (config `guestRequestsPerSecond`, `guestRequestBurst`), so a guest that
 * floods its mailbox is refused cheaply, before any lock, driver read or disk write, and
 * cannot slow other VFs' decisions. The clock is passed in for tests.
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.rate = perSecond;
    this.burst = burst;
    this.now = now;
  }

  /** Take one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}

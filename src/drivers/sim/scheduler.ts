import type { TrafficClassMode } from '../../model/index.js';
import { type ClassSpec, UplinkAllocator } from './ets.js';
import { BURST_NS, bytesPerNs, classOf, TokenBucket } from './qos.js';

/** How often the scheduler measures what each source offers and shares the link anew. */
export const EPOCH_NS = BURST_NS;

/** What the scheduler needs of one source (a VF, or the host interface). */
export interface SourceSpec {
  minTxRate: number;
  /** Share (%) of each class. */
  trafficShares: readonly number[];
}

/**
 * The uplink's traffic-class scheduler, DCB/ETS style (docs/qos.md). The sim has no queues,
 * so it schedules by measuring: every epoch it takes what each (source, class) offered in
 * the last one (sent or dropped) as its demand, shares the link by the rule of
 * UplinkAllocator, and gives each (source, class) a token bucket at its fair rate. A frame
 * passes when it fits its bucket and the link's. A source that starts sending has its
 * bucket's burst until the next epoch counts it in.
 */
export class UplinkScheduler {
  private readonly k: number;
  private readonly link: TokenBucket;
  private readonly capacity: number;
  private readonly allocator: UplinkAllocator;
  private readonly buckets: TokenBucket[];
  private readonly offered: Float64Array;
  private readonly demand: Float64Array;
  private readonly rate: Float64Array;
  private readonly minRate: Float64Array;
  private readonly shares: Float64Array;
  private epochStart: number;
  private epochEnd: number;

  constructor(
    linkMbps: number,
    classes: readonly ClassSpec[],
    sources: readonly SourceSpec[],
    now: number,
  ) {
    const k = classes.length;
    const n = sources.length * k;
    this.k = k;
    this.capacity = bytesPerNs(linkMbps);
    this.link = new TokenBucket(linkMbps, now);
    this.allocator = new UplinkAllocator(sources.length, classes);
    this.offered = new Float64Array(n);
    this.demand = new Float64Array(n);
    this.rate = new Float64Array(n);
    this.minRate = new Float64Array(sources.map((s) => bytesPerNs(s.minTxRate)));
    this.shares = new Float64Array(n);
    sources.forEach((s, i) => {
      for (let c = 0; c < k; c++) this.shares[i * k + c] = s.trafficShares[c] ?? 0;
    });
    // Before anything is measured, every (source, class) may use the whole link.
    this.buckets = Array.from({ length: n }, () => new TokenBucket(linkMbps, now));
    this.epochStart = now;
    this.epochEnd = now + EPOCH_NS;
  }

  /** Whether a frame of `len` bytes from source `slot` with outer PCP `pcp` may go out now. */
  admit(slot: number, pcp: number, len: number, now: number): boolean {
    if (now >= this.epochEnd) this.reallocate(now);
    const e = slot * this.k + classOf(pcp, this.k);
    this.offered[e] += len;
    const b = this.buckets[e];
    if (!b.fits(len, now) || !this.link.fits(len, now)) return false;
    b.take(len, now);
    this.link.take(len, now);
    return true;
  }

  private reallocate(now: number): void {
    const elapsed = now - this.epochStart;
    for (let e = 0; e < this.offered.length; e++) this.demand[e] = this.offered[e] / elapsed;
    this.offered.fill(0);
    this.allocator.allocate(this.capacity, this.demand, this.minRate, this.shares, this.rate);
    for (let e = 0; e < this.buckets.length; e++) this.buckets[e].setRate(this.rate[e], now);
    this.epochStart = now;
    this.epochEnd = now + EPOCH_NS;
  }
}

/**
 * The scheduler for a PF's traffic classes and its ports (VFs, then the host), or null when
 * the PF has no classes (the uplink then only counts).
 */
export function schedulerFor(
  linkMbps: number,
  bandwidths: readonly number[],
  modes: readonly TrafficClassMode[],
  ports: readonly SourceSpec[],
  now: number,
): UplinkScheduler | null {
  if (bandwidths.length === 0) return null;
  const classes = bandwidths.map((bandwidth, c) => ({
    bandwidth,
    strict: modes[c]?.strictPriority ?? false,
    group: modes[c]?.group ?? 0,
  }));
  return new UplinkScheduler(linkMbps, classes, ports, now);
}

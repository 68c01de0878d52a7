/**
 * Rate history for the dashboard's plots: per VF, the last few minutes of packets/s and
 * bytes/s (rx and tx), one sample per counters-cache refresh.
 *
 * Rates, not counters, are stored, so a Float32Array is precise enough (7 digits of a rate)
 * where a 64-bit byte counter would not be: 2048 VFs × 300 samples × 4 series × 4 bytes is
 * 9.8 MB. Sample times are shared by every key (one refresh reads every VF at once); a key
 * missing from a refresh gets NaN there, which the API turns into null (a gap in the plot).
 *
 * A key whose rates are all 0 holds no ring (its 4.8 KB at 300 samples): most VFs of a host
 * idle (not assigned, or a guest with no traffic), and 512 idle VFs' rings were 2.4 MiB of
 * the daemon's heap (bench/daemon.ts). The ring is made on the first rate that is not 0 and
 * dropped again after a full window of zeros; the window reads the same either way.
 */
import type { VfCounters } from '../model/index.js';

/** The series kept per key, in storage order. */
export const RATE_SERIES = ['rxPps', 'txPps', 'rxBps', 'txBps'] as const;
export type RateSeries = (typeof RATE_SERIES)[number];
const N = RATE_SERIES.length;

function pick(c: VfCounters): [number, number, number, number] {
  return [c.rxPackets, c.txPackets, c.rxBytes, c.txBytes];
}

interface Track {
  /** null: every rate after sample `since` is 0 (and the one at `since` unknown). */
  rates: Float32Array | null;
  since: number;
  /** Consecutive samples, up to this one, whose rates were all 0. */
  zeros: number;
  /** Counters at the previous sample (NaN: none yet, so the first rate is unknown). */
  prev: Float64Array;
  /** Sequence number of the last sample written for this key. */
  seq: number;
}

export interface RateWindow {
  /** Sample times, ms since the epoch, oldest first. */
  t: number[];
  series: Record<RateSeries, (number | null)[]>;
}

/** Rates of the VFs of one PF (or any keys read together), keyed by `K`. */
export class RateHistory<K = number> {
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly tracks = new Map<K, Track>();
  /** Samples taken so far; sample s lives in slot s % capacity. */
  private seq = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
  }

  /** Start sample number `seq` at time `t` (call once per refresh, before record()). */
  begin(t: number): void {
    this.seq += 1;
    this.times[this.seq % this.capacity] = t;
  }

  /** Store the rates of `key` for the current sample, from its (monotonic) counters. */
  record(key: K, counters: VfCounters): void {
    const now = pick(counters);
    const tr = this.tracks.get(key);
    if (!tr) {
      // The first sample of a key: its rate is unknown, there is nothing to store yet.
      const since = this.seq;
      this.tracks.set(key, {
        rates: null,
        since,
        zeros: 0,
        prev: Float64Array.from(now),
        seq: since,
      });
      return;
    }
    const slot = this.seq % this.capacity;
    // A key that skipped samples restarts its rate: the gap stays a gap.
    const contiguous = tr.seq === this.seq - 1;
    const dt = (this.times[slot] - this.times[(this.seq - 1) % this.capacity]) / 1000;
    let idle = true;
    for (let i = 0; i < N; i++) {
      const rate = contiguous && dt > 0 ? (now[i] - tr.prev[i]) / dt : Number.NaN;
      this.scratch[i] = rate;
      if (rate !== 0) idle = false;
    }
    tr.prev.set(now);
    if (tr.rates === null && idle) {
      tr.seq = this.seq;
      return;
    }
    const rates = tr.rates ?? this.ring(tr);
    tr.rates = rates;
    this.fillGap(tr);
    rates.set(this.scratch, slot * N);
    tr.seq = this.seq;
    tr.zeros = idle ? tr.zeros + 1 : 0;
    if (tr.zeros >= this.capacity) {
      // A full window of zeros: the ring goes, and every kept sample reads 0 without it.
      tr.rates = null;
      tr.since = this.seq - this.capacity;
      tr.zeros = 0;
    }
  }

  private readonly scratch = new Float64Array(N);

  /** The ring of an idle key: 0 for its samples after `since`, NaN before (and in gaps). */
  private ring(tr: Track): Float32Array {
    const rates = new Float32Array(this.capacity * N).fill(Number.NaN);
    for (let s = Math.max(tr.since + 1, this.seq - this.capacity + 1); s <= tr.seq; s++)
      rates.fill(0, (s % this.capacity) * N, ((s % this.capacity) + 1) * N);
    return rates;
  }

  /** NaN into the slots of samples this key missed (at most one full turn). */
  private fillGap(tr: Track): void {
    if (!tr.rates) return;
    const from = Math.max(tr.seq + 1, this.seq - this.capacity + 1);
    for (let s = from; s < this.seq; s++)
      tr.rates.fill(Number.NaN, (s % this.capacity) * N, ((s % this.capacity) + 1) * N);
  }

  /** Keys that hold a ring now (the others have had only zeros for a full window). */
  rings(): number {
    let n = 0;
    for (const tr of this.tracks.values()) if (tr.rates) n += 1;
    return n;
  }

  forget(key: K): void {
    this.tracks.delete(key);
  }

  /** The samples of `key` taken after `sinceMs` (all kept ones by default), oldest first. */
  window(key: K, sinceMs = 0): RateWindow {
    const out: RateWindow = { t: [], series: { rxPps: [], txPps: [], rxBps: [], txBps: [] } };
    const tr = this.tracks.get(key);
    if (!tr) return out;
    const first = Math.max(1, this.seq - this.capacity + 1);
    for (let s = first; s <= this.seq; s++) {
      const slot = s % this.capacity;
      const t = this.times[slot];
      if (t <= sinceMs) continue;
      out.t.push(t);
      for (let i = 0; i < N; i++) {
        const v =
          s > tr.seq
            ? Number.NaN
            : tr.rates
              ? tr.rates[slot * N + i]
              : s > tr.since
                ? 0
                : Number.NaN;
        out.series[RATE_SERIES[i]].push(Number.isNaN(v) ? null : Math.round(v * 10) / 10);
      }
    }
    return out;
  }
}

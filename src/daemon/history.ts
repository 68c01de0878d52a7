/**
 * Rate history for the dashboard's plots: per VF, the last few minutes of packets/s and
 * bytes/s (rx and tx), one sample per counters-cache refresh.
 *
 * Rates, not counters, are stored, so a Float32Array is precise enough (7 digits of a rate)
 * where a 64-bit byte counter would not be: 2048 VFs × 300 samples × 4 series × 4 bytes is
 * 9.8 MB. Sample times are shared by every key (one refresh reads every VF at once); a key
 * missing from a refresh gets NaN there, which the API turns into null (a gap in the plot).
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
  rates: Float32Array;
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
    let tr = this.tracks.get(key);
    if (!tr) {
      tr = {
        rates: new Float32Array(this.capacity * N).fill(Number.NaN),
        prev: new Float64Array(N).fill(Number.NaN),
        seq: 0,
      };
      this.tracks.set(key, tr);
    }
    const slot = this.seq % this.capacity;
    // A key that skipped samples restarts its rate: the gap stays a gap.
    const contiguous = tr.seq === this.seq - 1;
    this.fillGap(tr);
    const dt = (this.times[slot] - this.times[(this.seq - 1) % this.capacity]) / 1000;
    const now = pick(counters);
    for (let i = 0; i < N; i++) {
      const rate = contiguous && dt > 0 ? (now[i] - tr.prev[i]) / dt : Number.NaN;
      tr.rates[slot * N + i] = rate;
      tr.prev[i] = now[i];
    }
    tr.seq = this.seq;
  }

  /** NaN into the slots of samples this key missed (at most one full turn). */
  private fillGap(tr: Track): void {
    const from = Math.max(tr.seq + 1, this.seq - this.capacity + 1);
    for (let s = from; s < this.seq; s++)
      tr.rates.fill(Number.NaN, (s % this.capacity) * N, ((s % this.capacity) + 1) * N);
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
        const v = s > tr.seq ? Number.NaN : tr.rates[slot * N + i];
        out.series[RATE_SERIES[i]].push(Number.isNaN(v) ? null : Math.round(v * 10) / 10);
      }
    }
    return out;
  }
}
